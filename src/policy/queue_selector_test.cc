#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "taskly/policy.h"

namespace taskly {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<QueueSelector::Entry> Queues(const std::vector<int32_t>& weights) {
  std::vector<QueueSelector::Entry> out;
  for (size_t i = 0; i < weights.size(); ++i) out.push_back({"q" + std::to_string(i), weights[i]});
  return out;
}

// Asserts that `order` holds each of 0..n-1 exactly once.
void ExpectPermutation(const std::vector<size_t>& order, size_t n) {
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<size_t> expected(n);
  std::iota(expected.begin(), expected.end(), size_t{0});
  EXPECT_EQ(sorted, expected);
}

// Runs `picks` calls of a weighted selector and checks first-choice counts against the exact
// share k*w_i/W: zero deviation at every multiple of W, and within `max_dev` (strictly below
// one for the weight sets the contract promises that for) at every prefix.
void CheckWeightedShares(const std::vector<int32_t>& weights, int64_t picks) {
  SCOPED_TRACE(::testing::PrintToString(weights));
  QueueSelector sel(SelectorKind::kWeighted, Queues(weights));
  const int64_t total = std::accumulate(weights.begin(), weights.end(), int64_t{0});
  std::vector<int64_t> count(weights.size(), 0);
  for (int64_t k = 1; k <= picks; ++k) {
    const std::vector<size_t>& order = sel.next();
    ASSERT_EQ(order.size(), weights.size());
    ++count[order[0]];
    for (size_t i = 0; i < weights.size(); ++i) {
      // |count*W - k*w| < W  <=>  |count - k*w/W| < 1, in exact integers.
      const int64_t dev = count[i] * total - k * weights[i];
      ASSERT_LT(std::llabs(dev), total) << "queue " << i << " after " << k << " picks";
      if (k % total == 0) {
        ASSERT_EQ(dev, 0) << "queue " << i << " after " << k << " picks";
      }
    }
  }
}

TEST(SelectorKind, NamesRoundTrip) {
  for (SelectorKind k :
       {SelectorKind::kStrict, SelectorKind::kRoundRobin, SelectorKind::kWeighted}) {
    Result<SelectorKind> parsed = ParseSelectorKind(SelectorKindName(k));
    ASSERT_TRUE(parsed.ok()) << SelectorKindName(k);
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(SelectorKindName(SelectorKind::kRoundRobin), "round_robin");
}

TEST(SelectorKind, UnknownNameIsInvalidArgumentNamingTheField) {
  Result<SelectorKind> r = ParseSelectorKind("round-robin", "queues.selector");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "queues.selector");
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("round-robin"));
  EXPECT_FALSE(ParseSelectorKind("").ok());
  EXPECT_FALSE(ParseSelectorKind("Strict").ok());
}

TEST(QueueSelector, StrictAlwaysQueueOrder) {
  QueueSelector sel(SelectorKind::kStrict, Queues({1, 5, 2}));
  for (int i = 0; i < 100; ++i) EXPECT_THAT(sel.next(), ElementsAre(0, 1, 2));
}

TEST(QueueSelector, RoundRobinRotatesFirstChoiceAndFallbacks) {
  QueueSelector sel(SelectorKind::kRoundRobin, Queues({1, 1, 1}));
  EXPECT_THAT(sel.next(), ElementsAre(0, 1, 2));
  EXPECT_THAT(sel.next(), ElementsAre(1, 2, 0));
  EXPECT_THAT(sel.next(), ElementsAre(2, 0, 1));
  EXPECT_THAT(sel.next(), ElementsAre(0, 1, 2));
}

TEST(QueueSelector, RoundRobinIgnoresWeightsAndSharesExactly) {
  QueueSelector sel(SelectorKind::kRoundRobin, Queues({7, 1, 3, 2}));
  std::vector<int64_t> count(4, 0);
  for (int64_t k = 1; k <= 10007; ++k) {
    const std::vector<size_t>& order = sel.next();
    EXPECT_EQ(order[0], static_cast<size_t>((k - 1) % 4));
    ++count[order[0]];
    const auto [lo, hi] = std::minmax_element(count.begin(), count.end());
    ASSERT_LE(*hi - *lo, 1) << "after " << k << " picks";
  }
  // 10007 = 4 * 2501 + 3: the first three queues got one more.
  EXPECT_THAT(count, ElementsAre(2502, 2502, 2502, 2501));
}

TEST(QueueSelector, WeightedSequenceIsSmooth) {
  QueueSelector sel(SelectorKind::kWeighted, Queues({5, 3, 1}));
  std::string seq;
  for (int i = 0; i < 18; ++i) seq += static_cast<char>('a' + sel.next()[0]);
  // nginx's smooth WRR: a, b, c interleaved rather than aaaaabbbc; the cycle of 9 repeats.
  EXPECT_EQ(seq, "abacababaabacababa");
}

TEST(QueueSelector, WeightedFallbacksByWhatEachQueueIsOwed) {
  QueueSelector sel(SelectorKind::kWeighted, Queues({5, 3, 1}));
  // Call 1: running values become 5,3,1: pick 0 (-> -4), fallbacks 1 (3) then 2 (1).
  EXPECT_THAT(sel.next(), ElementsAre(0, 1, 2));
  // Call 2: 1,6,2: pick 1 (-> -3), fallbacks 2 (2) then 0 (1).
  EXPECT_THAT(sel.next(), ElementsAre(1, 2, 0));
  // Call 3: 6,0,3: pick 0 (-> -3), then 2 (3), then 1 (0).
  EXPECT_THAT(sel.next(), ElementsAre(0, 2, 1));
  // Call 4: 2,3,4: pick 2 (-> -5), then 1 (3), then 0 (2).
  EXPECT_THAT(sel.next(), ElementsAre(2, 1, 0));
}

TEST(QueueSelector, WeightedTiesGoToTheEarlierQueue) {
  QueueSelector sel(SelectorKind::kWeighted, Queues({2, 2}));
  // Call 1: 2,2 tie -> 0 first. Call 2: -2+2=0, 4 -> 1. Call 3: 2,2 tie again -> 0.
  EXPECT_THAT(sel.next(), ElementsAre(0, 1));
  EXPECT_THAT(sel.next(), ElementsAre(1, 0));
  EXPECT_THAT(sel.next(), ElementsAre(0, 1));
}

TEST(QueueSelector, WeightedSharesOverLongRuns) {
  CheckWeightedShares({5, 3, 1}, 10007);
  CheckWeightedShares({1, 1, 1, 1, 1}, 10007);
  CheckWeightedShares({1}, 100);
  CheckWeightedShares({2, 1}, 10007);
  CheckWeightedShares({100, 1}, 10007);
  CheckWeightedShares({1, 7, 7}, 10007);
  CheckWeightedShares({100000, 99999, 1}, 400000);
}

TEST(QueueSelector, WeightedFinalCountsMatchShares) {
  QueueSelector sel(SelectorKind::kWeighted, Queues({5, 3, 1}));
  std::vector<int64_t> count(3, 0);
  for (int k = 0; k < 10007; ++k) ++count[sel.next()[0]];
  // 10007 = 9 * 1111 + 8; the first 8 picks of a cycle are a b a c a b a b: a+4, b+3, c+1.
  EXPECT_THAT(count, ElementsAre(5 * 1111 + 4, 3 * 1111 + 3, 1111 + 1));
}

TEST(QueueSelector, WeightedRandomSetsAreExactEveryCycle) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> size(1, 8);
  std::uniform_int_distribution<int32_t> weight(1, 40);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int32_t> w(static_cast<size_t>(size(rng)));
    for (int32_t& x : w) x = weight(rng);
    const int64_t total = std::accumulate(w.begin(), w.end(), int64_t{0});
    QueueSelector sel(SelectorKind::kWeighted, Queues(w));
    std::vector<int64_t> count(w.size(), 0);
    for (int64_t k = 1; k <= 3 * total; ++k) {
      const std::vector<size_t>& order = sel.next();
      ExpectPermutation(order, w.size());
      ++count[order[0]];
      if (k % total == 0) {
        for (size_t i = 0; i < w.size(); ++i) {
          ASSERT_EQ(count[i], k / total * w[i]) << ::testing::PrintToString(w) << " queue " << i;
        }
      }
    }
  }
}

TEST(QueueSelector, WeightedUpToThreeQueuesStayWithinOnePickAtEveryPrefix) {
  std::mt19937 rng(777);
  std::uniform_int_distribution<int32_t> weight(1, 60);
  for (int trial = 0; trial < 300; ++trial) {
    CheckWeightedShares({weight(rng), weight(rng), weight(rng)}, 200);
  }
}

TEST(QueueSelector, WeightedWithManyQueuesCanDriftSlightlyMoreThanOnePick) {
  // Pins the documented limit of smooth WRR: weights 1,1,13,13,13 (W = 41) after 19 picks.
  QueueSelector sel(SelectorKind::kWeighted, Queues({1, 1, 13, 13, 13}));
  std::vector<int64_t> count(5, 0);
  for (int k = 0; k < 19; ++k) ++count[sel.next()[0]];
  // Queue 4 has 5 picks against a share of 19*13/41 = 6.02: 1.02 behind.
  EXPECT_EQ(count[4], 5);
  EXPECT_GT(19 * 13 - count[4] * 41, 41);
}

TEST(QueueSelector, EmptyQueueListGivesEmptyOrders) {
  for (SelectorKind k :
       {SelectorKind::kStrict, SelectorKind::kRoundRobin, SelectorKind::kWeighted}) {
    QueueSelector sel(k, {});
    EXPECT_THAT(sel.next(), IsEmpty());
    EXPECT_THAT(sel.next(), IsEmpty());
  }
}

TEST(QueueSelector, WeightsBelowOneCountAsOne) {
  QueueSelector sel(SelectorKind::kWeighted, Queues({0, -5, 2}));
  EXPECT_EQ(sel.queues()[0].weight, 1);
  EXPECT_EQ(sel.queues()[1].weight, 1);
  EXPECT_EQ(sel.queues()[2].weight, 2);
  std::vector<int64_t> count(3, 0);
  for (int k = 0; k < 400; ++k) ++count[sel.next()[0]];
  EXPECT_THAT(count, ElementsAre(100, 100, 200));
}

TEST(QueueSelector, SingleQueue) {
  for (SelectorKind k :
       {SelectorKind::kStrict, SelectorKind::kRoundRobin, SelectorKind::kWeighted}) {
    QueueSelector sel(k, Queues({3}));
    for (int i = 0; i < 5; ++i) EXPECT_THAT(sel.next(), ElementsAre(0));
  }
}

TEST(QueueSelector, HugeWeightsDoNotOverflow) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  QueueSelector sel(SelectorKind::kWeighted, Queues({kMax, kMax, 1}));
  // W = 2^32 - 1: the light queue is picked once per cycle, the heavy ones alternate.
  std::vector<int64_t> count(3, 0);
  for (int k = 0; k < 1000; ++k) ++count[sel.next()[0]];
  EXPECT_EQ(count[0], 500);
  EXPECT_EQ(count[1], 500);
  EXPECT_EQ(count[2], 0);
}

}  // namespace
}  // namespace taskly
