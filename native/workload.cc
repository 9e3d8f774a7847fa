// STUB: to be implemented.
#include "modules.h"
namespace rsslab {
void InitWorkload(Napi::Env env, Napi::Object exports) {}
}  // namespace rsslab
