// Module init only: every concept lives in its own file (see modules.h).
#include "modules.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  rsslab::InitErrors(env, exports);
  rsslab::InitRegion(env, exports);
  rsslab::InitThp(env, exports);
  rsslab::InitHeap(env, exports);
  rsslab::InitAllocator(env, exports);
  rsslab::InitWorkload(env, exports);
  rsslab::InitWorker(env, exports);
  rsslab::InitTrainCycle(env, exports);
  rsslab::InitLock(env, exports);
  rsslab::InitPageMap(env, exports);
  return exports;
}

NODE_API_MODULE(rsslab, Init)
