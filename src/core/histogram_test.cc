#include "taskly/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

namespace taskly {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using B = HistogramBuckets;

// The true q-quantile of `sorted` with the histogram's rank rule: rank ceil(q * n), at least 1.
Duration TrueQuantile(const std::vector<Duration>& sorted, double q) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * n)));
  return sorted[rank - 1];
}

// Checks every quantile of interest against the exact one, allowing one bucket width.
void ExpectQuantilesWithinBucket(const std::vector<Duration>& values) {
  Histogram h;
  for (Duration v : values) h.record(v);
  std::vector<Duration> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const HistogramSnapshot s = h.snapshot();
  ASSERT_EQ(s.count(), values.size());
  for (double q : {0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0}) {
    const Duration truth = TrueQuantile(sorted, q);
    const std::size_t i = B::IndexOf(truth);
    const Duration width = B::UpperBound(i) - B::LowerBound(i);
    EXPECT_LE(std::chrono::abs(s.quantile(q) - truth), width) << "q=" << q;
    // The promised relative error: at most 1/32 of the value (exact below 32 ns).
    EXPECT_LE(std::chrono::abs(s.quantile(q) - truth).count() * 32, truth.count()) << "q=" << q;
  }
  EXPECT_EQ(s.quantile(0.0), sorted.front());
  EXPECT_EQ(s.quantile(1.0), sorted.back());
}

TEST(HistogramBucketsTest, BucketsTileTheRangeWithBoundedRelativeWidth) {
  EXPECT_EQ(B::LowerBound(0), Duration(0));
  for (std::size_t i = 0; i + 1 < B::kCount; ++i) {
    ASSERT_EQ(B::UpperBound(i) + Duration(1), B::LowerBound(i + 1)) << i;
    ASSERT_EQ(B::IndexOf(B::LowerBound(i)), i);
    ASSERT_EQ(B::IndexOf(B::UpperBound(i)), i);
    const auto width = (B::UpperBound(i) - B::LowerBound(i)).count() + 1;
    if (i < B::kSubBuckets) {
      EXPECT_EQ(width, 1);
    } else {
      EXPECT_LE(width * 32, B::LowerBound(i).count()) << i;
    }
  }
  EXPECT_EQ(B::UpperBound(B::kCount - 1), Duration::max());
  EXPECT_EQ(B::IndexOf(Duration::max()), B::kCount - 1);
  EXPECT_EQ(B::IndexOf(nanoseconds(-5)), 0u);
  // The log-linear range reaches past a day.
  EXPECT_LT(B::IndexOf(hours(24)), B::kCount - 1);
}

TEST(HistogramTest, EmptyHistogramReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), Duration(0));
  EXPECT_EQ(h.max(), Duration(0));
  EXPECT_EQ(h.quantile(0.5), Duration(0));
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.min(), Duration(0));
  EXPECT_EQ(s.cumulative_count(B::kCount - 1), 0u);
}

TEST(HistogramTest, SingleValueIsReportedExactly) {
  Histogram h;
  h.record(milliseconds(5));
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.sum(), milliseconds(5));
  EXPECT_EQ(h.max(), milliseconds(5));
  EXPECT_EQ(h.quantile(0.5), milliseconds(5));
  EXPECT_EQ(h.quantile(0.99), milliseconds(5));
  EXPECT_EQ(h.snapshot().min(), milliseconds(5));
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (int v = 0; v < 32; ++v) h.record(nanoseconds(v));
  const HistogramSnapshot s = h.snapshot();
  for (int v = 0; v < 32; ++v) {
    EXPECT_EQ(s.bucket_count(static_cast<std::size_t>(v)), 1u);
    EXPECT_EQ(s.quantile((v + 1) / 32.0), nanoseconds(v));
  }
  EXPECT_EQ(s.sum(), nanoseconds(31 * 32 / 2));
}

TEST(HistogramTest, NegativeDurationsCountAsZero) {
  Histogram h;
  h.record(milliseconds(-3));
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), Duration(0));
  EXPECT_EQ(h.sum(), Duration(0));
  EXPECT_EQ(h.snapshot().bucket_count(0), 1u);
}

TEST(HistogramTest, UniformDistributionQuantiles) {
  std::vector<Duration> values;
  for (int us = 1; us <= 100'000; ++us) values.push_back(microseconds(us));
  ExpectQuantilesWithinBucket(values);
  Histogram h;
  for (Duration v : values) h.record(v);
  // The median of 1..100000 µs is 50 ms; p99 is 99 ms (both within 3.1%).
  using Ms = std::chrono::duration<double, std::milli>;
  EXPECT_NEAR(Ms(h.quantile(0.5)).count(), 50.0, 1.6);
  EXPECT_NEAR(Ms(h.quantile(0.99)).count(), 99.0, 3.1);
  EXPECT_EQ(h.max(), milliseconds(100));
  EXPECT_EQ(h.sum(), microseconds(std::int64_t{100'000} * 100'001 / 2));
}

TEST(HistogramTest, LogUniformDistributionFromMicrosecondsToHours) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(std::log(1e3), std::log(3.6e12));  // 1µs..1h
  std::vector<Duration> values;
  for (int i = 0; i < 200'000; ++i) {
    values.push_back(nanoseconds(static_cast<std::int64_t>(std::exp(exponent(rng)))));
  }
  ExpectQuantilesWithinBucket(values);
}

TEST(HistogramTest, BimodalDistributionQuantiles) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> fast(50e3, 5e3);  // ~50 µs
  std::normal_distribution<double> slow(20e6, 2e6);  // ~20 ms
  std::vector<Duration> values;
  for (int i = 0; i < 100'000; ++i) {
    const double ns = (i % 100 == 0) ? slow(rng) : fast(rng);
    values.push_back(nanoseconds(static_cast<std::int64_t>(std::max(ns, 0.0))));
  }
  ExpectQuantilesWithinBucket(values);
}

TEST(HistogramTest, OverflowBucketKeepsMaxAndSum) {
  Histogram h;
  h.record(hours(24 * 365));
  h.record(milliseconds(1));
  EXPECT_EQ(h.max(), hours(24 * 365));
  EXPECT_EQ(h.sum(), hours(24 * 365) + milliseconds(1));
  EXPECT_EQ(h.quantile(1.0), hours(24 * 365));
  EXPECT_EQ(h.snapshot().bucket_count(B::kCount - 1), 1u);
}

TEST(HistogramTest, CumulativeCountsForExport) {
  Histogram h;
  for (int i = 0; i < 10; ++i) h.record(microseconds(100));
  for (int i = 0; i < 5; ++i) h.record(milliseconds(10));
  const HistogramSnapshot s = h.snapshot();
  const std::size_t small = B::IndexOf(microseconds(100));
  const std::size_t large = B::IndexOf(milliseconds(10));
  EXPECT_EQ(s.cumulative_count(small - 1), 0u);
  EXPECT_EQ(s.cumulative_count(small), 10u);
  EXPECT_EQ(s.cumulative_count(large - 1), 10u);
  EXPECT_EQ(s.cumulative_count(large), 15u);
  EXPECT_EQ(s.cumulative_count(B::kCount - 1), 15u);
  // Bounds on bucket edges are exact; others leave out the straddling bucket.
  EXPECT_EQ(s.count_at_or_below(B::UpperBound(small)), 10u);
  EXPECT_EQ(s.count_at_or_below(B::LowerBound(small) - Duration(1)), 0u);
  EXPECT_EQ(s.count_at_or_below(milliseconds(1)), 10u);
  EXPECT_EQ(s.count_at_or_below(Duration::max()), 15u);
  EXPECT_EQ(s.count_at_or_below(Duration(-1)), 0u);
}

TEST(HistogramTest, ConcurrentRecordingLosesNothing) {
  Histogram h;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 1; i <= kPerThread; ++i) h.record(microseconds(i + t));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.count(), std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(h.max(), microseconds(kPerThread + kThreads - 1));
  EXPECT_EQ(h.snapshot().min(), microseconds(1));
  std::int64_t total_us = 0;
  for (int t = 0; t < kThreads; ++t)
    total_us += std::int64_t{kPerThread} * (kPerThread + 1) / 2 + std::int64_t{t} * kPerThread;
  EXPECT_EQ(h.sum(), microseconds(total_us));
}

TEST(HistogramTest, SingleWriterRecordingMatchesRecord) {
  Histogram shared, single;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> ns(-5, 3'000'000'000);
  for (int i = 0; i < 10'000; ++i) {
    const Duration d(ns(rng));
    shared.record(d);
    single.record_single_writer(d);
  }
  const HistogramSnapshot a = shared.snapshot();
  const HistogramSnapshot b = single.snapshot();
  EXPECT_EQ(b.count(), 10'000u);
  EXPECT_EQ(b.count(), a.count());
  EXPECT_EQ(b.sum(), a.sum());
  EXPECT_EQ(b.min(), a.min());
  EXPECT_EQ(b.max(), a.max());
  for (std::size_t i = 0; i < HistogramBuckets::kCount; ++i) {
    ASSERT_EQ(b.bucket_count(i), a.bucket_count(i)) << "bucket " << i;
  }
}

// One writer and a concurrent reader: every snapshot is consistent (its count is what its
// buckets add up to, its quantiles lie within [min, max]) and the final one has every value.
TEST(HistogramTest, SingleWriterIsReadableWhileRecording) {
  Histogram h;
  constexpr int kValues = 200'000;
  std::thread writer([&h] {
    for (int i = 1; i <= kValues; ++i) h.record_single_writer(microseconds(i));
  });
  for (int r = 0; r < 100; ++r) {
    const HistogramSnapshot s = h.snapshot();
    std::uint64_t buckets = 0;
    for (std::size_t i = 0; i < HistogramBuckets::kCount; ++i) buckets += s.bucket_count(i);
    ASSERT_EQ(s.count(), buckets);
    if (s.count() > 0) {
      ASSERT_GE(s.quantile(0.5), s.min());
      ASSERT_LE(s.quantile(0.5), s.max());
    }
  }
  writer.join();
  EXPECT_EQ(h.count(), std::uint64_t{kValues});
  EXPECT_EQ(h.snapshot().min(), microseconds(1));
  EXPECT_EQ(h.max(), microseconds(kValues));
}

// merge() of snapshots and add_to() (the same without the copies) both report per-thread
// histograms as one.
TEST(HistogramTest, MergedSnapshotsEqualOneHistogramOfAllValues) {
  Histogram a, b, both;
  for (int i = 1; i <= 1000; ++i) {
    Histogram& part = i % 3 == 0 ? a : b;
    part.record(microseconds(i * 7));
    both.record(microseconds(i * 7));
  }
  HistogramSnapshot merged;  // empty: takes min and max from what is merged in
  merged.merge(a.snapshot());
  merged.merge(HistogramSnapshot());  // merging nothing changes nothing
  merged.merge(b.snapshot());
  HistogramSnapshot added;
  a.add_to(added);  // a's smallest is 21 us: b's 7 us must replace it
  Histogram().add_to(added);
  b.add_to(added);
  HistogramSnapshot expected = both.snapshot();
  for (const HistogramSnapshot* s : {&merged, &added}) {
    EXPECT_EQ(s->count(), expected.count());
    EXPECT_EQ(s->sum(), expected.sum());
    EXPECT_EQ(s->min(), microseconds(7));
    EXPECT_EQ(s->max(), microseconds(7000));
    for (std::size_t i = 0; i < HistogramBuckets::kCount; ++i) {
      ASSERT_EQ(s->bucket_count(i), expected.bucket_count(i)) << "bucket " << i;
    }
    EXPECT_EQ(s->quantile(0.99), expected.quantile(0.99));
  }
}

}  // namespace
}  // namespace taskly
