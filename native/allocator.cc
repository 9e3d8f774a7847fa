// STUB: to be implemented.
#include "modules.h"
namespace rsslab {
void InitAllocator(Napi::Env env, Napi::Object exports) {}
}  // namespace rsslab
