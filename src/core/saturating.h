// Time arithmetic that cannot overflow. TimePoint and Duration are int64 nanoseconds (about
// +-292 years around 1970), so a time plus a long duration can wrap around to the distant past;
// these helpers clamp at the ends of the range instead.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>

#include "taskly/clock.h"

namespace taskly {

// t + d, or nullopt when the sum is outside TimePoint's range.
inline std::optional<TimePoint> CheckedAdd(TimePoint t, Duration d) {
  Duration::rep r = 0;
  if (__builtin_add_overflow(t.time_since_epoch().count(), d.count(), &r)) return std::nullopt;
  return TimePoint(Duration(r));
}

// t + d, clamped to [TimePoint::min(), TimePoint::max()].
inline TimePoint SaturatingAdd(TimePoint t, Duration d) {
  if (std::optional<TimePoint> sum = CheckedAdd(t, d)) return *sum;
  return d > Duration::zero() ? TimePoint::max() : TimePoint::min();
}

// a - b, clamped to [Duration::min(), Duration::max()].
inline Duration SaturatingSub(TimePoint a, TimePoint b) {
  Duration::rep r = 0;
  if (__builtin_sub_overflow(a.time_since_epoch().count(), b.time_since_epoch().count(), &r)) {
    return a > b ? Duration::max() : Duration::min();
  }
  return Duration(r);
}

// `seconds` as a Duration, clamped to [0, kMaxDuration] (NaN gives kMaxDuration): converting a
// double beyond int64's range is undefined behaviour.
inline Duration ClampedSeconds(double seconds) {
  constexpr double kMaxSeconds = std::chrono::duration<double>(kMaxDuration).count();
  if (!(seconds < kMaxSeconds)) return kMaxDuration;
  if (!(seconds > 0)) return Duration::zero();
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

}  // namespace taskly
