// The C-heap block store shared by heap.cc (the JS BlockSet) and workload.cc (native threads).
// Nothing here touches N-API or throws: functions return 0 or an errno value (mimalloc's os.c
// contract), so the store can be driven from pthreads that must never see a JS exception.
#pragma once
#include <napi.h>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace rsslab {

struct Block {
  void* ptr;    // nullptr once freed; the slot stays so indexes are stable
  size_t size;  // requested bytes
};

// A growable array of blocks kept in malloc'd memory with realloc, so growth failure is an
// ENOMEM value rather than a std::bad_alloc the addon (built without exceptions) cannot catch.
class BlockArray {
 public:
  BlockArray() = default;
  BlockArray(const BlockArray&) = delete;
  BlockArray& operator=(const BlockArray&) = delete;
  ~BlockArray();                 // frees the array, never the blocks it points to
  int Reserve(size_t capacity);  // 0 or ENOMEM
  void Push(Block b) { items_[len_++] = b; }  // caller reserved first
  size_t size() const { return len_; }
  Block& operator[](size_t i) { return items_[i]; }
  void Clear() { len_ = 0; }
  // Gives the array itself back to malloc (16 bytes per block ever held).
  void Release();

 private:
  Block* items_ = nullptr;
  size_t len_ = 0;
  size_t cap_ = 0;
};

// Sizes drawn uniformly from [minSize, maxSize] by a seeded xorshift64*, so a run is replayable.
// Every block is written in full: malloc'd but untouched pages would not count in RSS.
// Appends to `out` as it goes; on malloc failure returns ENOMEM with what succeeded kept in `out`.
int AllocateBlocks(size_t count, size_t minSize, size_t maxSize, uint64_t seed, BlockArray* out);

// Every block of a BlockSet, guarded by a mutex because runOnThreads fills it from pthreads.
class BlockStore {
 public:
  ~BlockStore();  // RAII: whatever is still live goes back to malloc
  int Allocate(size_t count, size_t minSize, size_t maxSize, uint64_t seed);
  int Append(BlockArray* blocks);  // moves the blocks in (0 or ENOMEM; on ENOMEM they are freed)
  size_t FreeEvery(size_t k, size_t start);
  size_t FreeRange(size_t from, size_t to);
  size_t FreeAll();
  size_t Count();
  size_t LiveCount();
  size_t LiveBytes();

 private:
  size_t FreeLocked(size_t i);
  std::mutex mu_;
  BlockArray blocks_;
  size_t live_count_ = 0;
  size_t live_bytes_ = 0;
};

// The BlockStore behind a JS BlockSet, or nullptr when `v` is not one (checked by type tag,
// so a forged object cannot be unwrapped into a wild pointer).
BlockStore* UnwrapBlockSet(Napi::Value v);

// glibc's own malloc extension functions, looked up in libc.so.6 itself rather than in the global
// scope: under LD_PRELOAD of tcmalloc, `mallopt` would otherwise resolve to tcmalloc's no-op stub.
// These always act on glibc's heap, which is idle when another allocator is live.
// Returns nullptr when libc.so.6 or the symbol is absent (musl, glibc < 2.33 for mallinfo2).
void* GlibcSymbol(const char* name);

// Limits enforced natively as well as in src/core/heap.ts.
constexpr size_t kMaxBlocksPerCall = size_t{1} << 26;
constexpr size_t kMaxBlockSize = size_t{1} << 30;

}  // namespace rsslab
