#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace taskly {

Duration BackoffCeiling(const Backoff& b, int32_t n) {
  // Computed in floating point and clamped before converting, so large n cannot overflow. The
  // cap is returned as it is, never converted through a double (which may round it up past
  // int64's range); a product that is NaN (0 * inf) or beyond the cap gives the cap.
  double ceiling = static_cast<double>(b.initial.count()) * std::pow(b.multiplier, n - 1);
  if (!(ceiling < static_cast<double>(b.cap.count()))) return b.cap;
  return std::min(b.cap, Duration(static_cast<Duration::rep>(ceiling)));
}

Duration BackoffDelay(const Backoff& b, int32_t n, std::mt19937_64& rng) {
  Duration::rep ceiling = BackoffCeiling(b, n).count();
  std::uniform_int_distribution<Duration::rep> pick(0, ceiling);
  return Duration(pick(rng));
}

}  // namespace taskly
