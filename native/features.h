// Which optional memory features this kernel has, probed once per process on a scratch mapping.
//
// madvise advice is probed with length 0: the kernel rejects an advice value it does not know with
// EINVAL before it looks at the range, and a known advice on an empty range returns 0 without doing
// anything (mm/madvise.c: is_valid_madvise, then "end == start"). That answers "does this kernel
// know MADV_COLLAPSE?" without side effects and without being fooled by the answers a real collapse
// can give (EAGAIN/ENOMEM when supported, EINVAL when this process has PR_SET_THP_DISABLE or the
// range has MADV_NOHUGEPAGE).
#pragma once
#include <cstdio>

#include "vm.h"

namespace rsslab {

struct Features {
  bool madvFree = false;      // Linux 4.5
  bool madvCollapse = false;  // Linux 6.1
  bool madvCold = false;      // Linux 5.4
  bool madvPageout = false;   // Linux 5.4
  bool madvHugepage = false;  // CONFIG_TRANSPARENT_HUGEPAGE
  bool vmaAnonName = false;   // CONFIG_ANON_VMA_NAME (this project's machine: no)
  size_t pageSize = 4096;
  size_t hugePageSize = 2u << 20;
};

namespace detail {

// Unmapped on every path out of the probe.
struct ScratchMapping {
  void* addr = nullptr;
  size_t length = 0;
  vm::Reservation res;
  int err = 0;
  explicit ScratchMapping(size_t len) : length(len) { err = vm::MapAnon(len, 0, &addr, &res); }
  ~ScratchMapping() {
    if (err == 0) vm::Unmap(res);
  }
  ScratchMapping(const ScratchMapping&) = delete;
  ScratchMapping& operator=(const ScratchMapping&) = delete;
};

inline size_t ReadHugePageSize() {
  size_t size = 0;
  if (FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r")) {
    unsigned long long v = 0;
    if (std::fscanf(f, "%llu", &v) == 1) size = static_cast<size_t>(v);
    std::fclose(f);
  }
  // No THP in this kernel: 2 MiB is the x86-64 and arm64 (4 KiB granule) PMD size.
  return size != 0 ? size : (2u << 20);
}

inline Features ProbeFeatures() {
  Features f;
  f.pageSize = vm::PageSize();
  f.hugePageSize = ReadHugePageSize();
  ScratchMapping scratch(f.pageSize);
  if (scratch.err != 0) return f;  // cannot probe: report every optional feature absent
  auto knows = [&](int advice) { return vm::Advise(scratch.addr, 0, advice) != EINVAL; };
  f.madvFree = knows(MADV_FREE);
  f.madvCollapse = knows(MADV_COLLAPSE);
  f.madvCold = knows(MADV_COLD);
  f.madvPageout = knows(MADV_PAGEOUT);
  f.madvHugepage = knows(MADV_HUGEPAGE);
  f.vmaAnonName = vm::SetAnonName(scratch.addr, scratch.length, "rsslab-probe") == 0;
  return f;
}

}  // namespace detail

inline const Features& GetFeatures() {
  static const Features features = detail::ProbeFeatures();
  return features;
}

}  // namespace rsslab
