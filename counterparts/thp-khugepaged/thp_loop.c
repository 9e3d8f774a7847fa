/*
 * Seed 004's reproducer (the kernel Bugzilla loop quoted in the blog): map a region, write every byte,
 * MADV_DONTNEED all but the last page of every 2 MiB, then do nothing while khugepaged scans. With
 * max_ptes_none=511 a 2 MiB block holding one live page qualifies for collapse, so RSS climbs back
 * to the whole region without the program touching anything.
 *
 * The loop is the seed's; around it are rsslab's phase marks (the replay's ids: map, touch, free,
 * collapse, idle, pressure) and the variants the replay has, chosen by arguments:
 *   bytes=N keep=N idle-ms=N hint=hugepage|nohugepage|none collapse=0|1
 *   nohugepage-after-free=0|1 pressure-bytes=N (0: no pressure phase)
 * PR_SET_THP_DISABLE is not an argument: rsslab sets it before exec, and the process inherits it,
 * exactly the per-process fix of the seed.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include "rsslab.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define HUGE_BYTES ((size_t)2 << 20)

static size_t arg_size(int argc, char **argv, const char *key, size_t fallback) {
  size_t n = strlen(key);
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=') {
      char *end = NULL;
      errno = 0;
      unsigned long long v = strtoull(argv[i] + n + 1, &end, 10);
      if (errno != 0 || end == argv[i] + n + 1 || *end != '\0') {
        fprintf(stderr, "thp_loop: %s must be a whole number, got %s\n", key, argv[i] + n + 1);
        exit(2);
      }
      return (size_t)v;
    }
  }
  return fallback;
}

static const char *arg_str(int argc, char **argv, const char *key, const char *fallback) {
  size_t n = strlen(key);
  for (int i = 1; i < argc; i++)
    if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
  return fallback;
}

static void sleep_ms(size_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

/* A hint the kernel refuses (THP disabled for the process) is reported, like the replay does. */
static void advise_hint(char *p, size_t len, int advice, const char *name) {
  if (madvise(p, len, advice) != 0) {
    int err = errno;
    rsslab_log("madvise(%s) refused: %s; going on without the hint", name, strerror(err));
    rsslab_report("hint.refused", 1);
  }
}

/* mmap `len` bytes starting on a 2 MiB boundary, so each block can be one huge page (the replay's alignHuge). */
static char *map_aligned(size_t len) {
  size_t span = len + HUGE_BYTES;
  char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return NULL;
  uintptr_t start = ((uintptr_t)raw + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
  char *p = (char *)start;
  if (p > raw) munmap(raw, (size_t)(p - raw));
  size_t tail = (size_t)((raw + span) - (p + len));
  if (tail > 0) munmap(p + len, tail);
  return p;
}

int main(int argc, char **argv) {
  const size_t M = arg_size(argc, argv, "bytes", (size_t)256 << 20);
  const size_t P = arg_size(argc, argv, "keep", 4096);
  const size_t H = HUGE_BYTES;
  const size_t idle_ms = arg_size(argc, argv, "idle-ms", 15000);
  const char *hint = arg_str(argc, argv, "hint", "hugepage");
  const int collapse = arg_size(argc, argv, "collapse", 0) != 0;
  const int nohuge_after_free = arg_size(argc, argv, "nohugepage-after-free", 0) != 0;
  const size_t pressure_bytes = arg_size(argc, argv, "pressure-bytes", 0);
  if (M == 0 || M % H != 0 || P == 0 || P % 4096 != 0 || P >= H) {
    fprintf(stderr, "thp_loop: bytes must be a multiple of 2 MiB and keep a whole number of pages below 2 MiB\n");
    return 2;
  }

  char line[160];
  snprintf(line, sizeof line, "mmap %zu MiB on a 2 MiB boundary, hint %s", M >> 20, hint);
  rsslab_mark("map", line);
  char *p = map_aligned(M);
  if (p == NULL) {
    fprintf(stderr, "thp_loop: mmap %zu bytes: %s\n", M, strerror(errno));
    return 1;
  }
  rsslab_tag("main", p, M);
  if (strcmp(hint, "hugepage") == 0) advise_hint(p, M, MADV_HUGEPAGE, "hugepage");
  else if (strcmp(hint, "nohugepage") == 0) advise_hint(p, M, MADV_NOHUGEPAGE, "nohugepage");

  rsslab_mark("touch", "write every byte (the seed's loop)");
  for (size_t i = 0; i < M; i++) p[i] = (char)i;

  snprintf(line, sizeof line, "MADV_DONTNEED all but the last %zu bytes of every 2 MiB", P);
  rsslab_mark("free", line);
  if (nohuge_after_free) advise_hint(p, M, MADV_NOHUGEPAGE, "nohugepage");
  for (size_t i = 0; i < M; i += H) {
    if (madvise(p + i, H - P, MADV_DONTNEED) != 0) {
      fprintf(stderr, "thp_loop: madvise(DONTNEED) at +%zu: %s\n", i, strerror(errno));
      return 1;
    }
  }

  if (collapse) {
    rsslab_mark("collapse", "MADV_COLLAPSE every block, synchronously");
    long long failed = 0;
    for (size_t i = 0; i < M; i += H)
      if (madvise(p + i, H, MADV_COLLAPSE) != 0) failed++;
    rsslab_report("collapse.failedBlocks", failed);
  }

  snprintf(line, sizeof line, "nothing runs for %zu ms; khugepaged scans", idle_ms);
  rsslab_mark("idle", line);
  sleep_ms(idle_ms);

  if (pressure_bytes > 0) {
    snprintf(line, sizeof line, "allocate %zu MiB more inside the memory cgroup", pressure_bytes >> 20);
    rsslab_mark("pressure", line);
    char *more = mmap(NULL, pressure_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (more == MAP_FAILED) {
      fprintf(stderr, "thp_loop: mmap %zu bytes: %s\n", pressure_bytes, strerror(errno));
      return 1;
    }
    rsslab_tag("pressure", more, pressure_bytes);
    const size_t step = (size_t)16 << 20;
    for (size_t off = 0; off < pressure_bytes; off += step) {
      size_t n = pressure_bytes - off < step ? pressure_bytes - off : step;
      for (size_t i = 0; i < n; i += 4096) more[off + i] = 2;
      sleep_ms(10);
    }
    rsslab_report("pressure.allocatedBytes", (long long)pressure_bytes);
  }

  rsslab_mark("end", "end");
  rsslab_done();
  return 0;
}
