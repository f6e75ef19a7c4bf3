// The memory store under concurrent producers and claimers, across several record chunks (each
// made ahead of need by whichever enqueuer or claimer takes the request first).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "taskly/store.h"

namespace taskly {
namespace {

TEST(MemoryStoreConcurrencyTest, ProducersAndClaimersAcrossChunksDeliverEveryTaskOnce) {
  constexpr int kProducers = 2;
  constexpr int kPerProducer = 30'000;  // 60,000 records: more than two chunks of them
  constexpr int kTotal = kProducers * kPerProducer;
  std::unique_ptr<Store> store = NewMemoryStore();

  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&store, p] {
      const std::vector<TaskSpec> batch(500, TaskSpec{.type = "t"});
      for (int sent = 0; sent < kPerProducer;) {
        if ((sent / 500 + p) % 3 == 0) {  // some single enqueues among the batches
          for (int i = 0; i < 500; ++i) ASSERT_TRUE(store->enqueue_one(batch.front()).ok());
        } else {
          ASSERT_TRUE(store->enqueue(batch).ok());
        }
        sent += 500;
      }
    });
  }
  std::atomic<int> claimed{0};
  std::vector<std::vector<TaskId>> seen(2);
  for (int c = 0; c < 2; ++c) {
    threads.emplace_back([&, c] {
      ClaimRequest request{
          .queues = {"default"}, .worker = "w" + std::to_string(c), .max_tasks = 64};
      std::vector<Lease> leases;
      std::vector<Status> statuses;
      std::vector<Store::Completion> done;
      while (claimed.load() < kTotal) {
        ASSERT_TRUE(store->complete_and_claim(done, statuses, request, leases).ok());
        for (const Status& s : statuses) ASSERT_TRUE(s.ok()) << s.message();
        done.clear();
        for (const Lease& l : leases) {
          seen[static_cast<size_t>(c)].push_back(l.task.id);
          done.push_back({l.task.id, l.token, ""});
        }
        claimed += static_cast<int>(leases.size());
        if (leases.empty()) std::this_thread::yield();
      }
      for (const Status& s : store->complete_batch(done)) ASSERT_TRUE(s.ok()) << s.message();
    });
  }
  for (std::thread& t : threads) t.join();

  std::vector<TaskId> all = seen[0];
  all.insert(all.end(), seen[1].begin(), seen[1].end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kTotal));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a task was claimed twice";
  Result<std::vector<QueueInfo>> queues = store->queues();
  ASSERT_TRUE(queues.ok());
  ASSERT_EQ(queues->size(), 1u);
  EXPECT_EQ(queues->front().pending, 0);
  EXPECT_EQ(queues->front().active, 0);
}

}  // namespace
}  // namespace taskly
