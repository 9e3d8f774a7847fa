// Each concept registers its own exports; addon.cc only calls these (the sharp layout).
#pragma once
#include <napi.h>

namespace rsslab {
void InitErrors(Napi::Env env, Napi::Object exports);
void InitRegion(Napi::Env env, Napi::Object exports);
void InitThp(Napi::Env env, Napi::Object exports);
void InitHeap(Napi::Env env, Napi::Object exports);
void InitAllocator(Napi::Env env, Napi::Object exports);
void InitWorkload(Napi::Env env, Napi::Object exports);
void InitWorker(Napi::Env env, Napi::Object exports);
void InitTrainCycle(Napi::Env env, Napi::Object exports);
void InitLock(Napi::Env env, Napi::Object exports);
void InitPageMap(Napi::Env env, Napi::Object exports);
}  // namespace rsslab
