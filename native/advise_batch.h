// Many madvise calls in one crossing from JS: seed 004's loop (advise `length` bytes every `stride`
// bytes) or a list of ranges. The caller (region.cc) has checked every range against the mapping
// before the first call; these functions only loop and report where they stopped.
#pragma once
#include <napi.h>

#include <cstddef>

namespace rsslab {

struct BatchOutcome {
  size_t done = 0;          // calls that succeeded, in order
  int err = 0;              // errno of the call that failed, 0 when all succeeded
  size_t failedOffset = 0;  // region offset and length of that call
  size_t failedLength = 0;
};

// madvise(base + offset + k * stride, length, advice) for k in [0, count). Stops at the first error.
BatchOutcome AdviseStrided(char* base, size_t offset, size_t length, size_t stride, size_t count, int advice);

// madvise(base + pairs[2k], pairs[2k + 1], advice) for k in [0, n). Stops at the first error.
BatchOutcome AdviseRanges(char* base, const double* pairs, size_t n, int advice);

// A SystemError for the failed call (code, errno, syscall 'madvise', like a single advise), whose
// message says how far the batch got, plus `succeeded`, `failedOffset` and `failedLength`.
void ThrowBatchFailure(Napi::Env env, const BatchOutcome& o, char* base, size_t total, const char* constant);

}  // namespace rsslab
