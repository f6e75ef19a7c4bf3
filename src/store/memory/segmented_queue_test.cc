#include "store/memory/segmented_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace taskly::memory {
namespace {

struct Item {
  uint64_t key;
  uint64_t payload[3];  // 32 bytes, as the store's entries
};

std::vector<uint64_t> Keys(const SegmentedQueue<Item>& q) {
  std::vector<uint64_t> out;
  q.for_each([&](const Item& i) { out.push_back(i.key); });
  return out;
}

std::vector<uint64_t> Keys(const std::deque<uint64_t>& model) {
  return {model.begin(), model.end()};
}

TEST(SegmentedQueueTest, KeepsFifoOrderAcrossSegmentsOfEverySize) {
  SegmentedQueue<Item> q;
  // Past several maximum-size segments, so segments of every capacity are made and retired.
  const uint64_t n = 5 * SegmentedQueue<Item>::kMaxEntries + 17;
  for (uint64_t k = 0; k < n; ++k) q.push_back({k, {}});
  ASSERT_EQ(q.size(), n);
  EXPECT_EQ(q.front().key, 0u);
  EXPECT_EQ(q.back().key, n - 1);
  EXPECT_EQ(q[SegmentedQueue<Item>::kMaxEntries + 3].key, SegmentedQueue<Item>::kMaxEntries + 3);
  for (uint64_t k = 0; k < n; ++k) {
    ASSERT_EQ(q.front().key, k);
    q.pop_front();
  }
  EXPECT_TRUE(q.empty());
  // Emptied, it is used again (its segments come from the spares).
  for (uint64_t k = 0; k < 3 * SegmentedQueue<Item>::kMaxEntries; ++k) q.push_back({k, {}});
  EXPECT_EQ(q.size(), 3 * SegmentedQueue<Item>::kMaxEntries);
  EXPECT_EQ(q[2 * SegmentedQueue<Item>::kMaxEntries].key, 2 * SegmentedQueue<Item>::kMaxEntries);
}

TEST(SegmentedQueueTest, EraseIfKeepsTheRestInOrderAndTheQueueStaysUsable) {
  SegmentedQueue<Item> q;
  const uint64_t n = 2 * SegmentedQueue<Item>::kMaxEntries + 1000;
  for (uint64_t k = 0; k < n; ++k) q.push_back({k, {}});
  for (int i = 0; i < 500; ++i) q.pop_front();  // the front segment starts mid-way
  q.erase_if([](const Item& i) { return i.key % 3 != 0; });
  std::vector<uint64_t> keys = Keys(q);
  ASSERT_EQ(keys.size(), q.size());
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(keys[i], 501 + 3 * i);
  q.push_back({n, {}});
  EXPECT_EQ(q.back().key, n);
  q.erase_if([](const Item&) { return true; });
  EXPECT_TRUE(q.empty());
  q.push_back({7, {}});
  EXPECT_EQ(q.front().key, 7u);
  EXPECT_EQ(q.size(), 1u);
}

// Random pushes, pops, erasures and clears against std::deque: the store's lease queues go up
// and down like this, through segments kept as spares.
TEST(SegmentedQueueTest, BehavesAsADequeUnderRandomUse) {
  std::mt19937_64 rng(42);
  SegmentedQueue<Item> q;
  std::deque<uint64_t> model;
  uint64_t next = 0;
  for (int step = 0; step < 20'000; ++step) {
    uint64_t op = rng() % 100;
    if (op < 1) {
      q.clear();
      model.clear();
    } else if (op < 3) {
      uint64_t mod = 2 + rng() % 5;
      q.erase_if([&](const Item& i) { return i.key % mod == 0; });
      std::erase_if(model, [&](uint64_t k) { return k % mod == 0; });
    } else if (op < 50) {
      for (uint64_t burst = rng() % 300; burst > 0; --burst) {
        q.push_back({next, {}});
        model.push_back(next++);
      }
    } else {
      for (uint64_t burst = rng() % 300; burst > 0 && !model.empty(); --burst) {
        ASSERT_EQ(q.front().key, model.front());
        q.pop_front();
        model.pop_front();
      }
    }
    ASSERT_EQ(q.size(), model.size());
    ASSERT_EQ(q.empty(), model.empty());
    if (!model.empty()) {
      ASSERT_EQ(q.front().key, model.front());
      ASSERT_EQ(q.back().key, model.back());
      size_t i = rng() % model.size();
      ASSERT_EQ(q[i].key, model[i]);
    }
  }
  EXPECT_EQ(Keys(q), Keys(model));
}

}  // namespace
}  // namespace taskly::memory
