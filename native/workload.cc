// Allocation on fresh native threads, the way cgo runs C code from a new goroutine (seed
// 000). glibc gives each new thread its own arena (up to 8 per core) on its first malloc, so
// the same workload spread over threads leaves free memory in many arenas, each trimmed apart.
// The threads never touch N-API and never throw: errors are values, raised as JS errors after join.
#include <pthread.h>
#include <cerrno>
#include <string>

#include "errors.h"
#include "heap.h"
#include "modules.h"

namespace rsslab {
namespace {

constexpr size_t kMaxThreads = 256;

// All threads wait at the gate until every thread has been created, and again before exiting.
// Without this a quick thread could exit first and hand its arena to a later thread (glibc puts an
// exited thread's arena on its free list), and the spread over arenas would depend on timing.
struct Gate {
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  bool open = false;
  size_t total = 0;  // threads actually created; set before open
  size_t done = 0;
  int first_error = 0;

  void Open(size_t created) {
    pthread_mutex_lock(&mu);
    total = created;
    open = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
  void WaitOpen() {
    pthread_mutex_lock(&mu);
    while (!open) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
  }
  void FinishAndWaitAll(int err) {
    pthread_mutex_lock(&mu);
    if (err != 0 && first_error == 0) first_error = err;
    done++;
    if (done == total) pthread_cond_broadcast(&cv);
    while (done < total) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
  }
};

struct Job {
  Gate* gate;
  BlockStore* store;
  size_t count, min_size, max_size;
  uint64_t seed;
};

void* RunJob(void* arg) {
  Job* job = static_cast<Job*>(arg);
  job->gate->WaitOpen();
  // Allocate into a thread-local array first: the first malloc of this thread picks its arena,
  // and holding the store's mutex meanwhile would serialise the threads.
  BlockArray local;
  int err = AllocateBlocks(job->count, job->min_size, job->max_size, job->seed, &local);
  const int append_err = job->store->Append(&local);
  if (err == 0) err = append_err;
  job->gate->FinishAndWaitAll(err);
  return nullptr;
}

Napi::Value RunOnThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BlockStore* store = UnwrapBlockSet(info[0]);
  if (store == nullptr) {
    ThrowType(env, "set must be a BlockSet (created with new BlockSet())");
    return env.Undefined();
  }
  size_t threads, count, min_size, max_size;
  long long seed;
  if (!ArgSize(info, 1, "threads", &threads) || !ArgSize(info, 2, "countPerThread", &count) ||
      !ArgSize(info, 3, "minSize", &min_size) || !ArgSize(info, 4, "maxSize", &max_size) ||
      !ArgInt(info, 5, "seed", 0, (1LL << 53) - 1, &seed)) {
    return env.Undefined();
  }
  if (threads < 1 || threads > kMaxThreads) {
    ThrowRange(env, "threads must be in 1.." + std::to_string(kMaxThreads) + ", got " + std::to_string(threads));
    return env.Undefined();
  }
  if (count > kMaxBlocksPerCall / threads) {
    ThrowRange(env, "threads * countPerThread must be at most " + std::to_string(kMaxBlocksPerCall));
    return env.Undefined();
  }
  if (min_size < 1 || max_size > kMaxBlockSize || min_size > max_size) {
    ThrowRange(env, "need 1 <= minSize <= maxSize <= " + std::to_string(kMaxBlockSize) + ", got minSize " +
                        std::to_string(min_size) + ", maxSize " + std::to_string(max_size));
    return env.Undefined();
  }

  Gate gate;
  Job jobs[kMaxThreads];
  pthread_t ids[kMaxThreads];
  size_t created = 0;
  int create_err = 0;
  for (size_t i = 0; i < threads; i++) {
    // Distinct, replayable sizes per thread.
    jobs[i] = Job{&gate, store, count, min_size, max_size, static_cast<uint64_t>(seed) + i * 0x9E3779B97F4A7C15ULL};
    create_err = pthread_create(&ids[i], nullptr, RunJob, &jobs[i]);  // returns the error, errno untouched
    if (create_err != 0) break;
    created++;
  }
  gate.Open(created);
  for (size_t i = 0; i < created; i++) pthread_join(ids[i], nullptr);

  if (create_err != 0) {
    ThrowSystemError(env, create_err, "pthread_create",
                     "(thread " + std::to_string(created + 1) + " of " + std::to_string(threads) + "); " +
                         std::to_string(created) + " ran and their blocks are kept");
    return env.Undefined();
  }
  if (gate.first_error != 0) {
    ThrowSystemError(env, gate.first_error, "malloc",
                     "(" + std::to_string(min_size) + ".." + std::to_string(max_size) + " bytes) for " + std::to_string(count) +
                         " blocks per thread on " + std::to_string(threads) + " threads; blocks allocated before the failure are kept");
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("threads", static_cast<double>(created));
  o.Set("liveBytes", static_cast<double>(store->LiveBytes()));
  return o;
}

}  // namespace

void InitWorkload(Napi::Env env, Napi::Object exports) {
  exports.Set("runOnThreads", Napi::Function::New(env, RunOnThreads, "runOnThreads"));
}

}  // namespace rsslab
