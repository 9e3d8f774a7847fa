// STUB: to be implemented.
#include "modules.h"
namespace rsslab {
void InitThp(Napi::Env env, Napi::Object exports) {}
}  // namespace rsslab
