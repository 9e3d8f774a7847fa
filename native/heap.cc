// C heap blocks and glibc's malloc controls (seeds 000–002): blocks freed in the middle of
// an arena stay in malloc's free lists (fordblks) and in RSS until malloc_trim returns the whole
// pages inside free chunks; small chunks between live neighbours hold no whole page and stay.
#include <dlfcn.h>
#include <malloc.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "errors.h"
#include "heap.h"
#include "modules.h"

namespace rsslab {

// ---- the block store (no N-API below this line until BlockSet) ----

BlockArray::~BlockArray() { free(items_); }

void BlockArray::Release() {
  free(items_);
  items_ = nullptr;
  len_ = cap_ = 0;
}

int BlockArray::Reserve(size_t capacity) {
  if (capacity <= cap_) return 0;
  size_t next = cap_ ? cap_ : 1024;
  while (next < capacity) next *= 2;
  void* grown = realloc(items_, next * sizeof(Block));
  if (grown == nullptr) return ENOMEM;
  items_ = static_cast<Block*>(grown);
  cap_ = next;
  return 0;
}

namespace {
uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
}  // namespace

int AllocateBlocks(size_t count, size_t minSize, size_t maxSize, uint64_t seed, BlockArray* out) {
  int err = out->Reserve(out->size() + count);
  if (err != 0) return err;
  uint64_t state = SplitMix64(seed) | 1;  // xorshift must not start at 0
  const uint64_t span = static_cast<uint64_t>(maxSize - minSize) + 1;
  for (size_t i = 0; i < count; i++) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const size_t size = minSize + static_cast<size_t>((state * 0x2545F4914F6CDD1DULL) % span);
    void* p = malloc(size);
    if (p == nullptr) return ENOMEM;
    memset(p, 0xA5, size);
    out->Push(Block{p, size});
  }
  return 0;
}

BlockStore::~BlockStore() { FreeAll(); }

int BlockStore::Allocate(size_t count, size_t minSize, size_t maxSize, uint64_t seed) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t before = blocks_.size();
  const int err = AllocateBlocks(count, minSize, maxSize, seed, &blocks_);
  for (size_t i = before; i < blocks_.size(); i++) {
    live_count_++;
    live_bytes_ += blocks_[i].size;
  }
  return err;
}

int BlockStore::Append(BlockArray* blocks) {
  std::lock_guard<std::mutex> lock(mu_);
  const int err = blocks_.Reserve(blocks_.size() + blocks->size());
  for (size_t i = 0; i < blocks->size(); i++) {
    Block b = (*blocks)[i];
    if (err != 0) {
      free(b.ptr);
      continue;
    }
    blocks_.Push(b);
    live_count_++;
    live_bytes_ += b.size;
  }
  blocks->Clear();
  return err;
}

size_t BlockStore::FreeLocked(size_t i) {
  Block& b = blocks_[i];
  if (b.ptr == nullptr) return 0;
  free(b.ptr);
  b.ptr = nullptr;
  live_count_--;
  live_bytes_ -= b.size;
  return b.size;
}

size_t BlockStore::FreeEvery(size_t k, size_t start) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t freed = 0;
  for (size_t i = start; i < blocks_.size(); i += k) freed += FreeLocked(i);
  return freed;
}

size_t BlockStore::FreeRange(size_t from, size_t to) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t freed = 0;
  for (size_t i = from; i < to && i < blocks_.size(); i++) freed += FreeLocked(i);
  return freed;
}

size_t BlockStore::FreeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t freed = 0;
  for (size_t i = 0; i < blocks_.size(); i++) freed += FreeLocked(i);
  // The index of a 10-million-block burst is 160 MiB of its own: an experiment that frees
  // everything must not leave that pinned until the JS handle is collected (seed 002's layers
  // would count it as the allocator's).
  blocks_.Release();
  return freed;
}

size_t BlockStore::Count() {
  std::lock_guard<std::mutex> lock(mu_);
  return blocks_.size();
}
size_t BlockStore::LiveCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return live_count_;
}
size_t BlockStore::LiveBytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return live_bytes_;
}

// ---- BlockSet: the JS handle ----

namespace {
constexpr napi_type_tag kBlockSetTag = {0x7273736c61622d62ULL, 0x6c6f636b7365742eULL};  // "rsslab-blockset."

class BlockSet : public Napi::ObjectWrap<BlockSet> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "BlockSet",
                       {InstanceMethod<&BlockSet::Allocate>("allocate"),
                        InstanceMethod<&BlockSet::FreeEvery>("freeEvery"),
                        InstanceMethod<&BlockSet::FreeRange>("freeRange"),
                        InstanceMethod<&BlockSet::FreeAll>("freeAll"),
                        InstanceAccessor<&BlockSet::Count>("count"),
                        InstanceAccessor<&BlockSet::LiveCount>("liveCount"),
                        InstanceAccessor<&BlockSet::LiveBytes>("liveBytes")});
  }

  explicit BlockSet(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BlockSet>(info) {
    info.This().As<Napi::Object>().TypeTag(&kBlockSetTag);
  }

  BlockStore store;

 private:
  Napi::Value Allocate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t count, minSize, maxSize;
    long long seed;
    if (!ArgSize(info, 0, "count", &count) || !ArgSize(info, 1, "minSize", &minSize) ||
        !ArgSize(info, 2, "maxSize", &maxSize) || !ArgInt(info, 3, "seed", 0, (1LL << 53) - 1, &seed)) {
      return env.Undefined();
    }
    if (count > kMaxBlocksPerCall) {
      ThrowRange(env, "count must be at most " + std::to_string(kMaxBlocksPerCall) + ", got " + std::to_string(count));
      return env.Undefined();
    }
    if (minSize < 1 || maxSize > kMaxBlockSize || minSize > maxSize) {
      ThrowRange(env, "need 1 <= minSize <= maxSize <= " + std::to_string(kMaxBlockSize) + ", got minSize " +
                          std::to_string(minSize) + ", maxSize " + std::to_string(maxSize));
      return env.Undefined();
    }
    const int err = store.Allocate(count, minSize, maxSize, static_cast<uint64_t>(seed));
    if (err != 0) {
      ThrowSystemError(env, err, "malloc",
                       "(" + std::to_string(minSize) + ".." + std::to_string(maxSize) + " bytes) for " + std::to_string(count) +
                           " blocks; the blocks allocated before the failure are kept");
    }
    return env.Undefined();
  }

  Napi::Value FreeEvery(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t k, start;
    if (!ArgSize(info, 0, "k", &k) || !ArgSize(info, 1, "start", &start)) return env.Undefined();
    if (k < 1) {
      ThrowRange(env, "k must be >= 1 (1 frees every block from start), got 0");
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(store.FreeEvery(k, start)));
  }

  Napi::Value FreeRange(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t from, to;
    if (!ArgSize(info, 0, "from", &from) || !ArgSize(info, 1, "to", &to)) return env.Undefined();
    const size_t count = store.Count();
    if (from > to || to > count) {
      ThrowRange(env, "need 0 <= from <= to <= count (" + std::to_string(count) + "), got from " +
                          std::to_string(from) + ", to " + std::to_string(to));
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(store.FreeRange(from, to)));
  }

  Napi::Value FreeAll(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(store.FreeAll()));
  }
  Napi::Value Count(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(store.Count()));
  }
  Napi::Value LiveCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(store.LiveCount()));
  }
  Napi::Value LiveBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(store.LiveBytes()));
  }
};
}  // namespace

BlockStore* UnwrapBlockSet(Napi::Value v) {
  if (!v.IsObject()) return nullptr;
  Napi::Object o = v.As<Napi::Object>();
  if (!o.CheckTypeTag(&kBlockSetTag)) return nullptr;
  BlockSet* set = BlockSet::Unwrap(o);
  return set == nullptr ? nullptr : &set->store;
}

// ---- glibc's malloc controls ----

void* GlibcSymbol(const char* name) {
  static void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  return libc == nullptr ? nullptr : dlsym(libc, name);
}

namespace {
template <typename Fn>
Fn GlibcFn(Napi::Env env, const char* name) {
  Fn fn = reinterpret_cast<Fn>(GlibcSymbol(name));
  if (fn == nullptr) ThrowUnsupported(env, std::string(name) + " is not available: glibc's malloc functions were not found in libc.so.6", 0, "dlsym");
  return fn;
}

Napi::Value MallocTrim(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t pad;
  if (!ArgSize(info, 0, "pad", &pad)) return env.Undefined();
  auto fn = GlibcFn<int (*)(size_t)>(env, "malloc_trim");
  if (fn == nullptr) return env.Undefined();
  return Napi::Boolean::New(env, fn(pad) == 1);
}

struct MalloptName {
  const char* name;
  int param;
};
constexpr MalloptName kMalloptNames[] = {
    {"mmapThreshold", M_MMAP_THRESHOLD}, {"trimThreshold", M_TRIM_THRESHOLD},
    {"arenaMax", M_ARENA_MAX},           {"topPad", M_TOP_PAD},
};

Napi::Value Mallopt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  long long value;
  if (!ArgString(info, 0, "param", &name) || !ArgInt(info, 1, "value", 0, 0x7fffffff, &value)) return env.Undefined();
  int param = 0;
  bool found = false;
  std::string names;
  for (const MalloptName& m : kMalloptNames) {
    if (name == m.name) param = m.param, found = true;
    names += names.empty() ? m.name : std::string(", ") + m.name;
  }
  if (!found) {
    ThrowInvalidValue(env, "param must be one of " + names + ", got \"" + name + "\"");
    return env.Undefined();
  }
  auto fn = GlibcFn<int (*)(int, int)>(env, "mallopt");
  if (fn == nullptr) return env.Undefined();
  return Napi::Boolean::New(env, fn(param, static_cast<int>(value)) == 1);
}

Napi::Value Mallinfo2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto fn = GlibcFn<struct mallinfo2 (*)()>(env, "mallinfo2");
  if (fn == nullptr) return env.Undefined();
  const struct mallinfo2 m = fn();
  Napi::Object o = Napi::Object::New(env);
  o.Set("arena", static_cast<double>(m.arena));
  o.Set("ordblks", static_cast<double>(m.ordblks));
  o.Set("smblks", static_cast<double>(m.smblks));
  o.Set("hblks", static_cast<double>(m.hblks));
  o.Set("hblkhd", static_cast<double>(m.hblkhd));
  o.Set("usmblks", static_cast<double>(m.usmblks));
  o.Set("fsmblks", static_cast<double>(m.fsmblks));
  o.Set("uordblks", static_cast<double>(m.uordblks));
  o.Set("fordblks", static_cast<double>(m.fordblks));
  o.Set("keepcost", static_cast<double>(m.keepcost));
  return o;
}

// The raw XML; src/core/heap.ts parses it (testable against fixtures captured on this machine).
Napi::Value MallocInfoXml(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto fn = GlibcFn<int (*)(int, FILE*)>(env, "malloc_info");
  if (fn == nullptr) return env.Undefined();
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (f == nullptr) {
    ThrowSystemError(env, errno, "open_memstream", "()");
    return env.Undefined();
  }
  const int rc = fn(0, f);
  const int err = rc != 0 ? errno : 0;
  fclose(f);  // finalises buf/len
  std::string xml(buf == nullptr ? "" : buf, len);
  free(buf);
  if (rc != 0) {
    ThrowSystemError(env, err, "malloc_info", "(0, memstream)");
    return env.Undefined();
  }
  return Napi::String::New(env, xml);
}
}  // namespace

void InitHeap(Napi::Env env, Napi::Object exports) {
  exports.Set("BlockSet", BlockSet::Define(env));
  exports.Set("mallocTrim", Napi::Function::New(env, MallocTrim, "mallocTrim"));
  exports.Set("mallopt", Napi::Function::New(env, Mallopt, "mallopt"));
  exports.Set("mallinfo2", Napi::Function::New(env, Mallinfo2, "mallinfo2"));
  exports.Set("mallocInfo", Napi::Function::New(env, MallocInfoXml, "mallocInfo"));
}

}  // namespace rsslab
