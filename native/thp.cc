// Per-process THP switch and execve.
//
// prctl(PR_SET_THP_DISABLE) sets a flag on the process's mm that fork copies and execve keeps (seed 004:
// the fix that needs no root and no code change in the program — a launcher sets it, then execs the
// program). Node 20 has no process.execve, hence our own.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "errors.h"
#include "modules.h"

namespace rsslab {
namespace {

Napi::Value ThpDisableGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int r = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
  if (r < 0) {
    int err = errno;
    ThrowSystemError(env, err, "prctl", "(PR_GET_THP_DISABLE)");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, r != 0);
}

Napi::Value ThpDisableSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool disabled = false;
  if (!ArgBool(info, 0, "disabled", &disabled)) return env.Undefined();
  if (prctl(PR_SET_THP_DISABLE, disabled ? 1 : 0, 0, 0, 0) != 0) {
    int err = errno;
    ThrowSystemError(env, err, "prctl", std::string("(PR_SET_THP_DISABLE, ") + (disabled ? "1" : "0") + ")");
  }
  return env.Undefined();
}

// What Node changed in its own process that a new program must not inherit, saved so that a failed
// execve leaves Node exactly as it was: ignored signals (Node ignores SIGPIPE; an ignored disposition
// survives exec), the blocked-signal mask, and O_NONBLOCK / FD_CLOEXEC on stdio. libuv resets the same
// things in a spawned child (uv__process_child_init). Node marks every descriptor it inherited above
// stdio close-on-exec at startup; `inherit` names those the new program must keep (a counterpart's
// fd 3, the protocol pipe), treated like stdio.
class ExecState {
 public:
  explicit ExecState(const std::vector<int>& inherit) {
    fds_ = {0, 1, 2};
    fds_.insert(fds_.end(), inherit.begin(), inherit.end());
    fl_.assign(fds_.size(), -1);
    fd_.assign(fds_.size(), -1);
    sigprocmask(SIG_SETMASK, nullptr, &mask_);
    for (int sig = 1; sig < NSIG; sig++) {
      struct sigaction old;
      if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_IGN) continue;
      struct sigaction dfl;
      memset(&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      if (sigaction(sig, &dfl, nullptr) == 0) ignored_.push_back(sig);
    }
    for (size_t i = 0; i < fds_.size(); i++) {
      int fd = fds_[i];
      fl_[i] = fcntl(fd, F_GETFL);
      fd_[i] = fcntl(fd, F_GETFD);
      if (fl_[i] >= 0 && (fl_[i] & O_NONBLOCK)) fcntl(fd, F_SETFL, fl_[i] & ~O_NONBLOCK);
      if (fd_[i] >= 0 && (fd_[i] & FD_CLOEXEC)) fcntl(fd, F_SETFD, fd_[i] & ~FD_CLOEXEC);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
  }
  // Only reached when execve failed.
  ~ExecState() {
    for (size_t i = 0; i < fds_.size(); i++) {
      if (fl_[i] >= 0) fcntl(fds_[i], F_SETFL, fl_[i]);
      if (fd_[i] >= 0) fcntl(fds_[i], F_SETFD, fd_[i]);
    }
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    for (int sig : ignored_) sigaction(sig, &ign, nullptr);
    sigprocmask(SIG_SETMASK, &mask_, nullptr);
  }
  ExecState(const ExecState&) = delete;
  ExecState& operator=(const ExecState&) = delete;

 private:
  sigset_t mask_;
  std::vector<int> ignored_;
  std::vector<int> fds_;
  std::vector<int> fl_;
  std::vector<int> fd_;
};

// execvp's search, but over the PATH of the environment we hand to the new program (as libuv does),
// falling back to ours, then to the POSIX default. Returns the errno to report.
int ExecSearch(const std::string& file, char* const argv[], char* const envp[], const std::string& path) {
  if (file.find('/') != std::string::npos) {
    execve(file.c_str(), argv, envp);
    return errno;
  }
  int result = ENOENT;
  size_t start = 0;
  for (;;) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + file;
    execve(candidate.c_str(), argv, envp);
    int err = errno;
    // Like execvp: keep looking past missing entries, remember a permission problem, stop on anything else.
    if (err == EACCES) {
      result = EACCES;
    } else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV && err != ETIMEDOUT) {
      return err;
    }
    if (colon == std::string::npos) return result;
    start = colon + 1;
  }
}

Napi::Value Execve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file;
  if (!ArgString(info, 0, "file", &file)) return env.Undefined();
  if (file.empty() || file.find('\0') != std::string::npos) {
    ThrowInvalidValue(env, "execve(): \"file\" must be a non-empty string without NUL characters");
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[1].IsArray()) {
    ThrowType(env, "execve(): \"args\" must be an array of strings (args[0] is the program name)");
    return env.Undefined();
  }
  if (info.Length() < 3 || !info[2].IsObject() || info[2].IsArray()) {
    ThrowType(env, "execve(): \"env\" must be an object of string values");
    return env.Undefined();
  }
  std::vector<std::string> args;
  Napi::Array arr = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (env.IsExceptionPending()) return env.Undefined();
    if (!v.IsString()) {
      ThrowType(env, "execve(): args[" + std::to_string(i) + "] must be a string");
      return env.Undefined();
    }
    args.push_back(v.As<Napi::String>().Utf8Value());
    // execve takes C strings: a NUL would silently cut the argument short
    if (args.back().find('\0') != std::string::npos) {
      ThrowInvalidValue(env, "execve(): args[" + std::to_string(i) + "] must not contain NUL characters");
      return env.Undefined();
    }
  }
  std::vector<std::string> vars;
  std::string path;
  bool hasPath = false;
  Napi::Object envObj = info[2].As<Napi::Object>();
  // Own enumerable string keys only, as Object.entries and child_process see them: GetPropertyNames
  // (for-in) would export what the object inherits.
  napi_value keyArray = nullptr;
  if (napi_get_all_property_names(env, envObj, napi_key_own_only,
                                  static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                                  napi_key_numbers_to_strings, &keyArray) != napi_ok) {
    if (!env.IsExceptionPending()) ThrowType(env, "execve(): cannot list the keys of \"env\"");
    return env.Undefined();
  }
  Napi::Array keys(env, keyArray);
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string key = keys.Get(i).ToString().Utf8Value();
    if (env.IsExceptionPending()) return env.Undefined();
    // "A=B" as a key would export a variable named A; NUL would cut it short; "" names nothing
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos) {
      ThrowInvalidValue(env, "execve(): env key " + std::to_string(i) +
                                 " must be a non-empty name without '=' or NUL characters");
      return env.Undefined();
    }
    Napi::Value v = envObj.Get(key);
    if (env.IsExceptionPending()) return env.Undefined();
    if (v.IsUndefined()) continue;  // like child_process: an undefined value means "unset"
    if (!v.IsString()) {
      ThrowType(env, "execve(): env." + key + " must be a string");
      return env.Undefined();
    }
    std::string value = v.As<Napi::String>().Utf8Value();
    if (value.find('\0') != std::string::npos) {
      ThrowInvalidValue(env, "execve(): env." + key + " must not contain NUL characters");
      return env.Undefined();
    }
    if (key == "PATH") {
      path = value;
      hasPath = true;
    }
    vars.push_back(key + "=" + value);
  }
  std::vector<int> inherit;
  if (info.Length() >= 4 && !info[3].IsUndefined()) {
    if (!info[3].IsArray()) {
      ThrowType(env, "execve(): \"inheritFds\" must be an array of descriptors above 2");
      return env.Undefined();
    }
    Napi::Array fds = info[3].As<Napi::Array>();
    for (uint32_t i = 0; i < fds.Length(); i++) {
      Napi::Value v = fds.Get(i);
      if (env.IsExceptionPending()) return env.Undefined();
      if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() != static_cast<double>(v.As<Napi::Number>().Int32Value()) || v.As<Napi::Number>().Int32Value() < 3) {
        ThrowInvalidValue(env, "execve(): inheritFds[" + std::to_string(i) + "] must be a whole number above 2 (0-2 are always kept)");
        return env.Undefined();
      }
      inherit.push_back(v.As<Napi::Number>().Int32Value());
    }
  }
  if (!hasPath) {
    const char* own = getenv("PATH");
    path = own != nullptr ? own : "/usr/local/bin:/usr/bin:/bin";
  }
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : vars) envp.push_back(e.data());
  envp.push_back(nullptr);

  int err = 0;
  {
    ExecState state(inherit);  // restored by its destructor if we are still here
    err = ExecSearch(file, argv.data(), envp.data(), path);
  }
  ThrowSystemError(env, err, "execve", "(" + file + ")");
  return env.Undefined();
}

}  // namespace

void InitThp(Napi::Env env, Napi::Object exports) {
  exports.Set("thpDisableGet", Napi::Function::New(env, ThpDisableGet, "thpDisableGet"));
  exports.Set("thpDisableSet", Napi::Function::New(env, ThpDisableSet, "thpDisableSet"));
  exports.Set("execve", Napi::Function::New(env, Execve, "execve"));
}

}  // namespace rsslab
