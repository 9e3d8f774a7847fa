// Page-map classification: pagemap entries (already read by the caller with one pread for the range)
// plus /proc/kpageflags, read here in runs of adjacent PFNs, into one character per page — the same
// kinds as src/probe/pagemap.ts (classifyFlags): '.' absent or the shared zero page, 's' swapped,
// 'r' resident, 'H' part of a transparent (or hugetlbfs) huge folio, 'L' lazily freed (MADV_FREE).
//
// Why native: the JS decode touched every 4 KiB page several times (a Float64Array of PFNs, a full
// sort of them, a binary search per page) — ~100 ms of CPU for 1 GiB. Here the pages are grouped
// first into runs that are contiguous in both virtual and physical memory (a huge page is one run of
// 512; 1 GiB of small pages measured ~76k runs), and only the runs are sorted and matched to reads.
//
// PMD-mapped huge pages cost one kpageflags entry, not 512: given the pagemap's descriptor and the
// range's start, the PAGEMAP_SCAN ioctl (Linux 6.7+) says which 2 MiB blocks are mapped by one PMD
// (PAGE_IS_HUGE: a THP or hugetlb folio), and every page of one folio reads the same bits we use
// (fs/proc/page.c stable_page_flags: anon, swapbacked, THP/hugetlb and the huge zero page are folio
// properties), so the head's entry classifies the block. Small pages still need an entry each: the
// lazily-freed bit and "part of a large folio" exist only there. Without the ioctl (older kernel,
// ENOTTY/EINVAL) or without the descriptor every PFN is read, as before.
//
// Contract: classifyPageMap(pagemap, pageCount, kpageflagsFd, out[, pagemapFd, startAddress, stats])
// → 1 when kpageflags classified the pages, 0 when only present/swapped bits were used (no fd, or no
// PFN visible: unprivileged). stats (Float64Array ≥ 3), when given: kpageflags entries read, preads,
// blocks classified from their head. A failed or short read of kpageflags throws a SystemError (code,
// errno, syscall 'pread'); a failed PAGEMAP_SCAN only means every PFN is read.
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"
#include "features.h"
#include "modules.h"

namespace rsslab {
namespace {

// Bits of a pagemap entry (Documentation/admin-guide/mm/pagemap.rst).
constexpr uint64_t kPresent = 1ULL << 63;
constexpr uint64_t kSwapped = 1ULL << 62;
constexpr uint64_t kPfnMask = (1ULL << 55) - 1;

// kpageflags bits (include/uapi/linux/kernel-page-flags.h).
constexpr uint64_t kAnon = 1ULL << 12;
constexpr uint64_t kSwapbacked = 1ULL << 14;
constexpr uint64_t kHuge = 1ULL << 17;
constexpr uint64_t kThp = 1ULL << 22;
constexpr uint64_t kZeroPage = 1ULL << 24;

constexpr uint8_t kChAbsent = '.';
constexpr uint8_t kChResident = 'r';
constexpr uint8_t kChHuge = 'H';
constexpr uint8_t kChLazy = 'L';
constexpr uint8_t kChSwapped = 's';

// Measured here (2026-11-29, CPU time of 1 GiB of small pages read with gaps of 0..64): a
// kpageflags entry costs ~0.11 us of CPU (the kernel snapshots the page and its folio), a pread
// ~0.2 us beyond its entries, so reading through more than ~2 unneeded entries costs more than
// another pread. (The JS decode kept 16: ~17% more entries for 1 GiB of small pages.)
constexpr uint64_t kRunGapPfns = 2;

// PAGEMAP_SCAN (include/uapi/linux/fs.h, Linux 6.7), defined here for older libc headers.
struct PageRegion {
  uint64_t start;
  uint64_t end;
  uint64_t categories;
};
struct PmScanArg {
  uint64_t size;
  uint64_t flags;
  uint64_t start;
  uint64_t end;
  uint64_t walkEnd;
  uint64_t vec;
  uint64_t vecLen;
  uint64_t maxPages;
  uint64_t categoryInverted;
  uint64_t categoryMask;
  uint64_t categoryAnyofMask;
  uint64_t returnMask;
};
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);
constexpr uint64_t kPageIsHuge = 1ULL << 6;

// From this many kpageflags entries (64 MiB of pages) the reads are split across two threads.
constexpr size_t kParallelEntries = 16384;

inline uint8_t Classify(uint64_t flags) {
  // the shared zero page backs reads of never-written anonymous memory: mapped, but costs no memory
  if (flags & kZeroPage) return kChAbsent;
  // MADV_FREE clears PG_swapbacked on anonymous pages (mm/swap.c lru_lazyfree)
  if ((flags & kAnon) != 0 && (flags & kSwapbacked) == 0) return kChLazy;
  if (flags & (kThp | kHuge)) return kChHuge;
  return kChResident;
}

// Pages [page, page + count) map PFNs [pfn, pfn + count).
struct Run {
  uint64_t pfn;
  uint32_t page;
  uint32_t count;
};

// A kpageflags read: entries [low, high] land at index `at` of the flags buffer.
struct Read {
  uint64_t low;
  uint64_t high;
  size_t at;
};

struct Scratch {
  std::vector<Run> runs;
  std::vector<uint32_t> order;     // run indices sorted by PFN
  std::vector<size_t> flagIndex;   // per run: index of its first page's flags
  std::vector<Read> reads;
  std::vector<uint64_t> flags;
  std::vector<uint8_t> pmdMapped;  // per candidate block: 1 when PAGEMAP_SCAN said PAGE_IS_HUGE
  std::vector<uint32_t> blocks;    // first page of each block classified from its head
};

// Reused across calls: a sampler takes a map every few hundred ms, and fresh vectors of a few MiB
// would be page-faulted in every time. The parent's one JS thread is the only caller.
Scratch& GetScratch() {
  static Scratch s;
  return s;
}

// 0 or an errno; a read of 0 bytes (past what the kernel serves) is reported as ESRCH, the way a
// pagemap of an exited process reads.
int PreadFully(int fd, void* into, size_t length, off_t position) {
  size_t done = 0;
  char* p = static_cast<char*>(into);
  while (done < length) {
    ssize_t n = pread(fd, p + done, length - done, position + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return ESRCH;
    done += static_cast<size_t>(n);
  }
  return 0;
}

struct Failed {
  int err = 0;
  size_t bytes = 0;
  uint64_t position = 0;
};

// Reads s.reads[from, to) into s.flags; the first failure, if any.
Failed ReadRange(int fd, Scratch& s, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) {
    const Read& rd = s.reads[i];
    const size_t bytes = (rd.high - rd.low + 1) * 8;
    int err = PreadFully(fd, s.flags.data() + rd.at, bytes, static_cast<off_t>(rd.low * 8));
    if (err != 0) return Failed{err, bytes, rd.low * 8};
  }
  return Failed{};
}

struct HalfRead {
  int fd;
  Scratch* s;
  size_t from;
  size_t to;
  Failed result;
};

void* ReadHalf(void* arg) {
  auto* h = static_cast<HalfRead*>(arg);
  h->result = ReadRange(h->fd, *h->s, h->from, h->to);
  return nullptr;
}

// Candidate blocks: blockPages pages from a block-aligned address whose pagemap entries are present
// and map blockPages consecutive PFNs from a block-aligned PFN (what a PMD mapping looks like; many
// physically contiguous small pages can look the same, which is why the kernel is asked). Marks
// s.pmdMapped[k] for candidate k (block k from `first`) that PAGEMAP_SCAN reports PMD-mapped.
// Returns the number of blocks marked; 0 when none, or the ioctl is missing or failed.
// Why a candidate must also be confirmed: PFN contiguity alone cannot tell one PMD-order folio from
// 512 order-0 folios the allocator happened to hand out in a row, and those need an entry each.
size_t FindPmdBlocks(const uint8_t* raw, size_t pageCount, int pagemapFd, uint64_t startAddress, size_t pageSize,
                     size_t blockPages, size_t first, Scratch& s) {
  s.pmdMapped.assign(pageCount > first ? (pageCount - first) / blockPages : 0, 0);
  size_t candidates = 0;
  for (size_t k = 0; k < s.pmdMapped.size(); k++) {
    const size_t i0 = first + k * blockPages;
    uint64_t e0;
    std::memcpy(&e0, raw + i0 * 8, 8);
    const uint64_t pfn0 = e0 & kPfnMask;
    if (!(e0 & kPresent) || pfn0 == 0 || pfn0 % blockPages != 0) continue;
    size_t j = 1;
    for (; j < blockPages; j++) {
      uint64_t e;
      std::memcpy(&e, raw + (i0 + j) * 8, 8);
      if (!(e & kPresent) || (e & kPfnMask) != pfn0 + j) break;
    }
    if (j == blockPages) {
      s.pmdMapped[k] = 2;  // candidate, not yet confirmed
      candidates++;
    }
  }
  if (candidates == 0) return 0;
  PageRegion vec[256];
  const uint64_t blockBytes = static_cast<uint64_t>(blockPages) * pageSize;
  const uint64_t firstAddress = startAddress + first * pageSize;
  PmScanArg arg{};
  arg.size = sizeof arg;
  arg.start = firstAddress;
  arg.end = firstAddress + s.pmdMapped.size() * blockBytes;
  arg.vec = reinterpret_cast<uint64_t>(vec);
  arg.vecLen = std::size(vec);
  arg.categoryMask = kPageIsHuge;
  arg.returnMask = kPageIsHuge;
  size_t confirmed = 0;
  while (arg.start < arg.end) {
    const int n = ioctl(pagemapFd, kPagemapScan, &arg);
    if (n < 0) {
      // ENOTTY/EINVAL: a kernel before 6.7 (one failed syscall per map, not worth remembering)
      if (errno == EINTR) continue;
      for (auto& m : s.pmdMapped) m = 0;  // nothing confirmed: every PFN is read
      return 0;
    }
    for (int r = 0; r < n; r++) {
      // whole blocks inside [start, end) reported huge
      uint64_t a = std::max(vec[r].start, firstAddress);
      const uint64_t from = (a - firstAddress + blockBytes - 1) / blockBytes;
      const uint64_t to = (std::min(vec[r].end, arg.end) - firstAddress) / blockBytes;
      for (uint64_t k = from; k < to && k < s.pmdMapped.size(); k++) {
        if (s.pmdMapped[k] == 2) {
          s.pmdMapped[k] = 1;
          confirmed++;
        }
      }
    }
    if (arg.walkEnd <= arg.start) break;  // no progress: leave the rest to the per-page reads
    arg.start = arg.walkEnd;
  }
  for (auto& m : s.pmdMapped) {
    if (m == 2) m = 0;
  }
  return confirmed;
}

Napi::Value ClassifyPageMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray() || !info[3].IsTypedArray()) {
    ThrowType(env, "classifyPageMap(pagemap: Uint8Array, pageCount: number, kpageflagsFd: number, out: Uint8Array)");
    return env.Undefined();
  }
  Napi::TypedArray pmArr = info[0].As<Napi::TypedArray>();
  Napi::TypedArray outArr = info[3].As<Napi::TypedArray>();
  if (pmArr.TypedArrayType() != napi_uint8_array || outArr.TypedArrayType() != napi_uint8_array) {
    ThrowType(env, "classifyPageMap(): pagemap and out must be Uint8Arrays");
    return env.Undefined();
  }
  size_t pageCount = 0;
  long long kfd = -1;
  if (!ArgSize(info, 1, "pageCount", &pageCount) || !ArgInt(info, 2, "kpageflagsFd", -1, 0x7fffffff, &kfd)) {
    return env.Undefined();
  }
  long long pmfd = -1;
  uint64_t startAddress = 0;
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    if (!ArgInt(info, 4, "pagemapFd", -1, 0x7fffffff, &pmfd)) return env.Undefined();
    bool lossless = false;
    if (info.Length() < 6 || !info[5].IsBigInt() || (startAddress = info[5].As<Napi::BigInt>().Uint64Value(&lossless), !lossless)) {
      ThrowType(env, "classifyPageMap(): startAddress must be a non-negative bigint when pagemapFd is given");
      return env.Undefined();
    }
  }
  double* stats = nullptr;
  if (info.Length() > 6 && !info[6].IsUndefined()) {
    if (!info[6].IsTypedArray() || info[6].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[6].As<Napi::Float64Array>().ElementLength() < 3) {
      ThrowType(env, "classifyPageMap(): stats must be a Float64Array of at least 3 numbers");
      return env.Undefined();
    }
    stats = info[6].As<Napi::Float64Array>().Data();
    stats[0] = stats[1] = stats[2] = 0;
  }
  Napi::Uint8Array pm = pmArr.As<Napi::Uint8Array>();
  Napi::Uint8Array outView = outArr.As<Napi::Uint8Array>();
  if (pageCount > UINT32_MAX || pm.ByteLength() / 8 < pageCount || outView.ByteLength() < pageCount) {
    ThrowRange(env, "classifyPageMap(): " + std::to_string(pageCount) + " pages do not fit the buffers (" +
                        std::to_string(pm.ByteLength() / 8) + " entries, " + std::to_string(outView.ByteLength()) +
                        " output bytes)");
    return env.Undefined();
  }
  const uint8_t* raw = pm.Data();
  uint8_t* out = outView.Data();
  Scratch& s = GetScratch();
  s.runs.clear();
  s.blocks.clear();
  s.pmdMapped.clear();

  // Pass 0: blocks mapped by one PMD, classified from their head's entry (see the top of the file).
  const Features& f = GetFeatures();
  const size_t blockPages = f.hugePageSize / f.pageSize;
  size_t firstBlock = 0;  // index of the first page on a block boundary
  if (kfd >= 0 && pmfd >= 0 && blockPages > 1 && startAddress % f.pageSize == 0) {
    const uint64_t startPage = startAddress / f.pageSize;
    firstBlock = static_cast<size_t>((blockPages - startPage % blockPages) % blockPages);
    FindPmdBlocks(raw, pageCount, static_cast<int>(pmfd), startAddress, f.pageSize, blockPages, firstBlock, s);
  }

  // Pass 1: present/swapped bits, and runs contiguous in both address spaces.
  for (size_t i = 0; i < pageCount; i++) {
    if (!s.pmdMapped.empty() && i >= firstBlock && (i - firstBlock) % blockPages == 0) {
      const size_t k = (i - firstBlock) / blockPages;
      if (k < s.pmdMapped.size() && s.pmdMapped[k] == 1) {
        // the head alone, in a run of its own; the other pages copy its kind after pass 3
        uint64_t e;
        std::memcpy(&e, raw + i * 8, 8);
        out[i] = kChResident;
        s.runs.push_back(Run{e & kPfnMask, static_cast<uint32_t>(i), 1});
        s.blocks.push_back(static_cast<uint32_t>(i));
        i += blockPages - 1;
        continue;
      }
    }
    uint64_t e;
    std::memcpy(&e, raw + i * 8, 8);  // the caller's buffer may be unaligned; pagemap is host-endian
    if (!(e & kPresent)) {
      out[i] = (e & kSwapped) ? kChSwapped : kChAbsent;
      continue;
    }
    out[i] = kChResident;
    uint64_t pfn = e & kPfnMask;
    if (pfn == 0) continue;  // PFNs hidden (no CAP_SYS_ADMIN): present bit only
    if (!s.runs.empty()) {
      Run& last = s.runs.back();
      if (last.page + last.count == i && last.pfn + last.count == pfn) {
        last.count++;
        continue;
      }
    }
    s.runs.push_back(Run{pfn, static_cast<uint32_t>(i), 1});
  }
  if (kfd < 0 || s.runs.empty()) return Napi::Number::New(env, 0);

  // Pass 2: runs sorted by PFN, merged into reads when the gap is small.
  const size_t n = s.runs.size();
  s.order.resize(n);
  for (size_t r = 0; r < n; r++) s.order[r] = static_cast<uint32_t>(r);
  std::sort(s.order.begin(), s.order.end(), [&s](uint32_t a, uint32_t b) { return s.runs[a].pfn < s.runs[b].pfn; });
  s.flagIndex.resize(n);
  s.reads.clear();
  size_t entries = 0;
  for (uint32_t r : s.order) {
    const Run& run = s.runs[r];
    const uint64_t lo = run.pfn;
    const uint64_t hi = run.pfn + run.count - 1;
    if (!s.reads.empty() && lo <= s.reads.back().high + kRunGapPfns) {
      Read& rd = s.reads.back();
      if (hi > rd.high) {
        entries += hi - rd.high;
        rd.high = hi;
      }
      s.flagIndex[r] = rd.at + (lo - rd.low);
    } else {
      s.reads.push_back(Read{lo, hi, entries});
      s.flagIndex[r] = entries;
      entries += hi - lo + 1;
    }
  }

  // Pass 3: the reads, then each run's pages classified from its flags. The kernel's kpageflags
  // lookups are the cost (~0.1-0.4 us per entry here), so a large map splits its reads in two halves
  // and reads the second on a helper thread: the wall clock halves on an idle 2-core machine; the CPU
  // stays the same. The thread only calls pread into its own part of the buffer and hands back an
  // errno; nothing crosses into JS from it.
  if (s.flags.size() < entries) s.flags.resize(entries);
  size_t split = s.reads.size();
  if (entries >= kParallelEntries) {
    // the read holding the middle entry is cut in two there (a THP-backed region is often one read)
    const size_t middle = entries / 2;
    split = 0;
    while (split + 1 < s.reads.size() && s.reads[split + 1].at <= middle) split++;
    Read& rd = s.reads[split];
    if (middle > rd.at) {
      const Read tail{rd.low + (middle - rd.at), rd.high, middle};
      rd.high = tail.low - 1;
      s.reads.insert(s.reads.begin() + static_cast<std::ptrdiff_t>(split) + 1, tail);
      split++;
    }
  }
  HalfRead second{static_cast<int>(kfd), &s, split, s.reads.size(), Failed{}};
  pthread_t helper;
  // pthread_create, not std::thread: built without exceptions, a failed std::thread would abort the
  // process; a failed pthread_create just means this thread reads both halves
  const bool parallel = split < s.reads.size() && pthread_create(&helper, nullptr, ReadHalf, &second) == 0;
  Failed first = ReadRange(static_cast<int>(kfd), s, 0, parallel ? split : s.reads.size());
  if (parallel) pthread_join(helper, nullptr);
  const Failed& failed = first.err != 0 ? first : second.result;
  if (failed.err != 0) {
    ThrowSystemError(env, failed.err, "pread",
                     "(/proc/kpageflags, " + std::to_string(failed.bytes) + ", " + std::to_string(failed.position) + ")");
    return env.Undefined();
  }
  for (size_t r = 0; r < n; r++) {
    const Run& run = s.runs[r];
    const uint64_t* fl = s.flags.data() + s.flagIndex[r];
    uint8_t* o = out + run.page;
    for (uint32_t k = 0; k < run.count; k++) o[k] = Classify(fl[k]);
  }
  for (uint32_t head : s.blocks) std::memset(out + head + 1, out[head], blockPages - 1);
  if (stats != nullptr) {
    stats[0] = static_cast<double>(entries);
    stats[1] = static_cast<double>(s.reads.size());
    stats[2] = static_cast<double>(s.blocks.size());
  }
  return Napi::Number::New(env, 1);
}

}  // namespace

void InitPageMap(Napi::Env env, Napi::Object exports) {
  exports.Set("classifyPageMap", Napi::Function::New(env, ClassifyPageMap, "classifyPageMap"));
}

}  // namespace rsslab
