// STUB: to be implemented.
#include "modules.h"
namespace rsslab {
void InitErrors(Napi::Env env, Napi::Object exports) {}
}  // namespace rsslab
