// The JS face of train-cycle.h: argument guards and the result object, shared by the calling-
// thread entry point (trainCycle) and worker.cc's long-lived thread.
#pragma once
#include <napi.h>

#include "train-cycle.h"

namespace rsslab {

// Reads the eleven spec numbers at info[first..first+10] (TrainCycleSpec's order); throws and returns
// false when one is missing or out of range.
bool TrainCycleSpecArgs(const Napi::CallbackInfo& info, size_t first, TrainCycleSpec* out);

// { tid, freeTid, helperTid, peakBytes, allocations }, or throws for a failed cycle.
Napi::Value TrainCycleResultValue(Napi::Env env, const TrainCycleResult& r);

}  // namespace rsslab
