// Retry delays: exponential backoff with full jitter (as in AWS's "Exponential Backoff And
// Jitter"): the delay before retry n (n = 1 after the first failed attempt) is uniform in
// [0, ceiling(n)], ceiling(n) = min(cap, initial * multiplier^(n-1)). Full jitter spreads the
// retries of tasks that failed together, so they do not hammer a recovering dependency at once.
#pragma once

#include <cstdint>
#include <random>

#include "taskly/task.h"

namespace taskly {

// The largest delay retry n may get. REQUIRES: n >= 1.
Duration BackoffCeiling(const Backoff& backoff, int32_t n);

// A delay for retry n drawn uniformly from [0, BackoffCeiling(backoff, n)].
Duration BackoffDelay(const Backoff& backoff, int32_t n, std::mt19937_64& rng);

}  // namespace taskly
