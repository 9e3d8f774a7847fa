// STUB: to be implemented.
#include "modules.h"
namespace rsslab {
void InitHeap(Napi::Env env, Napi::Object exports) {}
}  // namespace rsslab
