// The OS boundary for anonymous memory (mimalloc's prim.c style): every function returns 0 or the errno
// captured right after the call, so no caller above this file ever reads errno.
// Contract: addresses passed in are page aligned; lengths are in bytes.
#pragma once
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstddef>

// Values from the kernel uapi (include/uapi/asm-generic/mman-common.h, include/uapi/linux/prctl.h) for
// libc headers older than the kernel: the kernel decides at run time, features() probes it.
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_SET_VMA_ANON_NAME
#define PR_SET_VMA_ANON_NAME 0
#endif

namespace rsslab::vm {

inline size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// A mapping as the kernel holds it: the caller's range [addr, addr + length) plus the guard pages
// around it, all of which Unmap() releases together.
struct Reservation {
  void* base = nullptr;  // first guard page
  size_t total = 0;      // bytes from base, guards included
};

// Anonymous private read/write mapping of `length` bytes (a multiple of the page size) whose start is
// `align`-aligned (0: page-aligned), with one PROT_NONE guard page on each side.
// Why the alignment: THP can back only PMD-aligned 2 MiB ranges with a huge page, so we over-map by
// `align` and unmap the excess. Why the guards: the kernel merges adjacent anonymous VMAs with equal
// flags, and a region merged with its neighbour no longer starts its own line in /proc/<pid>/smaps;
// rsslab finds a region there by its address. A PROT_NONE page never merges with rw-p.
inline int MapAnon(size_t length, size_t align, void** addr, Reservation* res) {
  const size_t page = PageSize();
  const size_t a = align > page ? align : page;
  const size_t extra = 2 * page + (a > page ? a : 0);
  if (length + extra < length) return ENOMEM;
  const size_t total = length + extra;
  void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return errno;
  const uintptr_t base = reinterpret_cast<uintptr_t>(p);
  const uintptr_t start = (base + page + a - 1) & ~(static_cast<uintptr_t>(a) - 1);
  const uintptr_t lo = start - page;            // low guard
  const uintptr_t hi = start + length;          // high guard
  const uintptr_t end = hi + page;
  // Trimming our own fresh mapping can fail only on the VMA count limit; the excess then stays mapped
  // (never resident, never touched) until Unmap, which covers it.
  uintptr_t keepLo = lo, keepHi = end;
  if (lo > base && munmap(p, lo - base) != 0) keepLo = base;
  if (base + total > end && munmap(reinterpret_cast<void*>(end), base + total - end) != 0) keepHi = base + total;
  if (mprotect(reinterpret_cast<void*>(lo), page, PROT_NONE) != 0 ||
      mprotect(reinterpret_cast<void*>(hi), page, PROT_NONE) != 0) {
    int err = errno;
    munmap(reinterpret_cast<void*>(keepLo), keepHi - keepLo);
    return err;
  }
  *addr = reinterpret_cast<void*>(start);
  res->base = reinterpret_cast<void*>(keepLo);
  res->total = keepHi - keepLo;
  return 0;
}

inline int Unmap(const Reservation& res) { return munmap(res.base, res.total) == 0 ? 0 : errno; }

inline int Advise(void* addr, size_t length, int advice) {
  return madvise(addr, length, advice) == 0 ? 0 : errno;
}

// One byte per page in `vec` (length pages); bit 0 set when the page is resident.
inline int Residency(void* addr, size_t length, unsigned char* vec) {
  return mincore(addr, length, vec) == 0 ? 0 : errno;
}

// The name shows in /proc/<pid>/maps as [anon:<name>]; needs CONFIG_ANON_VMA_NAME (EINVAL without it).
inline int SetAnonName(void* addr, size_t length, const char* name) {
  return prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, reinterpret_cast<unsigned long>(addr), length,
               reinterpret_cast<unsigned long>(name)) == 0
             ? 0
             : errno;
}

}  // namespace rsslab::vm
