// The real program behind the faiss-cycles replay (seed 000): a service that, every cycle, builds
// training data, trains a faiss IndexIVFFlat, adds the data, searches it and deletes everything —
// all on the thread that runs the cycle, as a cgo call runs on one OS thread. Built against
// Debian's libfaiss-dev (1.7.3). Speaks rsslab's counterpart protocol (counterparts/rsslab.h); run
// by hand it logs its marks to stderr.
//
// Thread shapes (shape=):
//   pool   N long-lived threads, cycle k on thread k mod N: the cgo shape. Go runs a cgo call on
//          one of its own OS threads and keeps that thread afterwards, so a few long-lived threads
//          each run some of the cycles, and each keeps whatever its allocator caches per thread.
//   fresh  a new thread per cycle, joined when the cycle ends (thread-exit purges run).
//   main   every cycle on the main thread (glibc's main arena, sbrk heap).
//
// args (key=value): cycles=6 rows=200000 dim=64 nlist=64 nq=1000 nprobe=8 threads=2 (pool size)
//   shape=pool omp=2 (OpenMP threads per cycle, faiss's default on 2 cores; libgomp adds its own long-lived team threads,
//   which allocate too) trim=0 (malloc_trim(0) after each cycle) idleBetweenMs=200 idleMs=20000
//   seed=1
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <malloc.h>
#include <omp.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <memory>
#include <string>
#include <vector>

#include "rsslab.h"  // counterparts/rsslab.h, copied beside this file by the build

namespace {

struct Args {
  long cycles = 6, rows = 200000, dim = 64, nlist = 64, nq = 1000, nprobe = 8, threads = 2, omp = 2;
  long trim = 0, idleBetweenMs = 200, idleMs = 20000, seed = 1;
  std::string shape = "pool";
};

bool ParseLong(const char* text, long min, long max, long* out) {
  char* end = nullptr;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

int Usage(const char* why) {
  fprintf(stderr,
          "faiss_cycles: %s\nusage: faiss_cycles [cycles=N] [rows=N] [dim=N] [nlist=N] [nq=N] [nprobe=N] "
          "[threads=N] [shape=pool|fresh|main] [omp=N] [trim=0|1] [idleBetweenMs=N] [idleMs=N] [seed=N]\n",
          why);
  return 2;
}

bool Parse(int argc, char** argv, Args* a) {
  struct Field { const char* name; long* value; long min, max; };
  Field fields[] = {{"cycles", &a->cycles, 1, 1000},        {"rows", &a->rows, 1000, 100000000},
                    {"dim", &a->dim, 1, 4096},              {"nlist", &a->nlist, 1, 1 << 20},
                    {"nq", &a->nq, 0, 1000000},             {"nprobe", &a->nprobe, 1, 1 << 20},
                    {"threads", &a->threads, 1, 256},       {"omp", &a->omp, 1, 256},
                    {"trim", &a->trim, 0, 1},               {"idleBetweenMs", &a->idleBetweenMs, 0, 3600000},
                    {"idleMs", &a->idleMs, 0, 36000000},    {"seed", &a->seed, 0, 1L << 40}};
  for (int i = 1; i < argc; i++) {
    const char* eq = strchr(argv[i], '=');
    if (eq == nullptr) { Usage((std::string("expected key=value, got \"") + argv[i] + "\"").c_str()); return false; }
    std::string key(argv[i], eq - argv[i]);
    if (key == "shape") {
      a->shape = eq + 1;
      if (a->shape != "pool" && a->shape != "fresh" && a->shape != "main") { Usage("shape must be pool, fresh or main"); return false; }
      continue;
    }
    bool known = false;
    for (Field& f : fields) {
      if (key != f.name) continue;
      known = true;
      if (!ParseLong(eq + 1, f.min, f.max, f.value)) {
        Usage((key + " must be an integer in [" + std::to_string(f.min) + ", " + std::to_string(f.max) + "]").c_str());
        return false;
      }
    }
    if (!known) { Usage(("unknown argument \"" + key + "\"").c_str()); return false; }
  }
  if (a->nlist * 39 > a->rows) { Usage("need rows >= 39 * nlist (faiss's k-means minimum)"); return false; }
  return true;
}

void SleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

// Clustered data (so k-means has something to find): a handful of centres plus noise, from a
// per-cycle xorshift generator, written into memory the cycle itself allocated.
void FillData(float* x, long rows, long dim, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
  auto next = [&s]() { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; };
  const long centres = 64;
  for (long i = 0; i < rows; i++) {
    const float base = static_cast<float>((i % centres) * 4);
    for (long j = 0; j < dim; j++) x[i * dim + j] = base + static_cast<float>(next() % 1000) / 1000.0f;
  }
}

struct Cycle {
  const Args* args;
  long index;
  pid_t tid = 0;
  size_t peakLive = 0;
};

// One train/add/search/free cycle. Everything it allocates — the training array, faiss's
// subsample copy and centroids, the inverted lists (std::vector, grown by doubling as vectors are
// added), the query results — is freed before it returns, on this thread.
void RunCycle(Cycle* c) {
  const Args& a = *c->args;
  c->tid = static_cast<pid_t>(syscall(SYS_gettid));
  omp_set_num_threads(static_cast<int>(a.omp));  // per-thread ICV: set on the thread that runs faiss
  {
    std::vector<float> xb(static_cast<size_t>(a.rows * a.dim));  // 200k x 64 floats: 51 MB, above glibc's 32 MiB mmap cap
    FillData(xb.data(), a.rows, a.dim, static_cast<uint64_t>(a.seed + c->index));
    faiss::IndexFlatL2 quantizer(a.dim);
    faiss::IndexIVFFlat index(&quantizer, a.dim, a.nlist);
    index.verbose = false;
    index.train(a.rows, xb.data());  // k-means on a subsample (<= 256 x nlist rows), copied
    index.add(a.rows, xb.data());    // inverted lists grow by push_back: realloc-like doubling
    c->peakLive = xb.size() * sizeof(float) + static_cast<size_t>(a.rows) * (a.dim * sizeof(float) + sizeof(faiss::Index::idx_t));
    if (a.nq > 0) {
      const long nq = a.nq < a.rows ? a.nq : a.rows;
      const long k = 10;
      index.nprobe = static_cast<size_t>(a.nprobe);
      std::vector<float> distances(static_cast<size_t>(nq * k));
      std::vector<faiss::Index::idx_t> labels(static_cast<size_t>(nq * k));
      index.search(nq, xb.data(), k, distances.data(), labels.data());
    }
  }  // index, quantizer, training array: all deleted here, on this thread
  if (a.trim) malloc_trim(0);
}

void* CycleMain(void* p) {
  RunCycle(static_cast<Cycle*>(p));
  return nullptr;
}

// A long-lived worker: runs the cycles handed to it, one at a time, and does not exit until the
// program does (a Go OS thread after a cgo call).
class PoolThread {
 public:
  int Start() { return pthread_create(&thread_, nullptr, &PoolThread::Main, this); }
  void Run(Cycle* c) {
    pthread_mutex_lock(&mu_);
    job_ = c;
    done_ = false;
    pthread_cond_broadcast(&cv_);
    while (!done_) pthread_cond_wait(&cv_, &mu_);
    job_ = nullptr;
    pthread_mutex_unlock(&mu_);
  }
  void Stop() {
    pthread_mutex_lock(&mu_);
    stop_ = true;
    pthread_cond_broadcast(&cv_);
    pthread_mutex_unlock(&mu_);
    pthread_join(thread_, nullptr);
  }

 private:
  static void* Main(void* self) {
    static_cast<PoolThread*>(self)->Loop();
    return nullptr;
  }
  void Loop() {
    pthread_mutex_lock(&mu_);
    for (;;) {
      while (!stop_ && (job_ == nullptr || done_)) pthread_cond_wait(&cv_, &mu_);
      if (stop_) break;
      Cycle* c = job_;
      pthread_mutex_unlock(&mu_);
      RunCycle(c);
      pthread_mutex_lock(&mu_);
      done_ = true;
      pthread_cond_broadcast(&cv_);
    }
    pthread_mutex_unlock(&mu_);
  }
  pthread_t thread_{};
  pthread_mutex_t mu_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv_ = PTHREAD_COND_INITIALIZER;
  Cycle* job_ = nullptr;
  bool done_ = false;
  bool stop_ = false;
};

// glibc only: how many arenas (one per thread that allocated, up to 8 per core or
// MALLOC_ARENA_MAX) and what they hold free. A preloaded allocator defines its own malloc; then
// glibc's malloc_info would describe an unused glibc heap, so nothing is reported.
bool GlibcIsLive() {
  return dlsym(RTLD_DEFAULT, "mallctl") == nullptr && dlsym(RTLD_DEFAULT, "mi_version") == nullptr &&
         dlsym(RTLD_DEFAULT, "tc_malloc") == nullptr;
}

long long GlibcArenas() {
  char* text = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&text, &size);
  if (f == nullptr) return -1;
  malloc_info(0, f);
  fclose(f);
  long long n = 0;
  for (const char* p = text; (p = strstr(p, "<heap nr=")) != nullptr; p++) n++;
  free(text);
  return n;
}

void ReportState(bool glibc) {
  rsslab_report("live", 0);  // every cycle deletes all it made
  if (!glibc) return;
  struct mallinfo2 m = mallinfo2();
  rsslab_report("glibc.arenas", GlibcArenas());
  rsslab_report("alloc.free", static_cast<long long>(m.fordblks));
  rsslab_report("alloc.mapped", static_cast<long long>(m.arena + m.hblkhd));
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!Parse(argc, argv, &a)) return 2;
  const bool glibc = GlibcIsLive();
  rsslab_log("faiss_cycles: %ld cycles of %ld x %ld floats, nlist %ld, shape %s, %ld pool threads, omp %ld, trim %ld",
             a.cycles, a.rows, a.dim, a.nlist, a.shape.c_str(), a.threads, a.omp, a.trim);
  omp_set_num_threads(static_cast<int>(a.omp));

  std::vector<std::unique_ptr<PoolThread>> pool;
  if (a.shape == "pool") {
    for (long i = 0; i < a.threads; i++) {
      pool.emplace_back(new PoolThread());
      const int err = pool.back()->Start();
      if (err != 0) {
        pool.pop_back();
        fprintf(stderr, "faiss_cycles: pthread_create: %s\n", strerror(err));
        for (auto& t : pool) t->Stop();
        return 1;
      }
    }
  }

  rsslab_mark("baseline", "service started");
  ReportState(glibc);
  for (long k = 1; k <= a.cycles; k++) {
    char phase[32], label[96];
    snprintf(phase, sizeof phase, "cycle%ld", k);
    snprintf(label, sizeof label, "cycle %ld: train, add, search, free", k);
    rsslab_mark(phase, label);
    Cycle c{&a, k};
    if (a.shape == "pool") {
      pool[static_cast<size_t>((k - 1) % a.threads)]->Run(&c);
    } else if (a.shape == "fresh") {
      pthread_t t;
      const int err = pthread_create(&t, nullptr, &CycleMain, &c);
      if (err != 0) {
        fprintf(stderr, "faiss_cycles: pthread_create: %s\n", strerror(err));
        return 1;
      }
      pthread_join(t, nullptr);
    } else {
      RunCycle(&c);
    }
    snprintf(phase, sizeof phase, "cycle%ld-freed", k);
    snprintf(label, sizeof label, "cycle %ld: everything deleted", k);
    rsslab_mark(phase, label);
    rsslab_report("cycle.tid", c.tid);
    rsslab_report("cycle.peakLive", static_cast<long long>(c.peakLive));
    ReportState(glibc);
    if (k < a.cycles) SleepMs(a.idleBetweenMs);
  }
  rsslab_mark("idle", "idle until the next cron tick");
  SleepMs(a.idleMs);
  ReportState(glibc);
  // after the measured idle: jemalloc and mimalloc give a thread's memory back when it exits
  rsslab_mark("shutdown", "the service stops its threads");
  for (auto& t : pool) t->Stop();
  rsslab_mark("end", "end");
  rsslab_done();
  return 0;
}
