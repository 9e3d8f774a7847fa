// Why not Napi::ArrayBuffer::New(env, data, length, finalizer, hint): when Node refuses the buffer,
// node::Buffer::New (which napi_create_external_arraybuffer goes through) runs the finalizer it was
// handed before it returns the failure — directly in some Node versions, from SetImmediate in others —
// and node-addon-api then deletes its finalizer data a second time ("double free detected in tcache 2"
// for a 4 GiB + 1 page region on Node 20). So the hint here is a number, never a pointer: the
// finalizer and the failure path each take the number's entry out of a table, whichever comes first,
// and the other finds nothing. Numbers are never reused, so a late finalizer cannot take a new entry.
#include "owned-buffer.h"

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace rsslab {
namespace {

struct Owners {
  std::mutex mu;
  uint64_t next = 1;
  std::unordered_map<uint64_t, std::shared_ptr<void>> held;
};

// Leaked on purpose: a finalizer may run during teardown, after static destructors would have run.
Owners& Table() {
  static Owners* owners = new Owners();
  return *owners;
}

// Returns the owner to release outside the lock (its destructor may munmap and call into N-API).
std::shared_ptr<void> Take(uint64_t id) {
  Owners& t = Table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.held.find(id);
  if (it == t.held.end()) return nullptr;
  std::shared_ptr<void> owner = std::move(it->second);
  t.held.erase(it);
  return owner;
}

void Finalize(napi_env, void*, void* hint) { Take(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(hint))); }

std::string PendingMessage(napi_env env, napi_status status) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return "napi_create_external_arraybuffer failed with status " + std::to_string(status);
  napi_value exc = nullptr, message = nullptr;
  napi_get_and_clear_last_exception(env, &exc);
  std::string text = "no message";
  size_t len = 0;
  if (exc != nullptr && napi_get_named_property(env, exc, "message", &message) == napi_ok &&
      napi_get_value_string_utf8(env, message, nullptr, 0, &len) == napi_ok) {
    text.assign(len, '\0');
    napi_get_value_string_utf8(env, message, text.data(), len + 1, &len);
  }
  // a throwing getter above would leave another exception: the caller reports `refused`, not that
  napi_is_exception_pending(env, &pending);
  if (pending) napi_get_and_clear_last_exception(env, &exc);
  return text;
}

}  // namespace

bool NewOwnedArrayBuffer(napi_env env, void* data, size_t length, std::shared_ptr<void> owner, napi_value* out,
                         std::string* refused) {
  uint64_t id = 0;
  {
    Owners& t = Table();
    std::lock_guard<std::mutex> lock(t.mu);
    id = t.next++;
    t.held.emplace(id, std::move(owner));
  }
  napi_status status =
      napi_create_external_arraybuffer(env, data, length, Finalize, reinterpret_cast<void*>(static_cast<uintptr_t>(id)), out);
  if (status == napi_ok) return true;
  *refused = PendingMessage(env, status);
  Take(id);  // nothing if Node already ran Finalize
  return false;
}

}  // namespace rsslab
