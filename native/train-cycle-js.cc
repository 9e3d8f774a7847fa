// trainCycle(...) on the calling thread (the JS main thread: glibc's main arena), and the guards
// worker.cc uses for the same cycle on its long-lived thread.
#include "train-cycle-js.h"

#include <string>

#include "errors.h"
#include "modules.h"

namespace rsslab {

bool TrainCycleSpecArgs(const Napi::CallbackInfo& info, size_t first, TrainCycleSpec* s) {
  struct Field { const char* name; size_t* value; size_t min, max; };
  const Field fields[] = {
      {"rows", &s->rows, 1, size_t{1} << 28},          {"dim", &s->dim, 1, 4096},
      {"nlist", &s->nlist, 1, 65536},                  {"iterations", &s->iterations, 0, 1000},
      {"sampleRows", &s->sampleRows, 1, size_t{1} << 28}, {"chunkRows", &s->chunkRows, 1, size_t{1} << 28},
      {"blockBytes", &s->blockBytes, 1, size_t{1} << 30}, {"team", &s->team, 1, kMaxTeam},
      {"queries", &s->queries, 0, 1000000},            {"nprobe", &s->nprobe, 1, 65536},
      {"seed", &s->seed, 0, (size_t{1} << 53) - 1},
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const Field& f = fields[i];
    if (!ArgSize(info, first + i, f.name, f.value)) return false;
    if (*f.value < f.min || *f.value > f.max) {
      ThrowRange(info.Env(), std::string(f.name) + " must be in " + std::to_string(f.min) + ".." + std::to_string(f.max) +
                                 ", got " + std::to_string(*f.value));
      return false;
    }
  }
  if (s->rows * s->dim > (size_t{1} << 34)) {
    ThrowRange(info.Env(), "rows * dim must be at most 2^34 floats (64 GiB of training data)");
    return false;
  }
  return true;
}

Napi::Value TrainCycleResultValue(Napi::Env env, const TrainCycleResult& r) {
  if (r.err != 0) {
    ThrowSystemError(env, r.err, r.syscall, "(a train/free cycle; its blocks were freed)");
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("tid", static_cast<double>(r.tid));
  o.Set("freeTid", static_cast<double>(r.freeTid));
  o.Set("helperTid", static_cast<double>(r.helperTid));
  o.Set("peakBytes", static_cast<double>(r.peakBytes));
  o.Set("allocations", static_cast<double>(r.allocations));
  return o;
}

namespace {
Napi::Value TrainCycle(const Napi::CallbackInfo& info) {
  TrainCycleSpec spec{};
  if (!TrainCycleSpecArgs(info, 0, &spec)) return info.Env().Undefined();
  return TrainCycleResultValue(info.Env(), RunTrainCycle(spec));
}
}  // namespace

void InitTrainCycle(Napi::Env env, Napi::Object exports) {
  exports.Set("trainCycle", Napi::Function::New(env, TrainCycle, "trainCycle"));
}

}  // namespace rsslab
