// A token bucket for rate limits: `rate` tokens per second, holding at most `burst`. Time is
// passed in (the caller's clock), so the bucket is deterministic under a simulated clock.
//
// Thread-safety: not thread-safe; the owner serializes calls.
#pragma once

#include <algorithm>
#include <cmath>

#include "core/saturating.h"
#include "taskly/clock.h"

namespace taskly {

class TokenBucket {
 public:
  // rate <= 0 means unlimited. burst <= 0 means max(1, ceil(rate)). A bucket that becomes
  // limited starts full; a change of limits keeps the tokens it has, up to the new burst.
  void configure(double rate, double burst, TimePoint now) {
    refill(now);
    bool was_limited = !unlimited();
    rate_ = rate;
    burst_ = burst > 0 ? burst : std::max(1.0, std::ceil(rate));
    tokens_ = was_limited ? std::min(tokens_, burst_) : burst_;
  }

  bool unlimited() const { return rate_ <= 0; }

  // Takes one token if one is available at `now`.
  bool try_take(TimePoint now) {
    if (unlimited()) return true;
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  bool available(TimePoint now) {
    if (unlimited()) return true;
    refill(now);
    return tokens_ >= 1.0;
  }

  // When the next token will be available (now if one is).
  TimePoint next_token(TimePoint now) {
    if (unlimited()) return now;
    refill(now);
    if (tokens_ >= 1.0) return now;
    // A tiny rate makes this wait enormous: clamped, so the sum neither overflows nor wraps into
    // the past (a wait in the past would make its caller spin).
    return SaturatingAdd(now, ClampedSeconds((1.0 - tokens_) / rate_));
  }

 private:
  void refill(TimePoint now) {
    if (now > last_ && rate_ > 0) {
      double dt = std::chrono::duration<double>(now - last_).count();
      tokens_ = std::min(burst_, tokens_ + dt * rate_);
    }
    if (now > last_) last_ = now;
  }

  double rate_ = 0;
  double burst_ = 1;
  double tokens_ = 1;
  TimePoint last_{};
};

}  // namespace taskly
