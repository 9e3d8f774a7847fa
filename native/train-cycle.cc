// faiss's allocations in one IndexIVFFlat cycle (see train-cycle.h), in faiss 1.7.3's order:
//   training array (rows x dim floats: 51 MB at 200k x 64, above glibc's 32 MiB cap on the dynamic
//   mmap threshold, so always mmap'd) -> Clustering::train: a permutation (rows ints) and the
//   subsample copy, centroids, then per k-means iteration an exhaustive_L2sqr_blas call whose
//   16 MiB ip_block is written only nx_block x nlist floats deep -> IndexIVF::add_with_ids in
//   slices of 65536: coarse assignment, then IndexIVFFlat::add_core under OpenMP, thread r of the
//   team appending to the lists with list_no % team == r, each list a std::vector grown by
//   doubling (new buffer, copy, free the old one) -> a search -> delete everything, on the cycle's
//   thread (so blocks the helpers made are freed by another thread, as in faiss).
// The first 16 MiB ip_block is mmap'd; freeing it raises glibc's mmap threshold to 16 MiB and its
// trim threshold to 32 MiB, so from then on the blocks land in the thread's arena.
#include "train-cycle.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace rsslab {
namespace {

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

struct Tracker {
  std::atomic<size_t> live{0};
  std::atomic<size_t> peak{0};
  std::atomic<size_t> calls{0};
  std::atomic<int> err{0};

  // malloc `size` and write its first `touch` bytes (untouched pages never count in RSS).
  void* Alloc(size_t size, size_t touch) {
    void* p = malloc(size);
    if (p == nullptr) {
      int expected = 0;
      err.compare_exchange_strong(expected, ENOMEM);
      return nullptr;
    }
    memset(p, 0x5A, touch < size ? touch : size);
    calls++;
    const size_t now = live += size;
    size_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {}
    return p;
  }
  void Free(void* p, size_t size) {
    if (p == nullptr) return;
    free(p);
    live -= size;
  }
};

// A std::vector's storage: growth allocates max(2 x capacity, needed), copies, frees the old one.
struct GrowingList {
  unsigned char* data = nullptr;
  size_t size = 0, capacity = 0;

  bool Append(Tracker* t, const void* bytes, size_t n) {
    if (size + n > capacity) {
      size_t next = capacity * 2 > size + n ? capacity * 2 : size + n;
      auto* grown = static_cast<unsigned char*>(t->Alloc(next, 0));
      if (grown == nullptr) return false;
      if (size > 0) memcpy(grown, data, size);
      t->Free(data, capacity);
      data = grown;
      capacity = next;
    }
    memcpy(data + size, bytes, n);
    size += n;
    return true;
  }
  void Release(Tracker* t) {
    t->Free(data, capacity);
    data = nullptr;
    size = capacity = 0;
  }
};

// knn_L2sqr -> exhaustive_L2sqr_blas: query norms, centroid norms and one ip_block per call,
// written bs_x x ny floats deep (ny = nlist centroids, far below the block's 1024 columns).
bool Knn(Tracker* t, const TrainCycleSpec& s, size_t nx, size_t ny) {
  void* xNorms = t->Alloc(nx * sizeof(float), nx * sizeof(float));
  void* yNorms = t->Alloc(ny * sizeof(float), ny * sizeof(float));
  const size_t rowsPerBlock = nx < 4096 ? nx : 4096;
  const size_t cols = ny < 1024 ? ny : 1024;
  void* ip = t->Alloc(s.blockBytes, rowsPerBlock * cols * sizeof(float));
  t->Free(ip, s.blockBytes);
  t->Free(yNorms, ny * sizeof(float));
  t->Free(xNorms, nx * sizeof(float));
  return xNorms != nullptr && yNorms != nullptr && ip != nullptr;
}

// Index::assign: a distances vector around the knn call.
bool Assign(Tracker* t, const TrainCycleSpec& s, size_t nx, size_t k) {
  void* distances = t->Alloc(nx * k * sizeof(float), nx * k * sizeof(float));
  const bool ok = distances != nullptr && Knn(t, s, nx, s.nlist);
  t->Free(distances, nx * k * sizeof(float));
  return ok;
}

// ---- the OpenMP team: helpers that live as long as the thread that started them (libgomp keeps
// a non-main thread's team threads until that thread exits) ----

// Which list each vector lands in. The training data has as many tight clusters as there are
// lists, and k-means started from random points leaves them uneven, as measured on faiss with this
// data (200k x 64, nlist 64: ~16 lists of 6250 vectors, ~22 of 3125, ~26 of 400-2400): a quarter of
// the lists hold two clusters whose centroids merged, the centroids freed that way split a quarter of
// the clusters in two, the rest hold one cluster each. The split decides how much of the lists each
// OpenMP thread (list_no % team) allocates, and with it what glibc's per-arena trim threshold keeps.
class ListMap {
 public:
  bool Build(Tracker* t, size_t nlist, uint64_t seed) {
    n_ = nlist;
    first_ = static_cast<size_t*>(t->Alloc(nlist * sizeof(size_t), nlist * sizeof(size_t)));
    second_ = static_cast<size_t*>(t->Alloc(nlist * sizeof(size_t), nlist * sizeof(size_t)));
    share_ = static_cast<uint32_t*>(t->Alloc(nlist * sizeof(uint32_t), nlist * sizeof(uint32_t)));
    size_t* order = static_cast<size_t*>(t->Alloc(nlist * sizeof(size_t), nlist * sizeof(size_t)));
    if (first_ == nullptr || second_ == nullptr || share_ == nullptr || order == nullptr) {
      t->Free(order, nlist * sizeof(size_t));
      return false;
    }
    state_ = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    for (size_t i = 0; i < nlist; i++) order[i] = i;
    for (size_t i = nlist; i > 1; i--) {
      const size_t j = Next() % i;
      const size_t tmp = order[i - 1];
      order[i - 1] = order[j];
      order[j] = tmp;
    }
    // clusters 0..2m-1 merge pairwise into m lists; clusters 2m..3m-1 split over two lists each;
    // the rest map one to one (cluster c's lists: first_[c], and second_[c] for share_ of 2^32)
    const size_t m = nlist / 4;
    size_t next = 0;
    for (size_t c = 0; c < nlist; c++) {
      share_[c] = UINT32_MAX;
      if (c < 2 * m) {
        first_[c] = second_[c] = order[c / 2];
        if (c % 2 == 1) next = c / 2 + 1;
      } else if (c < 3 * m) {
        first_[c] = order[next++];
        second_[c] = order[next++];
        share_[c] = static_cast<uint32_t>(UINT32_MAX / 20 * (3 + Next() % 15));  // 15%..85%
      } else {
        first_[c] = second_[c] = order[next++];
      }
    }
    t->Free(order, nlist * sizeof(size_t));
    return true;
  }
  size_t ListOf(size_t row) const {
    const size_t c = row % n_;
    if (share_[c] == UINT32_MAX) return first_[c];
    const uint32_t h = static_cast<uint32_t>((row * 0x9E3779B97F4A7C15ULL) >> 32);
    return h < share_[c] ? first_[c] : second_[c];
  }
  void Release(Tracker* t) {
    t->Free(share_, n_ * sizeof(uint32_t));
    t->Free(second_, n_ * sizeof(size_t));
    t->Free(first_, n_ * sizeof(size_t));
  }

 private:
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }
  size_t n_ = 0;
  size_t* first_ = nullptr;
  size_t* second_ = nullptr;
  uint32_t* share_ = nullptr;
  uint64_t state_ = 1;
};

struct AddJob {
  Tracker* tracker;
  const TrainCycleSpec* spec;
  const ListMap* lists;
  const float* xb;
  size_t first, count;
  GrowingList* codes;
  GrowingList* ids;
  size_t rank;
};

void AddEntries(const AddJob& j) {
  const size_t codeSize = j.spec->dim * sizeof(float);
  for (size_t i = j.first; i < j.first + j.count; i++) {
    const size_t list = j.lists->ListOf(i);
    if (list % j.spec->team != j.rank) continue;
    const long long id = static_cast<long long>(i);
    if (!j.ids[list].Append(j.tracker, &id, sizeof id) || !j.codes[list].Append(j.tracker, j.xb + i * j.spec->dim, codeSize)) return;
  }
}

class Helper {
 public:
  int Start() {
    const int err = pthread_create(&thread_, nullptr, &Helper::Main, this);
    if (err != 0) return err;
    pthread_mutex_lock(&mu_);
    while (tid_.load() == 0) pthread_cond_wait(&cv_, &mu_);
    pthread_mutex_unlock(&mu_);
    return 0;
  }
  void Post(const AddJob& job) {
    pthread_mutex_lock(&mu_);
    job_ = job;
    pending_ = true;
    pthread_cond_broadcast(&cv_);
    pthread_mutex_unlock(&mu_);
  }
  void Wait() {
    pthread_mutex_lock(&mu_);
    while (pending_) pthread_cond_wait(&cv_, &mu_);
    pthread_mutex_unlock(&mu_);
  }
  void Stop() {
    pthread_mutex_lock(&mu_);
    stop_ = true;
    pthread_cond_broadcast(&cv_);
    pthread_mutex_unlock(&mu_);
    pthread_join(thread_, nullptr);
  }
  pid_t tid() const { return tid_.load(); }

 private:
  static void* Main(void* self) {
    static_cast<Helper*>(self)->Loop();
    return nullptr;
  }
  void Loop() {
    pthread_mutex_lock(&mu_);
    tid_ = Gettid();
    pthread_cond_broadcast(&cv_);
    for (;;) {
      while (!pending_ && !stop_) pthread_cond_wait(&cv_, &mu_);
      if (stop_) break;
      AddJob job = job_;
      pthread_mutex_unlock(&mu_);
      AddEntries(job);
      pthread_mutex_lock(&mu_);
      pending_ = false;
      pthread_cond_broadcast(&cv_);
    }
    pthread_mutex_unlock(&mu_);
  }
  pthread_t thread_{};
  pthread_mutex_t mu_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv_ = PTHREAD_COND_INITIALIZER;
  AddJob job_{};
  bool pending_ = false;
  bool stop_ = false;
  std::atomic<pid_t> tid_{0};
};

// This thread's helpers, joined when the thread exits (a fresh thread's team goes with it).
struct Team {
  Helper helpers[kMaxTeam];
  size_t started = 0;
  ~Team() {
    for (size_t i = 0; i < started; i++) helpers[i].Stop();
  }
  int Ensure(size_t count) {
    while (started < count && started < kMaxTeam) {
      const int err = helpers[started].Start();
      if (err != 0) return err;
      started++;
    }
    return 0;
  }
};
thread_local Team team;

}  // namespace

TrainCycleResult RunTrainCycle(const TrainCycleSpec& s) {
  TrainCycleResult r;
  r.tid = Gettid();
  Tracker t;
  const size_t team = s.team < 1 ? 1 : (s.team > kMaxTeam ? kMaxTeam : s.team);
  if ((r.err = ::rsslab::team.Ensure(team - 1)) != 0) {
    r.syscall = "pthread_create";
    return r;
  }
  if (team > 1) r.helperTid = ::rsslab::team.helpers[0].tid();
  const size_t rowBytes = s.dim * sizeof(float);

  // 1. the training data, written in full
  auto* xb = static_cast<float*>(t.Alloc(s.rows * rowBytes, s.rows * rowBytes));
  // 2. Clustering::train: subsample through a permutation, k-means iterations, centroids to the quantizer
  void* quantizer = nullptr;
  if (xb != nullptr) {
    const bool subsample = s.sampleRows < s.rows;
    const size_t nx = subsample ? s.sampleRows : s.rows;
    void* perm = subsample ? t.Alloc(s.rows * sizeof(int), s.rows * sizeof(int)) : nullptr;
    void* sample = subsample ? t.Alloc(nx * rowBytes, nx * rowBytes) : nullptr;
    t.Free(perm, s.rows * sizeof(int));
    void* initPerm = t.Alloc(nx * sizeof(int), nx * sizeof(int));
    void* centroids = t.Alloc(s.nlist * rowBytes, s.nlist * rowBytes);
    t.Free(initPerm, nx * sizeof(int));
    void* dis = t.Alloc(nx * sizeof(float), nx * sizeof(float));
    void* assign = t.Alloc(nx * 8, nx * 8);
    for (size_t it = 0; it < s.iterations && t.err == 0; it++) {
      Knn(&t, s, nx, s.nlist);
      void* hassign = t.Alloc(s.nlist * sizeof(float), s.nlist * sizeof(float));
      t.Free(hassign, s.nlist * sizeof(float));
    }
    t.Free(assign, nx * 8);
    t.Free(dis, nx * sizeof(float));
    quantizer = t.Alloc(s.nlist * rowBytes, s.nlist * rowBytes);
    t.Free(centroids, s.nlist * rowBytes);
    t.Free(sample, nx * rowBytes);
  }
  // 3. add, slice by slice: coarse assignment, then the team appends to its lists
  ListMap lists;
  const bool mapped = lists.Build(&t, s.nlist, s.seed);
  auto* codes = static_cast<GrowingList*>(t.Alloc(s.nlist * sizeof(GrowingList), 0));
  auto* ids = static_cast<GrowingList*>(t.Alloc(s.nlist * sizeof(GrowingList), 0));
  if (mapped && codes != nullptr && ids != nullptr) {
    for (size_t l = 0; l < s.nlist; l++) codes[l] = GrowingList(), ids[l] = GrowingList();
    for (size_t first = 0; first < s.rows && t.err == 0 && xb != nullptr; first += s.chunkRows) {
      const size_t n = s.rows - first < s.chunkRows ? s.rows - first : s.chunkRows;
      void* coarse = t.Alloc(n * 8, n * 8);
      Assign(&t, s, n, 1);
      AddJob job{&t, &s, &lists, xb, first, n, codes, ids, 0};
      for (size_t h = 0; h + 1 < team; h++) {
        job.rank = h + 1;
        ::rsslab::team.helpers[h].Post(job);
      }
      job.rank = 0;
      AddEntries(job);
      for (size_t h = 0; h + 1 < team; h++) ::rsslab::team.helpers[h].Wait();
      t.Free(coarse, n * 8);
    }
  }
  // 4. search: coarse assignment of the queries to nprobe lists, results
  if (t.err == 0 && s.queries > 0) {
    void* coarseIds = t.Alloc(s.queries * s.nprobe * 8, s.queries * s.nprobe * 8);
    void* coarseDis = t.Alloc(s.queries * s.nprobe * sizeof(float), s.queries * s.nprobe * sizeof(float));
    Knn(&t, s, s.queries, s.nlist);
    void* D = t.Alloc(s.queries * 10 * sizeof(float), s.queries * 10 * sizeof(float));
    void* I = t.Alloc(s.queries * 10 * 8, s.queries * 10 * 8);
    t.Free(I, s.queries * 10 * 8);
    t.Free(D, s.queries * 10 * sizeof(float));
    t.Free(coarseDis, s.queries * s.nprobe * sizeof(float));
    t.Free(coarseIds, s.queries * s.nprobe * 8);
  }
  // 5. delete the index (~ArrayInvertedLists: ids, then codes), the quantizer, the training data
  r.freeTid = Gettid();
  if (ids != nullptr) for (size_t l = 0; l < s.nlist; l++) ids[l].Release(&t);
  if (codes != nullptr) for (size_t l = 0; l < s.nlist; l++) codes[l].Release(&t);
  t.Free(ids, s.nlist * sizeof(GrowingList));
  t.Free(codes, s.nlist * sizeof(GrowingList));
  lists.Release(&t);
  t.Free(quantizer, s.nlist * rowBytes);
  t.Free(xb, s.rows * rowBytes);
  r.err = t.err.load();
  r.peakBytes = t.peak.load();
  r.allocations = t.calls.load();
  return r;
}

}  // namespace rsslab
