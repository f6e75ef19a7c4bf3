// File: taskly/histogram.h
//
// A fixed-bucket histogram of durations (timer lateness, task latency) with log-linear buckets,
// as in HdrHistogram: values below 32 ns each have their own bucket; above that every power of
// two [2^e, 2^(e+1)) is split into 32 equal buckets, so a bucket is at most 1/32 (3.1%) as wide
// as the values it holds, from nanoseconds up to 2^47 ns (about 39 hours). Larger values go to
// one overflow bucket (and still count in max() and sum()). 1377 buckets, about 11 KB.
//
//   Histogram h;
//   h.record(clock.now() - due);            // any thread, lock-free
//   Duration p99 = h.quantile(0.99);        // within one bucket (<= 3.1%) of the true value
//   HistogramSnapshot s = h.snapshot();     // for exporters: per-bucket counts, sum, max
//
// Thread-safety: record() and every reader may run concurrently from any threads. record() is
// lock-free: two atomic increments, plus a compare-and-swap only when it sets a new
// minimum or maximum. Readers see each field exactly once recording has quiesced; while records
// race with a read, a snapshot is not an atomic cut (its sum may include a value whose bucket
// count it missed), but its count and quantiles always come from the same bucket counts.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "taskly/clock.h"

namespace taskly {

// The bucket layout, shared by Histogram and HistogramSnapshot.
struct HistogramBuckets {
  static constexpr int kSubBucketBits = 5;  // 32 buckets per power of two
  static constexpr int kMaxExponent = 47;   // values >= 2^47 ns go to the overflow bucket
  static constexpr std::size_t kSubBuckets = std::size_t{1} << kSubBucketBits;
  static constexpr std::size_t kCount =
      kSubBuckets + (kMaxExponent - kSubBucketBits) * kSubBuckets + 1;

  // The bucket that counts `d`; negative durations count as zero.
  static std::size_t IndexOf(Duration d);
  // The smallest and largest durations bucket `i` counts (both inclusive; the overflow bucket's
  // upper bound is Duration::max()). REQUIRES: i < kCount.
  static Duration LowerBound(std::size_t i);
  static Duration UpperBound(std::size_t i);
};

// An immutable copy of a histogram's state. Cheap to query; safe to share between threads.
class HistogramSnapshot {
 public:
  HistogramSnapshot() : counts_(HistogramBuckets::kCount, 0) {}

  std::uint64_t count() const { return count_; }
  // Total of all recorded durations (saturates at Duration::max(), about 292 years).
  Duration sum() const { return sum_; }
  // Smallest and largest recorded durations, exactly; zero when count() == 0.
  Duration min() const { return min_; }
  Duration max() const { return max_; }

  // The q-quantile (q clamped to [0, 1]): the value of rank ceil(q * count) (at least 1),
  // interpolated within its bucket and clamped to [min(), max()], so it is off by less than
  // one bucket width (<= 3.1% of the value; exact below 32 ns). The first and last ranks are
  // min() and max() exactly. Zero when count() == 0.
  Duration quantile(double q) const;

  // Number of recorded values counted in bucket i (REQUIRES: i < HistogramBuckets::kCount).
  std::uint64_t bucket_count(std::size_t i) const { return counts_[i]; }
  // Number of recorded values <= HistogramBuckets::UpperBound(i) (Prometheus `le` buckets).
  std::uint64_t cumulative_count(std::size_t i) const;
  // Number of recorded values in buckets that lie entirely at or below `bound`: exact when
  // `bound` is some UpperBound(i), otherwise it leaves out the bucket straddling `bound`.
  std::uint64_t count_at_or_below(Duration bound) const;

  // Adds `other`'s values to this snapshot, as if one histogram had recorded both (for
  // histograms kept per thread and reported as one).
  void merge(const HistogramSnapshot& other);

 private:
  friend class Histogram;

  // The totals of `count` more values (their buckets already added).
  void add_totals(std::uint64_t count, Duration sum, Duration min, Duration max);

  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  std::uint64_t count_ = 0;
  Duration sum_{0};
  Duration min_{0};
  Duration max_{0};
};

class Histogram {
 public:
  Histogram() = default;
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records one duration; negative durations are recorded as zero.
  void record(Duration d);
  // record() for a histogram that one thread records into (readers may still run at any
  // time): plain loads and stores instead of read-modify-writes, so no locked instruction per
  // value. REQUIRES: no other thread records into this histogram.
  void record_single_writer(Duration d);

  std::uint64_t count() const;
  Duration sum() const;
  Duration max() const;
  // See HistogramSnapshot::quantile.
  Duration quantile(double q) const;

  HistogramSnapshot snapshot() const;
  // merge(snapshot()) into `into`, without the copy: for histograms kept per thread and
  // reported as one, read often (stats() sums one per worker slot).
  void add_to(HistogramSnapshot& into) const;

 private:
  static constexpr std::uint64_t kNoMin = UINT64_MAX;

  std::array<std::atomic<std::uint64_t>, HistogramBuckets::kCount> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};  // saturated to Duration::max() on read
  std::atomic<std::uint64_t> min_ns_{kNoMin};
  std::atomic<std::uint64_t> max_ns_{0};
};

}  // namespace taskly
