#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace taskly {

Duration BackoffCeiling(const Backoff& b, int32_t n) {
  // Computed in floating point and clamped before converting, so large n cannot overflow.
  double ceiling = static_cast<double>(b.initial.count()) * std::pow(b.multiplier, n - 1);
  double cap = static_cast<double>(b.cap.count());
  return Duration(static_cast<Duration::rep>(std::min(ceiling, cap)));
}

Duration BackoffDelay(const Backoff& b, int32_t n, std::mt19937_64& rng) {
  Duration::rep ceiling = BackoffCeiling(b, n).count();
  std::uniform_int_distribution<Duration::rep> pick(0, ceiling);
  return Duration(pick(rng));
}

}  // namespace taskly
