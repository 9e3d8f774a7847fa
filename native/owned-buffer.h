// An external ArrayBuffer over memory that an owner (any shared_ptr) keeps alive: V8 may move the
// buffer's memory to another ArrayBuffer (ArrayBuffer.prototype.transfer), so the owner is held for as
// long as V8 holds the backing store, not for as long as the first JS object lives.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <memory>
#include <string>

namespace rsslab {

// On success returns true and sets *out; the owner is released when V8 frees the backing store.
// On failure returns false with no exception pending and *refused set to why (Node's own message):
// Node 20 refuses anything above buffer.constants.MAX_LENGTH (4 GiB). The owner is then released
// (at once, or when Node runs the finalizer it was handed, whichever comes first) and the caller
// still holds its own reference.
bool NewOwnedArrayBuffer(napi_env env, void* data, size_t length, std::shared_ptr<void> owner, napi_value* out,
                         std::string* refused);

}  // namespace rsslab
