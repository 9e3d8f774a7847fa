/*
 * The kernel's own cost of a region's page map, for `npm run bench` to set rsslab's PageMapReader
 * against: one pread of the range's /proc/PID/pagemap entries, then /proc/kpageflags read for every
 * PFN in runs of sorted PFNs (gaps up to 2 PFNs read through, as rsslab does), and nothing else — no
 * classification. Also timed on their own, for the floor: the pagemap pread alone (the only source of
 * PFNs) and one PAGEMAP_SCAN ioctl over the range (Linux 6.7+; present/swapped/zero-PFN/huge ranges,
 * no PFNs; -1 when the kernel has none).
 *
 * usage: pagemap-raw PID START_ADDRESS_HEX LENGTH_BYTES REPEATS
 * Prints one JSON line: {"pages":N,"pfns":N,"reads":N,"entries":N,"ns":[...],"readNs":[...],"cpuNs":[...],
 * "pagemapNs":[...],"scanNs":[...]}: per repeat the whole map, the time inside pread alone (the kernel's
 * own cost), the process CPU, the pagemap pread and the PAGEMAP_SCAN; exit 1 on a failed read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long in_reads_ns;

/* PAGEMAP_SCAN (include/uapi/linux/fs.h, Linux 6.7), for older headers */
struct page_region_ {
  uint64_t start, end, categories;
};
struct pm_scan_arg_ {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN_ _IOWR('f', 16, struct pm_scan_arg_)

static int pread_fully(int fd, void *buf, size_t len, off_t pos) {
  long long t0 = now_ns(CLOCK_MONOTONIC);
  int err = 0;
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, (char *)buf + done, len - done, pos + (off_t)done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n == 0 ? ESRCH : errno;
      break;
    }
    done += (size_t)n;
  }
  in_reads_ns += now_ns(CLOCK_MONOTONIC) - t0;
  return err;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s PID START_ADDRESS_HEX LENGTH_BYTES REPEATS\n", argv[0]);
    return 2;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/pagemap", argv[1]);
  uint64_t start = strtoull(argv[2], NULL, 16);
  size_t len = strtoull(argv[3], NULL, 10);
  int repeats = atoi(argv[4]);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t pages = (len + page - 1) / page;
  int pm = open(path, O_RDONLY), kf = open("/proc/kpageflags", O_RDONLY);
  if (pm < 0 || kf < 0) {
    fprintf(stderr, "open: %s\n", strerror(errno));
    return 1;
  }
  uint64_t *entries = malloc(pages * 8), *pfns = malloc(pages * 8), *flags = malloc(pages * 8 + 17 * 8);
  size_t flagCap = pages + 17;
  if (!entries || !pfns || !flags) return 1;
  size_t npfn = 0, reads = 0;
  printf("{\"pages\":%zu", pages);
  long long *ns = calloc((size_t)repeats, sizeof *ns), *cpu = calloc((size_t)repeats, sizeof *cpu);
  long long *readNs = calloc((size_t)repeats, sizeof *readNs);
  long long *pagemapNs = calloc((size_t)repeats, sizeof *pagemapNs), *scanNs = calloc((size_t)repeats, sizeof *scanNs);
  struct page_region_ *vec = malloc(sizeof *vec * 4096);
  size_t entriesRead = 0;
  if (!readNs || !pagemapNs || !scanNs || !vec) return 1;
  for (int r = 0; r < repeats; r++) {
    in_reads_ns = 0;
    /* the floor's parts on their own, before the timed map */
    long long p0 = now_ns(CLOCK_MONOTONIC);
    if (pread_fully(pm, entries, pages * 8, (off_t)(start / page * 8))) return 1;
    pagemapNs[r] = now_ns(CLOCK_MONOTONIC) - p0;
    struct pm_scan_arg_ arg = {.size = sizeof arg, .start = start, .end = start + pages * page, .vec = (uint64_t)(uintptr_t)vec, .vec_len = 4096,
                               .category_anyof_mask = (1 << 3) | (1 << 4), .return_mask = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6)};
    long long s0 = now_ns(CLOCK_MONOTONIC);
    int scanOk = 1;
    while (arg.start < arg.end) {
      if (ioctl(pm, PAGEMAP_SCAN_, &arg) < 0) {
        scanOk = 0;
        break;
      }
      if (arg.walk_end <= arg.start) break;
      arg.start = arg.walk_end;
    }
    scanNs[r] = scanOk ? now_ns(CLOCK_MONOTONIC) - s0 : -1;
    in_reads_ns = 0;
    long long t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    int err = pread_fully(pm, entries, pages * 8, (off_t)(start / page * 8));
    if (err) {
      fprintf(stderr, "pread pagemap: %s\n", strerror(err));
      return 1;
    }
    npfn = 0;
    for (size_t i = 0; i < pages; i++) {
      uint64_t pfn = entries[i] & ((1ULL << 55) - 1);
      if ((entries[i] >> 63) && pfn) pfns[npfn++] = pfn;
    }
    qsort(pfns, npfn, 8, cmp_u64);
    reads = 0;
    entriesRead = 0;
    size_t at = 0;
    for (size_t i = 0; i < npfn;) {
      uint64_t lo = pfns[i], hi = lo;
      while (++i < npfn && pfns[i] - hi <= 2) hi = pfns[i];
      size_t n = (size_t)(hi - lo + 1);
      if (n > flagCap) {
        flags = realloc(flags, n * 8);
        if (!flags) return 1;
        flagCap = n;
      }
      if (at + n > flagCap) at = 0;
      err = pread_fully(kf, flags + at, n * 8, (off_t)(lo * 8));
      if (err) {
        fprintf(stderr, "pread kpageflags: %s\n", strerror(err));
        return 1;
      }
      at += n;
      reads++;
      entriesRead += n;
    }
    cpu[r] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
    ns[r] = now_ns(CLOCK_MONOTONIC) - t0;
    readNs[r] = in_reads_ns;
  }
  printf(",\"pfns\":%zu,\"reads\":%zu,\"entries\":%zu,\"ns\":[", npfn, reads, entriesRead);
  for (int r = 0; r < repeats; r++) printf("%s%lld", r ? "," : "", ns[r]);
  printf("],\"readNs\":[");
  for (int r = 0; r < repeats; r++) printf("%s%lld", r ? "," : "", readNs[r]);
  printf("],\"cpuNs\":[");
  for (int r = 0; r < repeats; r++) printf("%s%lld", r ? "," : "", cpu[r]);
  printf("],\"pagemapNs\":[");
  for (int r = 0; r < repeats; r++) printf("%s%lld", r ? "," : "", pagemapNs[r]);
  printf("],\"scanNs\":[");
  for (int r = 0; r < repeats; r++) printf("%s%lld", r ? "," : "", scanNs[r]);
  printf("]}\n");
  return 0;
}
