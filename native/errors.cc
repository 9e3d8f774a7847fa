// errno → JS error (see errors.h for the contract).
// The error class comes from JS once per environment (setErrorClass), the way better-sqlite3 hands
// its SqliteError to native: errors are then `instanceof RsslabSystemError` on the JS side.
// errno names come from an explicit table with an "UNKNOWN_<n>" fallback, never from the message.
#include "errors.h"

#include <errno.h>
#include <string.h>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include "modules.h"

namespace rsslab {
namespace {

struct ErrnoName {
  int value;
  const char* name;
};

// The errno values the syscalls we make can return (mmap, munmap, madvise, mincore, prctl, execve,
// open/read), plus the common rest so a surprise still gets its proper name.
constexpr ErrnoName kErrnoNames[] = {
    {EPERM, "EPERM"},       {ENOENT, "ENOENT"},         {ESRCH, "ESRCH"},         {EINTR, "EINTR"},
    {EIO, "EIO"},           {ENXIO, "ENXIO"},           {E2BIG, "E2BIG"},         {ENOEXEC, "ENOEXEC"},
    {EBADF, "EBADF"},       {ECHILD, "ECHILD"},         {EAGAIN, "EAGAIN"},       {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},     {EFAULT, "EFAULT"},         {EBUSY, "EBUSY"},         {EEXIST, "EEXIST"},
    {ENODEV, "ENODEV"},     {ENOTDIR, "ENOTDIR"},       {EISDIR, "EISDIR"},       {EINVAL, "EINVAL"},
    {ENFILE, "ENFILE"},     {EMFILE, "EMFILE"},         {ETXTBSY, "ETXTBSY"},     {EFBIG, "EFBIG"},
    {ENOSPC, "ENOSPC"},     {ERANGE, "ERANGE"},         {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOSYS, "ENOSYS"},     {ELOOP, "ELOOP"},           {EOVERFLOW, "EOVERFLOW"}, {EOPNOTSUPP, "EOPNOTSUPP"},
    {EHWPOISON, "EHWPOISON"}, {ELIBBAD, "ELIBBAD"},
};

std::string ErrnoCode(int err) {
  for (const auto& e : kErrnoNames) {
    if (e.value == err) return e.name;
  }
  return "UNKNOWN_" + std::to_string(err);
}

std::string ErrnoText(int err) {
  char buf[256];
  // GNU strerror_r (we build with _GNU_SOURCE): returns the string, which may or may not be buf.
  const char* s = strerror_r(err, buf, sizeof buf);
  return s != nullptr ? s : "Unknown error";
}

// One error class per Node environment (main thread and each worker have their own).
std::mutex g_classes_mutex;
std::unordered_map<napi_env, Napi::FunctionReference*> g_classes;

void ForgetClass(napi_env env) {
  std::lock_guard<std::mutex> lock(g_classes_mutex);
  auto it = g_classes.find(env);
  if (it == g_classes.end()) return;
  delete it->second;
  g_classes.erase(it);
}

Napi::Function ErrorClass(Napi::Env env) {
  std::lock_guard<std::mutex> lock(g_classes_mutex);
  auto it = g_classes.find(env);
  if (it == g_classes.end()) return Napi::Function();
  return it->second->Value();
}

// Builds the error through the JS class when we have it, else a plain Error carrying the same fields.
void ThrowWithFields(Napi::Env env, const std::string& message, const std::string& code, int err,
                     const char* syscall) {
  Napi::Function ctor = ErrorClass(env);
  if (!ctor.IsEmpty()) {
    Napi::Value e = ctor.New({Napi::String::New(env, message), Napi::String::New(env, code),
                              Napi::Number::New(env, err), Napi::String::New(env, syscall ? syscall : "")});
    // If the JS constructor itself threw, that exception is already pending: leave it.
    if (!env.IsExceptionPending() && !e.IsEmpty()) Napi::Error(env, e).ThrowAsJavaScriptException();
    return;
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  if (err != 0) e.Set("errno", Napi::Number::New(env, err));
  if (syscall != nullptr && *syscall != '\0') e.Set("syscall", Napi::String::New(env, syscall));
  e.ThrowAsJavaScriptException();
}

void SetCode(Napi::Error& e, const char* code) { e.Set("code", Napi::String::New(e.Env(), code)); }

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    ThrowType(env, "setErrorClass(ctor): ctor must be a class (function)");
    return env.Undefined();
  }
  auto* ref = new Napi::FunctionReference(Napi::Persistent(info[0].As<Napi::Function>()));
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(g_classes_mutex);
    auto it = g_classes.find(env);
    if (it != g_classes.end()) {
      delete it->second;
      it->second = ref;
    } else {
      g_classes.emplace(env, ref);
      first = true;
    }
  }
  // The reference must be released before the environment goes away (worker exit, process exit).
  if (first) env.AddCleanupHook([env]() { ForgetClass(env); });
  return env.Undefined();
}

}  // namespace

void ThrowSystemError(Napi::Env env, int err, const char* syscall, const std::string& args) {
  std::string code = ErrnoCode(err);
  std::string message = code + ": " + ErrnoText(err) + ", " + (syscall ? syscall : "") + args;
  ThrowWithFields(env, message, code, err, syscall);
}

void ThrowUnsupported(Napi::Env env, const std::string& what, int err, const char* syscall) {
  std::string message = what;
  if (err != 0) message += " (" + ErrnoCode(err) + " from " + (syscall ? syscall : "?") + ")";
  ThrowWithFields(env, message, "ERR_RSSLAB_UNSUPPORTED", err, syscall);
}

void ThrowUnmapped(Napi::Env env, const std::string& what) {
  Napi::Error e = Napi::Error::New(env, what + ": the region was unmapped; create a new one with mapRegion()");
  SetCode(e, "ERR_RSSLAB_UNMAPPED");
  e.ThrowAsJavaScriptException();
}

void ThrowType(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::TypeError::New(env, message);
  SetCode(e, "ERR_INVALID_ARG_TYPE");
  e.ThrowAsJavaScriptException();
}

void ThrowInvalidValue(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::TypeError::New(env, message);
  SetCode(e, "ERR_INVALID_ARG_VALUE");
  e.ThrowAsJavaScriptException();
}

void ThrowRange(Napi::Env env, const std::string& message) {
  Napi::Error e = Napi::RangeError::New(env, message);
  SetCode(e, "ERR_OUT_OF_RANGE");
  e.ThrowAsJavaScriptException();
}

bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, long long min, long long max,
            long long* out) {
  Napi::Env env = info.Env();
  // one N-API call, not two (napi_typeof, then the value): a page-by-page madvise loop converts three
  // integers per call; napi_get_value_double answers napi_number_expected for anything else
  double v = 0;
  if (i >= info.Length() || napi_get_value_double(env, info[i], &v) != napi_ok) {
    ThrowType(env, std::string("\"") + name + "\" must be a number (an integer)");
    return false;
  }
  if (!std::isfinite(v) || std::trunc(v) != v) {
    ThrowRange(env, std::string("\"") + name + "\" must be an integer, got " + std::to_string(v));
    return false;
  }
  // 2^53: beyond it doubles are not exact integers.
  if (v < static_cast<double>(min) || v > static_cast<double>(max) || std::fabs(v) > 9007199254740991.0) {
    ThrowRange(env, std::string("\"") + name + "\" must be >= " + std::to_string(min) + " and <= " +
                        std::to_string(max) + ", got " + std::to_string(static_cast<long long>(v)));
    return false;
  }
  *out = static_cast<long long>(v);
  return true;
}

bool ArgSize(const Napi::CallbackInfo& info, size_t i, const char* name, size_t* out) {
  long long v = 0;
  if (!ArgInt(info, i, name, 0, 9007199254740991LL, &v)) return false;
  *out = static_cast<size_t>(v);
  return true;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name, bool* out) {
  if (i >= info.Length() || !info[i].IsBoolean()) {
    ThrowType(info.Env(), std::string("\"") + name + "\" must be a boolean");
    return false;
  }
  *out = info[i].As<Napi::Boolean>().Value();
  return true;
}

bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out) {
  if (i >= info.Length() || !info[i].IsString()) {
    ThrowType(info.Env(), std::string("\"") + name + "\" must be a string");
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

std::string Hex(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIxPTR, reinterpret_cast<uintptr_t>(p));
  return buf;
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
}

}  // namespace rsslab
