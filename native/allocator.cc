// Which malloc is live, found at run time (no link-time dependency on any allocator).
// The decisive signal is the shared object that `malloc` resolves to in the global scope: a
// library can be loaded without interposing malloc, and under LD_PRELOAD the preloaded allocator
// also serves Node's own mallocs. Each allocator's extension symbols count only when they live in
// that same object. Stats and purge then speak that allocator's own API.
#include <dlfcn.h>
#include <link.h>
#include <malloc.h>
#include <cstdint>
#include <cstring>
#include <string>

#include "errors.h"
#include "heap.h"
#include "modules.h"

namespace rsslab {
namespace {

enum class Kind { kGlibc, kJemalloc, kMimalloc, kTcmalloc, kUnknown };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kGlibc: return "glibc";
    case Kind::kJemalloc: return "jemalloc";
    case Kind::kMimalloc: return "mimalloc";
    case Kind::kTcmalloc: return "tcmalloc";
    default: return "unknown";
  }
}

using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);
using MiVersionFn = int (*)();
using MiCollectFn = void (*)(bool);
using MiProcessInfoFn = void (*)(size_t*, size_t*, size_t*, size_t*, size_t*, size_t*, size_t*, size_t*);
using TcGetPropertyFn = int (*)(const char*, size_t*);
using TcVersionFn = const char* (*)(int*, int*, const char**);
using TcReleaseFn = void (*)();

struct Live {
  Kind kind = Kind::kUnknown;
  void* handle = nullptr;       // dlopen handle of the object that defines the live malloc
  void* malloc_base = nullptr;  // its load address (dli_fbase)
  std::string library;
  MallctlFn mallctl = nullptr;
};

// True when `addr` is a definition in some object. Not the case for the address dlsym returns
// for `malloc` in a non-PIE executable such as Debian's node: that is the executable's canonical
// PLT stub, an undefined symbol given a value so function pointers compare equal.
bool IsDefinition(void* addr, Dl_info* di) {
  void* entry = nullptr;
  if (dladdr1(addr, di, &entry, RTLD_DL_SYMENT) == 0 || entry == nullptr) return false;
  return static_cast<const ElfW(Sym)*>(entry)->st_shndx != SHN_UNDEF;
}

// The first object in load order (the global lookup scope: executable, LD_PRELOAD, then
// dependencies) that defines malloc is the one every malloc call binds to.
bool FindMallocDefinition(Live* l) {
  void* m = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info di;
  if (m != nullptr && IsDefinition(m, &di)) {
    l->malloc_base = di.dli_fbase;
    l->library = di.dli_fname != nullptr ? di.dli_fname : "";
    l->handle = dlopen(di.dli_fname != nullptr && di.dli_fname[0] != '\0' ? di.dli_fname : nullptr, RTLD_LAZY | RTLD_NOLOAD);
    return l->handle != nullptr;
  }
  struct link_map* map = nullptr;
  void* self = dlopen(nullptr, RTLD_LAZY);
  if (self == nullptr || dlinfo(self, RTLD_DI_LINKMAP, &map) != 0) return false;
  for (; map != nullptr; map = map->l_next) {
    if (map->l_name == nullptr || map->l_name[0] == '\0') continue;
    void* h = dlopen(map->l_name, RTLD_LAZY | RTLD_NOLOAD);
    if (h == nullptr) continue;
    void* s = dlsym(h, "malloc");
    if (s != nullptr && IsDefinition(s, &di) && di.dli_fname != nullptr && strcmp(di.dli_fname, map->l_name) == 0) {
      l->handle = h;  // kept open for the life of the process, like the allocator itself
      l->malloc_base = di.dli_fbase;
      l->library = map->l_name;
      return true;
    }
    dlclose(h);
  }
  return false;
}

// The symbol `name`, but only when it is defined in the same object as the live malloc.
void* SymInMalloc(const Live& live, const char* name) {
  if (live.handle == nullptr) return nullptr;
  void* s = dlsym(live.handle, name);
  Dl_info di;
  if (s == nullptr || !IsDefinition(s, &di) || di.dli_fbase != live.malloc_base) return nullptr;
  return s;
}

const Live& Detect() {
  // The live allocator cannot change after the process started, so detect once.
  static const Live live = [] {
    Live l;
    if (!FindMallocDefinition(&l)) return l;
    // jemalloc built with a prefix exports je_mallctl; the plain name is Debian's build.
    for (const char* name : {"mallctl", "je_mallctl"}) {
      if (void* s = SymInMalloc(l, name)) {
        l.kind = Kind::kJemalloc;
        l.mallctl = reinterpret_cast<MallctlFn>(s);
        return l;
      }
    }
    if (SymInMalloc(l, "mi_version") != nullptr) l.kind = Kind::kMimalloc;
    else if (SymInMalloc(l, "MallocExtension_GetNumericProperty") != nullptr) l.kind = Kind::kTcmalloc;
    else if (SymInMalloc(l, "gnu_get_libc_version") != nullptr) l.kind = Kind::kGlibc;
    return l;
  }();
  return live;
}

Napi::Value NullableString(Napi::Env env, const std::string& s) {
  return s.empty() ? env.Null() : Napi::String::New(env, s);
}

std::string Version(const Live& l) {
  switch (l.kind) {
    case Kind::kJemalloc: {
      const char* v = nullptr;
      size_t sz = sizeof(v);
      return l.mallctl("version", &v, &sz, nullptr, 0) == 0 && v != nullptr ? v : "";
    }
    case Kind::kMimalloc: {
      // mi_version() is major*100 + minor*10 + patch: 209 is 2.0.9.
      const int v = reinterpret_cast<MiVersionFn>(SymInMalloc(l, "mi_version"))();
      return std::to_string(v / 100) + "." + std::to_string((v % 100) / 10) + "." + std::to_string(v % 10);
    }
    case Kind::kTcmalloc: {
      auto fn = reinterpret_cast<TcVersionFn>(SymInMalloc(l, "tc_version"));
      if (fn == nullptr) return "";
      int major = 0, minor = 0;
      const char* patch = "";
      fn(&major, &minor, &patch);
      return std::to_string(major) + "." + std::to_string(minor) + (patch != nullptr ? patch : "");
    }
    case Kind::kGlibc: {
      auto fn = reinterpret_cast<const char* (*)()>(SymInMalloc(l, "gnu_get_libc_version"));
      return fn != nullptr ? fn() : "";
    }
    default: return "";
  }
}

Napi::Value AllocatorInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Live& l = Detect();
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", KindName(l.kind));
  o.Set("version", NullableString(env, Version(l)));
  o.Set("library", NullableString(env, l.library));
  return o;
}

// One figure, or null when this allocator (or this build of it) has no such figure.
struct Figure {
  bool known = false;
  size_t value = 0;
};
Figure Known(size_t v) { return Figure{true, v}; }

struct Stats {
  Figure allocated, active, resident, mapped, retained, metadata, free;
};

Figure MallctlSize(MallctlFn fn, const char* name) {
  size_t v = 0, sz = sizeof(v);
  return fn(name, &v, &sz, nullptr, 0) == 0 ? Known(v) : Figure{};
}

Stats JemallocStats(const Live& l) {
  Stats s;
  // jemalloc's stats are a snapshot refreshed only when "epoch" is written.
  uint64_t epoch = 1;
  size_t esz = sizeof(epoch);
  l.mallctl("epoch", &epoch, &esz, &epoch, sizeof(epoch));
  s.allocated = MallctlSize(l.mallctl, "stats.allocated");
  s.active = MallctlSize(l.mallctl, "stats.active");
  s.resident = MallctlSize(l.mallctl, "stats.resident");
  s.mapped = MallctlSize(l.mallctl, "stats.mapped");
  s.retained = MallctlSize(l.mallctl, "stats.retained");
  s.metadata = MallctlSize(l.mallctl, "stats.metadata");
  // Free but not returned: dirty and muzzy pages of all arenas (4096 = MALLCTL_ARENAS_ALL),
  // still in RSS until decay or a purge gives them back.
  const Figure page = MallctlSize(l.mallctl, "arenas.page");
  const Figure dirty = MallctlSize(l.mallctl, "stats.arenas.4096.pdirty");
  const Figure muzzy = MallctlSize(l.mallctl, "stats.arenas.4096.pmuzzy");
  if (page.known && dirty.known && muzzy.known) s.free = Known((dirty.value + muzzy.value) * page.value);
  return s;
}

Stats TcmallocStats(const Live& l) {
  Stats s;
  auto get = reinterpret_cast<TcGetPropertyFn>(SymInMalloc(l, "MallocExtension_GetNumericProperty"));
  auto prop = [get](const char* name) {
    size_t v = 0;
    return get(name, &v) != 0 ? Known(v) : Figure{};
  };
  s.allocated = prop("generic.current_allocated_bytes");
  s.mapped = prop("generic.heap_size");
  s.resident = prop("generic.total_physical_bytes");
  s.retained = prop("tcmalloc.pageheap_unmapped_bytes");
  // Free inside tcmalloc: the page heap plus the central, transfer and per-thread caches.
  Figure parts[] = {prop("tcmalloc.pageheap_free_bytes"), prop("tcmalloc.central_cache_free_bytes"),
                    prop("tcmalloc.transfer_cache_free_bytes"), prop("tcmalloc.thread_cache_free_bytes")};
  size_t free_sum = 0;
  bool all = true;
  for (const Figure& f : parts) all = all && f.known, free_sum += f.value;
  if (all) s.free = Known(free_sum);
  // gperftools defines total_physical_bytes = heap_size - unmapped + metadata; it has no
  // metadata property of its own, so recover it from that identity.
  if (s.resident.known && s.mapped.known && s.retained.known &&
      s.resident.value + s.retained.value >= s.mapped.value) {
    s.metadata = Known(s.resident.value + s.retained.value - s.mapped.value);
  }
  return s;
}

Stats MimallocStats(const Live& l) {
  Stats s;
  // A release build of mimalloc 2.0 does not count allocated bytes (MI_STAT=0); mi_process_info
  // reports committed memory, and its "current_rss" on Linux is that same commit figure, so
  // only `mapped` is honest.
  auto fn = reinterpret_cast<MiProcessInfoFn>(SymInMalloc(l, "mi_process_info"));
  if (fn == nullptr) return s;
  size_t elapsed = 0, user = 0, sys = 0, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0, faults = 0;
  fn(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
  s.mapped = Known(commit);
  return s;
}

Stats GlibcStats() {
  Stats s;
  auto fn = reinterpret_cast<struct mallinfo2 (*)()>(GlibcSymbol("mallinfo2"));
  if (fn == nullptr) return s;
  const struct mallinfo2 m = fn();
  s.allocated = Known(m.uordblks + m.hblkhd);
  s.free = Known(m.fordblks);
  s.mapped = Known(m.arena + m.hblkhd);
  return s;
}

Napi::Value FigureValue(Napi::Env env, const Figure& f) {
  return f.known ? Napi::Number::New(env, static_cast<double>(f.value)) : env.Null();
}

Napi::Value AllocatorStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Live& l = Detect();
  Stats s;
  switch (l.kind) {
    case Kind::kJemalloc: s = JemallocStats(l); break;
    case Kind::kTcmalloc: s = TcmallocStats(l); break;
    case Kind::kMimalloc: s = MimallocStats(l); break;
    case Kind::kGlibc: s = GlibcStats(); break;
    default: break;
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("allocator", KindName(l.kind));
  o.Set("allocated", FigureValue(env, s.allocated));
  o.Set("active", FigureValue(env, s.active));
  o.Set("resident", FigureValue(env, s.resident));
  o.Set("mapped", FigureValue(env, s.mapped));
  o.Set("retained", FigureValue(env, s.retained));
  o.Set("metadata", FigureValue(env, s.metadata));
  o.Set("free", FigureValue(env, s.free));
  return o;
}

Napi::Value AllocatorPurge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Live& l = Detect();
  switch (l.kind) {
    case Kind::kJemalloc: {
      // 4096 is MALLCTL_ARENAS_ALL: purge dirty and muzzy pages of every arena now.
      const char* name = "arena.4096.purge";
      const int err = l.mallctl(name, nullptr, nullptr, nullptr, 0);
      if (err != 0) {
        ThrowSystemError(env, err, "mallctl", std::string("(\"") + name + "\")");
        return env.Undefined();
      }
      return Napi::String::New(env, name);
    }
    case Kind::kMimalloc: {
      auto fn = reinterpret_cast<MiCollectFn>(SymInMalloc(l, "mi_collect"));
      if (fn == nullptr) break;
      fn(true);
      return Napi::String::New(env, "mi_collect(true)");
    }
    case Kind::kTcmalloc: {
      auto fn = reinterpret_cast<TcReleaseFn>(SymInMalloc(l, "MallocExtension_ReleaseFreeMemory"));
      if (fn == nullptr) break;
      fn();
      return Napi::String::New(env, "MallocExtension_ReleaseFreeMemory()");
    }
    case Kind::kGlibc: {
      auto fn = reinterpret_cast<int (*)(size_t)>(GlibcSymbol("malloc_trim"));
      if (fn == nullptr) break;
      fn(0);
      return Napi::String::New(env, "malloc_trim(0)");
    }
    default: break;
  }
  ThrowUnsupported(env, std::string("purging the live allocator (") + KindName(l.kind) + ", " +
                            (l.library.empty() ? "unknown library" : l.library) + ") is not supported: rsslab knows glibc, jemalloc, mimalloc and tcmalloc", 0, nullptr);
  return env.Undefined();
}

}  // namespace

void InitAllocator(Napi::Env env, Napi::Object exports) {
  exports.Set("allocatorInfo", Napi::Function::New(env, AllocatorInfo, "allocatorInfo"));
  exports.Set("allocatorStats", Napi::Function::New(env, AllocatorStats, "allocatorStats"));
  exports.Set("allocatorPurge", Napi::Function::New(env, AllocatorPurge, "allocatorPurge"));
}

}  // namespace rsslab
