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

// Refuses every enqueue while `down` (a store whose server is unreachable).
class DownStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::vector<EnqueueResult>> enqueue(std::span<const TaskSpec> specs) override {
    if (down) return Status(StatusCode::kUnavailable, "injected outage");
    return StoreWrapper::enqueue(specs);
  }
  std::atomic<bool> down{false};
};

// Waits, in real time, until `pred` holds; false after 20 s.
template <typename Pred>
bool WaitFor(Pred pred) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

// A tick the store does not take is retried with backoff until it is taken: never skipped,
// counted and reported while it fails.
TEST(FaultyStoreTest, ScheduleTickIsRetriedUntilTheStoreTakesIt) {
  SimulatedClock clock;
  std::unique_ptr<Store> memory = NewMemoryStore({.clock = &clock});
  DownStore store(*memory);
  std::mutex mu;
  std::vector<std::string> warnings;
  SchedulerOptions options{.store = &store, .clock = &clock, .slots = 1};
  options.on_warning = [&](const std::string& w) {
    std::lock_guard lock(mu);
    warnings.push_back(w);
  };
  std::unique_ptr<Scheduler> scheduler = std::move(*Scheduler::Create(options));
  const TimePoint anchor = clock.now();
  ScheduleSpec spec{.id = "tick", .every = std::chrono::seconds(10), .anchor = anchor};
  spec.task.type = "nothing";
  spec.misfire = {
      .policy = MisfirePolicy::kCatchUp, .max_catch_up = 10, .grace = std::chrono::hours(1)};
  ASSERT_TRUE(scheduler->add_schedule(spec).ok());
  ASSERT_TRUE(scheduler->start().ok());

  store.down = true;
  clock.advance(std::chrono::seconds(10));
  ASSERT_TRUE(WaitFor([&] { return scheduler->stats().ticks_failed >= 1; }));
  Result<ScheduleInfo> info = scheduler->schedule("tick");
  ASSERT_TRUE(info.ok());
  EXPECT_GE(info->failed_tries, 1);
  EXPECT_NE(info->last_error.find("injected outage"), std::string::npos) << info->last_error;
  EXPECT_EQ(info->fired, 0);
  EXPECT_FALSE(info->last_due.has_value()) << "the cursor must not move past the failed tick";
  {
    std::lock_guard lock(mu);
    ASSERT_FALSE(warnings.empty());
    EXPECT_NE(warnings.front().find("schedule tick"), std::string::npos) << warnings.front();
  }
  // The first retry is 100 ms later, the next 200 ms after that.
  clock.advance(milliseconds(100));
  ASSERT_TRUE(WaitFor([&] { return scheduler->stats().ticks_failed >= 2; }));

  store.down = false;
  clock.advance(milliseconds(200));
  ASSERT_TRUE(WaitFor([&] { return scheduler->schedule("tick")->fired == 1; }));
  info = scheduler->schedule("tick");
  EXPECT_EQ(info->failed_tries, 0);
  EXPECT_TRUE(info->last_error.empty());
  EXPECT_EQ(info->last_due, anchor + std::chrono::seconds(10));
  Result<Task> task = scheduler->get(info->last_task);
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->spec.tick_due, anchor + std::chrono::seconds(10));
  scheduler->stop(Duration::zero());
}

}  // namespace
}  // namespace taskly
