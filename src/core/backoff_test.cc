#include "core/backoff.h"

#include <gtest/gtest.h>

namespace taskly {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(BackoffTest, CeilingGrowsExponentiallyUpToTheCap) {
  Backoff b{.initial = seconds(1), .cap = seconds(60), .multiplier = 2.0};
  EXPECT_EQ(BackoffCeiling(b, 1), seconds(1));
  EXPECT_EQ(BackoffCeiling(b, 2), seconds(2));
  EXPECT_EQ(BackoffCeiling(b, 6), seconds(32));
  EXPECT_EQ(BackoffCeiling(b, 7), seconds(60));
  EXPECT_EQ(BackoffCeiling(b, 10'000), seconds(60));  // no overflow for huge n
}

TEST(BackoffTest, FullJitterStaysWithinBoundsAndSpreadsOverThem) {
  Backoff b{.initial = milliseconds(100), .cap = seconds(10), .multiplier = 3.0};
  std::mt19937_64 rng(42);
  for (int32_t n = 1; n <= 8; ++n) {
    Duration ceiling = BackoffCeiling(b, n);
    Duration lo = Duration::max(), hi = Duration::zero();
    for (int i = 0; i < 2000; ++i) {
      Duration d = BackoffDelay(b, n, rng);
      ASSERT_GE(d, Duration::zero());
      ASSERT_LE(d, ceiling);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter uses the whole range, not just its top.
    EXPECT_LT(lo, ceiling / 10) << "n=" << n;
    EXPECT_GT(hi, ceiling * 9 / 10) << "n=" << n;
  }
}

TEST(BackoffTest, ZeroInitialMeansImmediateRetry) {
  Backoff b{.initial = Duration::zero(), .cap = seconds(1), .multiplier = 2.0};
  std::mt19937_64 rng(1);
  EXPECT_EQ(BackoffDelay(b, 5, rng), Duration::zero());
}

}  // namespace
}  // namespace taskly
