// errno → JS error, shaped like Node's own system errors (one contract across the addon boundary):
//   SystemError: message "EINVAL: Invalid argument, madvise(0x7f.., 4096, MADV_COLLAPSE)",
//                properties code ("EINVAL"), errno (22), syscall ("madvise").
// The JS class is handed to native once (setErrorClass), so errors are instanceof-safe.
// Callers capture errno right after the failing call and pass it in; nothing here reads errno.
// All Throw* functions set a pending JS exception; the caller then returns env.Undefined().
#pragma once
#include <napi.h>
#include <string>

namespace rsslab {

// A failed system or libc call. `err` is the errno value captured right after the call.
void ThrowSystemError(Napi::Env env, int err, const char* syscall, const std::string& args);

// A kernel or libc feature this machine lacks (MADV_COLLAPSE before 6.1, MADV_FREE before 4.5...):
// code "ERR_RSSLAB_UNSUPPORTED", with errno/syscall when a call revealed it. `what` is the whole
// sentence ("madvise(MADV_COLLAPSE) is not supported by this kernel (Linux 6.1+)").
void ThrowUnsupported(Napi::Env env, const std::string& what, int err, const char* syscall);

// Use of a handle after unmap()/free: code "ERR_RSSLAB_UNMAPPED" (a plain Error).
void ThrowUnmapped(Napi::Env env, const std::string& what);

// Bad arguments that reach native despite JS validation: TypeError code ERR_INVALID_ARG_TYPE,
// RangeError code ERR_OUT_OF_RANGE. Never a crash.
void ThrowType(Napi::Env env, const std::string& message);
void ThrowRange(Napi::Env env, const std::string& message);
// A value of the right type outside an enumeration (unknown advice name): TypeError code ERR_INVALID_ARG_VALUE.
void ThrowInvalidValue(Napi::Env env, const std::string& message);

// Typed guards: read argument i as a non-negative safe integer / boolean / string. On failure they
// throw (TypeError/RangeError naming `name`) and return false.
bool ArgSize(const Napi::CallbackInfo& info, size_t i, const char* name, size_t* out);
bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, long long min, long long max, long long* out);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name, bool* out);
bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out);

// "0x7f12..." for messages.
std::string Hex(const void* p);

}  // namespace rsslab
