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
                        InstanceAccessor<&FileLock::Fd>("fd")});
  }

  // new FileLock(path): opens (creating 0600) without following a symlink at `path`.
  explicit FileLock(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FileLock>(info) {
    Napi::Env env = info.Env();
    std::string path;
    if (!ArgString(info, 0, "path", &path)) return;
    if (path.empty() || path.find('\0') != std::string::npos) {
      ThrowInvalidValue(env, "\"path\" must be a non-empty path without NUL bytes");
      return;
    }
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) {
      int err = errno;
      ThrowSystemError(env, err, "open", "(\"" + path + "\", O_RDWR|O_CREAT|O_CLOEXEC|O_NOFOLLOW)");
      return;
    }
    fd_ = fd;
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

  void CloseFd() {
    if (fd_ >= 0) {
      close(fd_);  // EINTR on close still closes on Linux: never retried
      fd_ = -1;
    }
  }

  int fd_ = -1;
};

}  // namespace

void InitLock(Napi::Env env, Napi::Object exports) { exports.Set("FileLock", FileLock::Define(env)); }

}  // namespace rsslab
