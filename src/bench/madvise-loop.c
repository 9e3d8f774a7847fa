/*
 * The seed-004 (kernel Bugzilla) reproducer's free loop in plain C, for `npm run bench` to compare
 * with the same loop through rsslab's addon (Region.advise from JS): madvise(MADV_DONTNEED) one
 * 4 KiB page at a time over all but the last page of every 2 MiB block.
 *
 * usage: madvise-loop REGION_BYTES REPEATS none|hugepage HUGE_PAGE_BYTES
 * Every repeat touches the whole region first (untimed), then times the loop on CLOCK_MONOTONIC.
 * Prints one JSON line: {"calls":N,"ns":[...]}; on a failed syscall, the errno on stderr and exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s REGION_BYTES REPEATS none|hugepage HUGE_PAGE_BYTES\n", argv[0]);
    return 2;
  }
  size_t len = strtoull(argv[1], NULL, 10);
  int repeats = atoi(argv[2]);
  int huge = strcmp(argv[3], "hugepage") == 0;
  size_t hpage = strtoull(argv[4], NULL, 10);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  if (len == 0 || hpage == 0 || len % hpage != 0 || repeats < 1) {
    fprintf(stderr, "REGION_BYTES must be a positive multiple of HUGE_PAGE_BYTES and REPEATS >= 1\n");
    return 2;
  }
  /* over-map by one huge page so the region can start on a 2 MiB boundary, as mapRegion(alignHuge) does */
  char *raw = mmap(NULL, len + hpage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    fprintf(stderr, "mmap: %s\n", strerror(errno));
    return 1;
  }
  char *p = (char *)(((uintptr_t)raw + hpage - 1) & ~(uintptr_t)(hpage - 1));
  if (huge && madvise(p, len, MADV_HUGEPAGE) != 0) {
    fprintf(stderr, "madvise(MADV_HUGEPAGE): %s\n", strerror(errno));
    return 1;
  }
  long calls = 0;
  printf("{\"calls\":%ld,\"ns\":[", (long)((len / hpage) * (hpage / page - 1)));
  for (int r = 0; r < repeats; r++) {
    for (size_t i = 0; i < len; i += page) p[i] = 1;
    long long t0 = now_ns();
    calls = 0;
    for (size_t b = 0; b < len; b += hpage) {
      for (size_t off = 0; off + page < hpage; off += page) {
        if (madvise(p + b + off, page, MADV_DONTNEED) != 0) {
          fprintf(stderr, "madvise(MADV_DONTNEED) at offset %zu: %s\n", b + off, strerror(errno));
          return 1;
        }
        calls++;
      }
    }
    long long t1 = now_ns();
    printf("%s%lld", r == 0 ? "" : ",", t1 - t0);
  }
  printf("]}\n");
  munmap(raw, len + hpage);
  return 0;
}
