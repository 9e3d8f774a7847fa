// An advisory lock the kernel keeps for us: flock(2) on an open file. Whoever holds the open file
// description holds the lock; the kernel drops it when that process dies in any way (SIGKILL, OOM
// kill), so "is the holder still alive?" is never guessed from a pid file. The fd is owned here
// (RAII: closed by close() or the finalizer) and opened O_CLOEXEC, so a spawned child never
// inherits — and so never keeps — the lock. Failures to lock come back as an errno value, not an
// exception: EWOULDBLOCK is the everyday answer "someone else holds it".
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "modules.h"

namespace rsslab {
namespace {

class FileLock : public Napi::ObjectWrap<FileLock> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FileLock",
                       {InstanceMethod<&FileLock::TryLock>("tryLock"), InstanceMethod<&FileLock::Close>("close"),
                        InstanceAccessor<&FileLock::Fd>("fd"), InstanceAccessor<&FileLock::Created>("created")});
  }

  // new FileLock(path): opens (creating 0600) without following a symlink at `path`; `created` says
  // whether this call made the file.
  explicit FileLock(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FileLock>(info) {
    Napi::Env env = info.Env();
    std::string path;
    if (!ArgString(info, 0, "path", &path)) return;
    if (path.empty() || path.find('\0') != std::string::npos) {
      ThrowInvalidValue(env, "\"path\" must be a non-empty path without NUL bytes");
      return;
    }
    // Open the existing file, else create it exclusively, so we know whether this call made it (an
    // empty file we did not make may be an older rsslab's pid file in the moment before it is written).
    for (int attempt = 0; attempt < 100 && fd_ < 0; attempt++) {
      int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
      if (fd >= 0) {
        fd_ = fd;
        break;
      }
      int err = errno;
      if (err == ENOENT) {
        fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd >= 0) {
          fd_ = fd;
          created_ = true;
          break;
        }
        err = errno;
        if (err == EEXIST) continue;  // someone made it between the two calls: open theirs
      }
      ThrowSystemError(env, err, "open", "(\"" + path + "\", O_RDWR|O_CLOEXEC|O_NOFOLLOW[|O_CREAT|O_EXCL])");
      return;
    }
    if (fd_ < 0) ThrowSystemError(env, EEXIST, "open", "(\"" + path + "\"): created and removed by others 100 times");
  }

  ~FileLock() override { CloseFd(); }

 private:
  // 0 when this open file now holds the exclusive lock, else the errno (EWOULDBLOCK: held elsewhere).
  Napi::Value TryLock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return Napi::Number::New(env, EBADF);
    int r;
    do {
      r = flock(fd_, LOCK_EX | LOCK_NB);
    } while (r != 0 && errno == EINTR);
    int err = r == 0 ? 0 : errno;
    return Napi::Number::New(env, err);
  }

  // Closing the only descriptor of the open file releases the lock. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseFd();
    return info.Env().Undefined();
  }

  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }
  Napi::Value Created(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), created_); }

  void CloseFd() {
    if (fd_ >= 0) {
      close(fd_);  // EINTR on close still closes on Linux: never retried
      fd_ = -1;
    }
  }

  int fd_ = -1;
  bool created_ = false;
};

}  // namespace

void InitLock(Napi::Env env, Napi::Object exports) { exports.Set("FileLock", FileLock::Define(env)); }

}  // namespace rsslab
