// One long-lived native thread that JS hands block-set work to, synchronously: the shape of a cgo
// service whose C calls keep landing on the same OS thread (seed 000, "same-thread"). Its
// first malloc binds it to a glibc arena of its own (not the main arena the JS thread uses), and
// that arena keeps what the thread frees across calls — unlike runOnThreads, whose threads exit.
// The thread never touches N-API: jobs and results are plain values under a mutex.
#include <pthread.h>
#include <cerrno>
#include <string>

#include "errors.h"
#include "heap.h"
#include "modules.h"
#include "train-cycle-js.h"

namespace rsslab {
namespace {

enum class Op { kNone, kAllocate, kFreeEvery, kFreeRange, kFreeAll, kTrainCycle, kStop };

struct Job {
  Op op = Op::kNone;
  BlockStore* store = nullptr;
  size_t a = 0, b = 0, c = 0;
  uint64_t seed = 0;
  TrainCycleSpec cycle{};
  // results
  TrainCycleResult cycleResult;
  int err = 0;
  size_t bytes = 0;
  bool done = false;
};

class Worker {
 public:
  // Returns pthread_create's error (it does not set errno). Only a created thread is ever joined:
  // a Worker whose thread never started is destroyed (the constructor threw) without waiting.
  int Start() {
    const int err = pthread_create(&thread_, nullptr, &Worker::Main, this);
    started_ = err == 0;
    return err;
  }

  // Runs `job` on the worker and waits for it (the JS thread blocks, as a cgo call does).
  void Run(Job* job) {
    pthread_mutex_lock(&mu_);
    job_ = job;
    pthread_cond_broadcast(&cv_);
    while (!job->done) pthread_cond_wait(&cv_, &mu_);
    job_ = nullptr;
    pthread_mutex_unlock(&mu_);
  }

  void Stop() {
    if (!started_ || stopped_) return;
    Job stop;
    stop.op = Op::kStop;
    Run(&stop);
    pthread_join(thread_, nullptr);
    stopped_ = true;
  }
  bool stopped() const { return stopped_; }

  ~Worker() { Stop(); }

 private:
  static void* Main(void* self) {
    static_cast<Worker*>(self)->Loop();
    return nullptr;
  }

  void Loop() {
    for (;;) {
      pthread_mutex_lock(&mu_);
      while (job_ == nullptr || job_->done) pthread_cond_wait(&cv_, &mu_);
      Job* job = job_;
      pthread_mutex_unlock(&mu_);
      const bool stop = job->op == Op::kStop;
      Execute(job);
      pthread_mutex_lock(&mu_);
      job->done = true;
      pthread_cond_broadcast(&cv_);
      pthread_mutex_unlock(&mu_);
      if (stop) return;
    }
  }

  static void Execute(Job* j) {
    switch (j->op) {
      case Op::kAllocate: {
        // Allocate into a local array first so the mallocs happen on this thread, then move them in.
        BlockArray local;
        j->err = AllocateBlocks(j->a, j->b, j->c, j->seed, &local);
        const int append = j->store->Append(&local);
        if (j->err == 0) j->err = append;
        break;
      }
      case Op::kFreeEvery: j->bytes = j->store->FreeEvery(j->a, j->b); break;
      case Op::kFreeRange: j->bytes = j->store->FreeRange(j->a, j->b); break;
      case Op::kFreeAll: j->bytes = j->store->FreeAll(); break;
      case Op::kTrainCycle: j->cycleResult = RunTrainCycle(j->cycle); break;
      case Op::kStop:
      case Op::kNone: break;
    }
  }

  pthread_t thread_{};
  pthread_mutex_t mu_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv_ = PTHREAD_COND_INITIALIZER;
  Job* job_ = nullptr;
  bool started_ = false;
  bool stopped_ = false;
};

class NativeThread : public Napi::ObjectWrap<NativeThread> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeThread",
                       {InstanceMethod<&NativeThread::Allocate>("allocate"),
                        InstanceMethod<&NativeThread::FreeEvery>("freeEvery"),
                        InstanceMethod<&NativeThread::FreeRange>("freeRange"),
                        InstanceMethod<&NativeThread::FreeAll>("freeAll"),
                        InstanceMethod<&NativeThread::TrainCycle>("trainCycle"),
                        InstanceMethod<&NativeThread::Stop>("stop"),
                        InstanceAccessor<&NativeThread::Running>("running")});
  }

  explicit NativeThread(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeThread>(info) {
    const int err = worker_.Start();  // returns the error, errno untouched
    if (err != 0) {
      started_ = false;
      ThrowSystemError(info.Env(), err, "pthread_create", "(a long-lived worker thread)");
    }
  }

  ~NativeThread() override {
    if (!started_) return;
    worker_.Stop();  // RAII: a collected handle joins its thread
  }

 private:
  bool Usable(Napi::Env env) {
    if (!started_ || worker_.stopped()) {
      ThrowUnmapped(env, "NativeThread: the thread was stopped; create a new NativeThread");
      return false;
    }
    return true;
  }

  BlockStore* Store(const Napi::CallbackInfo& info) {
    BlockStore* s = UnwrapBlockSet(info[0]);
    if (s == nullptr) ThrowType(info.Env(), "set must be a BlockSet (created with new BlockSet())");
    return s;
  }

  Napi::Value Allocate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    BlockStore* store = Store(info);
    if (store == nullptr) return env.Undefined();
    size_t count, min_size, max_size;
    long long seed;
    if (!ArgSize(info, 1, "count", &count) || !ArgSize(info, 2, "minSize", &min_size) ||
        !ArgSize(info, 3, "maxSize", &max_size) || !ArgInt(info, 4, "seed", 0, (1LL << 53) - 1, &seed)) {
      return env.Undefined();
    }
    if (count > kMaxBlocksPerCall || min_size < 1 || max_size > kMaxBlockSize || min_size > max_size) {
      ThrowRange(env, "need count <= " + std::to_string(kMaxBlocksPerCall) + " and 1 <= minSize <= maxSize <= " +
                          std::to_string(kMaxBlockSize));
      return env.Undefined();
    }
    Job job;
    job.op = Op::kAllocate;
    job.store = store;
    job.a = count;
    job.b = min_size;
    job.c = max_size;
    job.seed = static_cast<uint64_t>(seed);
    worker_.Run(&job);
    if (job.err != 0) {
      ThrowSystemError(env, job.err, "malloc", "(" + std::to_string(count) + " blocks on the worker thread; those made before the failure are kept)");
    }
    return env.Undefined();
  }

  Napi::Value Free(const Napi::CallbackInfo& info, Op op) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    BlockStore* store = Store(info);
    if (store == nullptr) return env.Undefined();
    Job job;
    job.op = op;
    job.store = store;
    if (op == Op::kFreeEvery || op == Op::kFreeRange) {
      if (!ArgSize(info, 1, op == Op::kFreeEvery ? "k" : "from", &job.a) ||
          !ArgSize(info, 2, op == Op::kFreeEvery ? "start" : "to", &job.b)) {
        return env.Undefined();
      }
      if (op == Op::kFreeEvery && job.a < 1) {
        ThrowRange(env, "k must be >= 1, got 0");
        return env.Undefined();
      }
      if (op == Op::kFreeRange && (job.a > job.b || job.b > store->Count())) {
        ThrowRange(env, "need 0 <= from <= to <= count (" + std::to_string(store->Count()) + ")");
        return env.Undefined();
      }
    }
    worker_.Run(&job);
    return Napi::Number::New(env, static_cast<double>(job.bytes));
  }

  Napi::Value FreeEvery(const Napi::CallbackInfo& info) { return Free(info, Op::kFreeEvery); }
  Napi::Value FreeRange(const Napi::CallbackInfo& info) { return Free(info, Op::kFreeRange); }
  Napi::Value FreeAll(const Napi::CallbackInfo& info) { return Free(info, Op::kFreeAll); }

  // One faiss train/add/search/free cycle on this thread (train-cycle.h): the cgo shape, where a
  // long-lived OS thread runs the call and keeps its arena, caches and OpenMP team afterwards.
  Napi::Value TrainCycle(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    Job job;
    job.op = Op::kTrainCycle;
    if (!TrainCycleSpecArgs(info, 0, &job.cycle)) return env.Undefined();
    worker_.Run(&job);
    return TrainCycleResultValue(env, job.cycleResult);
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (started_) worker_.Stop();
    return info.Env().Undefined();
  }
  Napi::Value Running(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), started_ && !worker_.stopped());
  }

  Worker worker_;
  bool started_ = true;
};

}  // namespace

void InitWorker(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeThread", NativeThread::Define(env));
}

}  // namespace rsslab
