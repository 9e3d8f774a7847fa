/*
 * The seed-004 (kernel Bugzilla) reproducer's free loop in plain C, for `npm run bench` to compare
 * with the same loop through rsslab's addon (Region.advise from JS): madvise(MADV_DONTNEED) one
 * 4 KiB page at a time over all but the last page of every 2 MiB block.
 *
 * usage: madvise-loop REGION_BYTES REPEATS none|hugepage HUGE_PAGE_BYTES [IDLE_THREADS]
 * IDLE_THREADS (default 0: the seed's single-threaded program) extra threads are started, run for a
 * moment and then block until the end, the way a Node process's V8 and libuv threads sit idle while
 * its main thread loops: the bench runs both shapes to see whether a multi-threaded mm (whose CPU
 * mask can make every MADV_DONTNEED's TLB flush consider, or interrupt, the other CPU) costs more.
 * Every repeat touches the whole region first (untimed), then times the loop on CLOCK_MONOTONIC and
 * CLOCK_PROCESS_CPUTIME_ID, and counts the machine's TLB shootdown interrupts (/proc/interrupts, all
 * CPUs, so other processes' count too; -1 when unreadable) across the loop.
 * Prints one JSON line: {"calls":N,"threads":N,"ns":[...],"cpuNs":[...],"tlb":[...]}; on a failed
 * syscall, the errno on stderr and exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* the "TLB:" row of /proc/interrupts summed over CPUs (x86: TLB shootdown IPIs received) */
static long long tlb_shootdowns(void) {
  FILE *f = fopen("/proc/interrupts", "r");
  if (!f) return -1;
  char line[4096];
  long long sum = -1;
  while (fgets(line, sizeof line, f)) {
    char *p = line;
    while (*p == ' ') p++;
    if (strncmp(p, "TLB:", 4) != 0) continue;
    p += 4;
    sum = 0;
    for (;;) {
      char *end;
      long long v = strtoll(p, &end, 10);
      if (end == p) break;
      sum += v;
      p = end;
    }
    break;
  }
  fclose(f);
  return sum;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started, done;

static void *idle_thread(void *arg) {
  (void)arg;
  /* run for ~1 ms (on whichever CPU the scheduler picks), then block like an idle worker */
  long long t0 = now_ns(CLOCK_MONOTONIC);
  while (now_ns(CLOCK_MONOTONIC) - t0 < 1000000) {
  }
  pthread_mutex_lock(&mu);
  started++;
  pthread_cond_broadcast(&cv);
  while (!done) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s REGION_BYTES REPEATS none|hugepage HUGE_PAGE_BYTES [IDLE_THREADS]\n", argv[0]);
    return 2;
  }
  size_t len = strtoull(argv[1], NULL, 10);
  int repeats = atoi(argv[2]);
  int huge = strcmp(argv[3], "hugepage") == 0;
  size_t hpage = strtoull(argv[4], NULL, 10);
  int threads = argc == 6 ? atoi(argv[5]) : 0;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  if (len == 0 || hpage == 0 || len % hpage != 0 || repeats < 1 || threads < 0 || threads > 256) {
    fprintf(stderr, "REGION_BYTES must be a positive multiple of HUGE_PAGE_BYTES, REPEATS >= 1, IDLE_THREADS 0..256\n");
    return 2;
  }
  pthread_t tids[256];
  for (int t = 0; t < threads; t++) {
    int err = pthread_create(&tids[t], NULL, idle_thread, NULL);
    if (err != 0) {
      fprintf(stderr, "pthread_create: %s\n", strerror(err));
      return 1;
    }
  }
  pthread_mutex_lock(&mu);
  while (started < threads) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
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
  long long *ns = calloc((size_t)repeats, sizeof *ns), *cpu = calloc((size_t)repeats, sizeof *cpu), *tlb = calloc((size_t)repeats, sizeof *tlb);
  if (!ns || !cpu || !tlb) return 1;
  for (int r = 0; r < repeats; r++) {
    for (size_t i = 0; i < len; i += page) p[i] = 1;
    long long s0 = tlb_shootdowns();
    long long t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    for (size_t b = 0; b < len; b += hpage) {
      for (size_t off = 0; off + page < hpage; off += page) {
        if (madvise(p + b + off, page, MADV_DONTNEED) != 0) {
          fprintf(stderr, "madvise(MADV_DONTNEED) at offset %zu: %s\n", b + off, strerror(errno));
          return 1;
        }
      }
    }
    cpu[r] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
    ns[r] = now_ns(CLOCK_MONOTONIC) - t0;
    long long s1 = tlb_shootdowns();
    tlb[r] = s0 < 0 || s1 < 0 ? -1 : s1 - s0;
  }
  printf("{\"calls\":%ld,\"threads\":%d,\"ns\":[", (long)((len / hpage) * (hpage / page - 1)), threads + 1);
  for (int r = 0; r < repeats; r++) printf("%s%lld", r ? "," : "", ns[r]);
  printf("],\"cpuNs\":[");
  for (int r = 0; r < repeats; r++) printf("%s%lld", r ? "," : "", cpu[r]);
  printf("],\"tlb\":[");
  for (int r = 0; r < repeats; r++) printf("%s%lld", r ? "," : "", tlb[r]);
  printf("]}\n");
  pthread_mutex_lock(&mu);
  done = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int t = 0; t < threads; t++) pthread_join(tids[t], NULL);
  munmap(raw, len + hpage);
  return 0;
}
