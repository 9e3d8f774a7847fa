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

// Anonymous private read/write mapping. With `align` > page size, over-map by `align` and unmap the
// two ends so the start is `align`-aligned: THP can only back PMD-aligned 2 MiB ranges with a huge page.
inline int MapAnon(size_t length, size_t align, void** out) {
  size_t page = PageSize();
  size_t extra = align > page ? align : 0;
  if (length + extra < length) return ENOMEM;
  void* p = mmap(nullptr, length + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return errno;
  if (extra == 0) {
    *out = p;
    return 0;
  }
  uintptr_t base = reinterpret_cast<uintptr_t>(p);
  uintptr_t start = (base + align - 1) & ~(static_cast<uintptr_t>(align) - 1);
  size_t head = start - base;
  size_t tail = extra - head;
  // munmap of a sub-range of our own fresh mapping cannot fail except on ENOMEM for VMA splits;
  // if it does, the ends stay mapped (a leak of at most `align`, never a crash).
  if (head != 0) munmap(p, head);
  if (tail != 0) munmap(reinterpret_cast<void*>(start + length), tail);
  *out = reinterpret_cast<void*>(start);
  return 0;
}

inline int Unmap(void* addr, size_t length) { return munmap(addr, length) == 0 ? 0 : errno; }

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
