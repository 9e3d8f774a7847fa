// STUB: to be implemented.
#include "modules.h"
namespace rsslab {
void InitRegion(Napi::Env env, Napi::Object exports) {}
}  // namespace rsslab
