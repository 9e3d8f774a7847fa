// Batched madvise (see advise_batch.h). Why: a page-at-a-time loop from JS pays the N-API crossing and
// the argument checks per call (~1-2 us here against a 2-3 us syscall); one crossing for the whole
// loop leaves the syscalls alone, which is what the seed's C program measures.
#include "advise_batch.h"

#include <string>
#include <utility>

#include "errors.h"
#include "vm.h"

namespace rsslab {

// One madvise per range, in order; the first failure stops the batch and says where it stopped.
template <typename RangeAt>
static BatchOutcome AdviseEach(char* base, size_t n, int advice, RangeAt rangeAt) {
  BatchOutcome o;
  for (size_t k = 0; k < n; k++) {
    const auto [at, length] = rangeAt(k);
    int err = vm::Advise(base + at, length, advice);
    if (err != 0) {
      o.err = err;
      o.failedOffset = at;
      o.failedLength = length;
      return o;
    }
    o.done++;
  }
  return o;
}

BatchOutcome AdviseStrided(char* base, size_t offset, size_t length, size_t stride, size_t count, int advice) {
  return AdviseEach(base, count, advice, [=](size_t k) { return std::pair<size_t, size_t>{offset + k * stride, length}; });
}

BatchOutcome AdviseRanges(char* base, const double* pairs, size_t n, int advice) {
  return AdviseEach(base, n, advice, [=](size_t k) {
    return std::pair<size_t, size_t>{static_cast<size_t>(pairs[2 * k]), static_cast<size_t>(pairs[2 * k + 1])};
  });
}

void ThrowBatchFailure(Napi::Env env, const BatchOutcome& o, char* base, size_t total, const char* constant) {
  ThrowSystemError(env, o.err, "madvise",
                   "(" + Hex(base + o.failedOffset) + ", " + std::to_string(o.failedLength) + ", " + constant +
                       ") at region offset " + std::to_string(o.failedOffset) + ", after " + std::to_string(o.done) +
                       " of " + std::to_string(total) + " calls succeeded");
  if (!env.IsExceptionPending()) return;
  Napi::Error e = env.GetAndClearPendingException();
  e.Set("succeeded", Napi::Number::New(env, static_cast<double>(o.done)));
  e.Set("failedOffset", Napi::Number::New(env, static_cast<double>(o.failedOffset)));
  e.Set("failedLength", Napi::Number::New(env, static_cast<double>(o.failedLength)));
  e.ThrowAsJavaScriptException();
}

}  // namespace rsslab
