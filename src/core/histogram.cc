#include "taskly/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace taskly {
namespace {

using B = HistogramBuckets;

constexpr std::size_t kOverflow = B::kCount - 1;

std::uint64_t ToNanos(Duration d) {
  return d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count());
}

Duration FromNanos(std::uint64_t ns) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max());
  return Duration(static_cast<Duration::rep>(std::min(ns, kMax)));
}

// For a bucket of the log-linear range (B::kSubBuckets <= i < kOverflow): the power of two its
// values share, less kSubBucketBits (so the bucket is 2^shift wide), and its position in it.
struct LogBucket {
  int shift;
  std::uint64_t sub;
};

LogBucket Split(std::size_t i) {
  const std::size_t j = i - B::kSubBuckets;
  return {static_cast<int>(j / B::kSubBuckets), j % B::kSubBuckets};
}

}  // namespace

std::size_t HistogramBuckets::IndexOf(Duration d) {
  const std::uint64_t v = ToNanos(d);
  if (v < kSubBuckets) return static_cast<std::size_t>(v);
  const int exponent = std::bit_width(v) - 1;
  if (exponent >= kMaxExponent) return kOverflow;
  const int shift = exponent - kSubBucketBits;
  // v >> shift lies in [kSubBuckets, 2 * kSubBuckets): the top kSubBucketBits + 1 bits of v.
  return kSubBuckets + static_cast<std::size_t>(shift) * kSubBuckets +
         static_cast<std::size_t>((v >> shift) - kSubBuckets);
}

Duration HistogramBuckets::LowerBound(std::size_t i) {
  if (i < kSubBuckets) return Duration(static_cast<Duration::rep>(i));
  if (i == kOverflow) return Duration(Duration::rep{1} << kMaxExponent);
  const LogBucket b = Split(i);
  return Duration(static_cast<Duration::rep>((kSubBuckets + b.sub) << b.shift));
}

Duration HistogramBuckets::UpperBound(std::size_t i) {
  if (i < kSubBuckets) return Duration(static_cast<Duration::rep>(i));
  if (i == kOverflow) return Duration::max();
  return LowerBound(i) + Duration((Duration::rep{1} << Split(i).shift) - 1);
}

Duration HistogramSnapshot::quantile(double q) const {
  if (count_ == 0) return Duration::zero();
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::clamp<std::uint64_t>(
      static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))), 1, count_);
  if (rank == 1) return min_;
  if (rank == count_) return max_;
  std::uint64_t below = 0;
  std::size_t i = 0;
  while (below + counts_[i] < rank) below += counts_[i++];
  if (i == kOverflow) return max_;
  // Assume the bucket's values are spread evenly over it: the k-th of c sits at (k - 1/2) / c.
  const double lower = static_cast<double>(B::LowerBound(i).count());
  const double width = static_cast<double>((B::UpperBound(i) - B::LowerBound(i)).count() + 1);
  const double position =
      (static_cast<double>(rank - below) - 0.5) / static_cast<double>(counts_[i]);
  const Duration estimate(static_cast<Duration::rep>(lower + width * position));
  return std::clamp(estimate, min_, max_);
}

std::uint64_t HistogramSnapshot::cumulative_count(std::size_t i) const {
  std::uint64_t total = 0;
  for (std::size_t k = 0; k <= i; ++k) total += counts_[k];
  return total;
}

std::uint64_t HistogramSnapshot::count_at_or_below(Duration bound) const {
  if (bound < Duration::zero()) return 0;
  const std::size_t i = B::IndexOf(bound);
  if (B::UpperBound(i) == bound) return cumulative_count(i);
  return i == 0 ? 0 : cumulative_count(i - 1);
}

void Histogram::record(Duration d) {
  const std::uint64_t ns = ToNanos(d);
  // Update the extremes and the sum before the bucket (released): a snapshot that sees the
  // bucket count also sees them, so its quantiles clamp to a [min, max] covering that value.
  std::uint64_t seen = min_ns_.load(std::memory_order_relaxed);
  while (ns < seen && !min_ns_.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
  }
  seen = max_ns_.load(std::memory_order_relaxed);
  while (ns > seen && !max_ns_.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
  }
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  counts_[B::IndexOf(d)].fetch_add(1, std::memory_order_release);
}

void Histogram::record_single_writer(Duration d) {
  const std::uint64_t ns = ToNanos(d);
  // The same order as record(): extremes and sum before the bucket (released).
  if (ns < min_ns_.load(std::memory_order_relaxed)) min_ns_.store(ns, std::memory_order_relaxed);
  if (ns > max_ns_.load(std::memory_order_relaxed)) max_ns_.store(ns, std::memory_order_relaxed);
  sum_ns_.store(sum_ns_.load(std::memory_order_relaxed) + ns, std::memory_order_relaxed);
  std::atomic<std::uint64_t>& bucket = counts_[B::IndexOf(d)];
  bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

std::uint64_t Histogram::count() const {
  std::uint64_t total = 0;
  for (const auto& c : counts_) total += c.load(std::memory_order_relaxed);
  return total;
}

Duration Histogram::sum() const { return FromNanos(sum_ns_.load(std::memory_order_relaxed)); }

Duration Histogram::max() const { return FromNanos(max_ns_.load(std::memory_order_relaxed)); }

Duration Histogram::quantile(double q) const { return snapshot().quantile(q); }

void HistogramSnapshot::add_totals(std::uint64_t count, Duration sum, Duration min, Duration max) {
  if (count == 0) return;
  min_ = count_ == 0 ? min : std::min(min_, min);
  max_ = count_ == 0 ? max : std::max(max_, max);
  count_ += count;
  sum_ = sum > Duration::max() - sum_ ? Duration::max() : sum_ + sum;
}

void HistogramSnapshot::merge(const HistogramSnapshot& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < B::kCount; ++i) counts_[i] += other.counts_[i];
  add_totals(other.count_, other.sum_, other.min_, other.max_);
}

void Histogram::add_to(HistogramSnapshot& into) const {
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < B::kCount; ++i) {
    const std::uint64_t c = counts_[i].load(std::memory_order_acquire);
    into.counts_[i] += c;
    count += c;
  }
  // Loaded after the buckets (recorded before them): they cover every value counted above.
  into.add_totals(count, FromNanos(sum_ns_.load(std::memory_order_relaxed)),
                  FromNanos(min_ns_.load(std::memory_order_relaxed)),
                  FromNanos(max_ns_.load(std::memory_order_relaxed)));
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  add_to(s);
  return s;
}

}  // namespace taskly
