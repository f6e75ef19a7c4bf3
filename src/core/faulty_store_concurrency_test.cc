// The engine over a store that fails some of its calls (as a networked store does while its
// server is unreachable): no task is lost, each runs to completion at least once, and a task
// runs more than once only when the store failed to record one of its attempts.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "taskly/scheduler.h"
#include "taskly/store_wrapper.h"

namespace taskly {
namespace {

using std::chrono::milliseconds;

// Fails every `period`-th claim, every `period`-th complete and every `period`-th fail with
// kUnavailable (each counted apart, so every kind of call gets its faults), and counts the
// settles it dropped.
class FaultyStore : public StoreWrapper {
 public:
  FaultyStore(Store& target, int period) : StoreWrapper(target), period_(period) {}

  Result<std::vector<Lease>> claim(const ClaimRequest& request) override {
    if (Inject(claims_)) return Unavailable();
    return StoreWrapper::claim(request);
  }
  Status complete(const TaskId& id, uint64_t token, std::string result) override {
    if (Inject(completes_)) {
      dropped_settles++;
      return Unavailable();
    }
    return StoreWrapper::complete(id, token, std::move(result));
  }
  Result<TaskState> fail(const TaskId& id, uint64_t token, std::string error,
                         const FailOptions& options) override {
    if (Inject(fails_)) {
      dropped_settles++;
      return Unavailable();
    }
    return StoreWrapper::fail(id, token, std::move(error), options);
  }

  std::atomic<int> dropped_settles{0};

 private:
  static Status Unavailable() { return Status(StatusCode::kUnavailable, "injected fault"); }
  bool Inject(std::atomic<int>& calls) { return ++calls % period_ == 0; }

  const int period_;
  std::atomic<int> claims_{0}, completes_{0}, fails_{0};
};

TEST(FaultyStoreTest, NoTaskIsLostWhenTheStoreFailsSomeCalls) {
  std::unique_ptr<Store> memory = NewMemoryStore();
  FaultyStore faulty(*memory, 7);
  // Short leases and frequent maintenance, so dropped settles are redelivered quickly.
  SchedulerOptions options{.store = &faulty,
                           .slots = 3,
                           .lease = milliseconds(150),
                           .maintenance_interval = milliseconds(20)};
  std::unique_ptr<Scheduler> scheduler = std::move(*Scheduler::Create(options));
  std::mutex mu;
  std::map<TaskId, int> runs;
  ASSERT_TRUE(scheduler
                  ->handle("work",
                           [&](TaskContext& ctx) {
                             std::lock_guard lock(mu);
                             runs[ctx.id()]++;
                             return Outcome::Success();
                           })
                  .ok());
  constexpr int kTasks = 300;
  std::vector<TaskSpec> specs(kTasks, TaskSpec{.type = "work", .max_attempts = 10});
  Result<std::vector<EnqueueResult>> ids = scheduler->enqueue(specs);
  ASSERT_TRUE(ids.ok());
  ASSERT_TRUE(scheduler->start().ok());

  auto all_succeeded = [&] {
    Result<std::vector<QueueInfo>> q = memory->queues();
    return q.ok() && q->front().succeeded == kTasks;
  };
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!all_succeeded() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  scheduler->stop(std::chrono::seconds(5));

  ASSERT_TRUE(all_succeeded());
  std::lock_guard lock(mu);
  int duplicates = 0;
  for (const EnqueueResult& r : *ids) {
    ASSERT_GE(runs[r.id], 1) << r.id;
    duplicates += runs[r.id] - 1;
  }
  // A task runs again only when the store dropped the record of one of its attempts.
  EXPECT_LE(duplicates, faulty.dropped_settles.load());
  EXPECT_GT(faulty.dropped_settles.load(), 0);
  EXPECT_GT(scheduler->stats().store_errors, 0);
}

}  // namespace
}  // namespace taskly
