// Threads: wait_for_work() wake-ups (the one place the suite waits in real time, with a bound),
// and producers and claimers racing on one store.
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;

namespace {

// How long a woken waiter may take to return, in real time. Generous for sanitizer builds; a
// waiter that is never woken would block until its far-future `until`.
constexpr auto kWakeBound = 2s;

// Whether a waiter thread has blocked in wait_for_work: the contract has it block through the
// store's Clock, so the simulated clock counts it (and nothing else here waits on that clock).
// Once it is counted, a wake-up cannot be lost: it holds the lock its wake-ups take until it
// waits.
::testing::AssertionResult WaiterBlocked(const SimulatedClock& clock) {
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (clock.waiters() == 0) {
    if (std::chrono::steady_clock::now() > end) {
      return ::testing::AssertionFailure()
             << "wait_for_work did not block through the store's clock within 10 s";
    }
    std::this_thread::sleep_for(1ms);
  }
  return ::testing::AssertionSuccess();
}

// Runs `wait_for_work(queues, until)` in a loop on a thread until `done()` holds (re-checked
// after every return, since returns may be spurious) or the wait is stopped. The first call is
// made even if the stop was requested up front (`stopped`).
//
// If the thread is still stuck in the store when the Waiter is destroyed (a broken backend), the
// test fails and the thread is detached; the store is leaked on purpose so that the stuck thread
// never touches freed memory and the rest of the suite can still run.
class Waiter {
 public:
  Waiter(std::unique_ptr<Store>& store, std::vector<std::string> queues, TimePoint until,
         std::function<bool()> done, bool stopped = false)
      : store_(store) {
    if (stopped) state_->stop.request_stop();
    thread_ = std::thread([state = state_, &target = *store, queues = std::move(queues), until,
                           done = std::move(done)] {
      do {
        target.wait_for_work(queues, until, state->stop.get_token());
        if (done()) break;
      } while (!state->stop.stop_requested());
      state->returned.set_value();
    });
  }

  // True if the loop ended within kWakeBound.
  bool Returned() { return future_.wait_for(kWakeBound) == std::future_status::ready; }
  void Stop() { state_->stop.request_stop(); }

  ~Waiter() {
    Stop();
    if (Returned()) {
      thread_.join();
      return;
    }
    ADD_FAILURE() << "a thread is stuck in wait_for_work even after its stop was requested";
    thread_.detach();
    static_cast<void>(store_.release());  // leaked on purpose, see above
  }

 private:
  struct State {
    std::stop_source stop;
    std::promise<void> returned;
  };
  std::unique_ptr<Store>& store_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::future<void> future_ = state_->returned.get_future();
  std::thread thread_;
};

}  // namespace

TEST_P(StoreConformance, WaitForWorkWakesOnEnqueue) {
  Store& store = *store_;
  Waiter waiter(store_, {"idle", "w"}, clock_.now() + 24h, [&store] {
    Result<TaskPage> page = store.list(Filter(TaskState::kPending, "w"), PageRequest{});
    return page.ok() && !page->tasks.empty();
  });
  ASSERT_TRUE(WaiterBlocked(clock_));
  Enqueue(Spec("w"));
  EXPECT_TRUE(waiter.Returned()) << "wait_for_work was not woken by an enqueue into its queue";
}

// The engine's race: claim() found nothing, then a task arrived before wait_for_work() began.
// The wait must see the ready work and not block.
TEST_P(StoreConformance, WaitForWorkReturnsWhenWorkIsAlreadyReady) {
  Enqueue(Spec("w"));
  Waiter waiter(store_, {"w"}, clock_.now() + 24h, [] { return true; });
  EXPECT_TRUE(waiter.Returned());
}

TEST_P(StoreConformance, WaitForWorkReturnsWhenStopped) {
  Waiter waiter(store_, {"w"}, clock_.now() + 24h, [] { return false; });
  ASSERT_TRUE(WaiterBlocked(clock_));
  waiter.Stop();
  EXPECT_TRUE(waiter.Returned()) << "wait_for_work ignored its stop token";
}

// A stop requested before the call: return at once (a std::stop_callback registered on a
// stopped token runs immediately, in the calling thread).
TEST_P(StoreConformance, WaitForWorkReturnsAtOnceWhenAlreadyStopped) {
  Waiter waiter(
      store_, {"w"}, clock_.now() + 24h, [] { return false; }, /*stopped=*/true);
  EXPECT_TRUE(waiter.Returned()) << "wait_for_work blocked on an already-stopped token";
}

TEST_P(StoreConformance, WaitForWorkReturnsWhenAScheduledTaskIsDue) {
  TaskSpec spec = Spec("w");
  const TimePoint due = clock_.now() + 10s;
  spec.run_at = due;
  Enqueue(spec);
  SimulatedClock& clock = clock_;
  Waiter waiter(store_, {"w"}, clock_.now() + 24h, [&clock, due] { return clock.now() >= due; });
  ASSERT_TRUE(WaiterBlocked(clock_));
  clock_.advance(10s);
  EXPECT_TRUE(waiter.Returned()) << "wait_for_work slept past the earliest scheduled task";
}

TEST_P(StoreConformance, WaitForWorkReturnsAtUntil) {
  const TimePoint until = clock_.now() + 5s;
  SimulatedClock& clock = clock_;
  Waiter waiter(store_, {"w"}, until, [&clock, until] { return clock.now() >= until; });
  ASSERT_TRUE(WaiterBlocked(clock_));
  clock_.advance(5s);
  EXPECT_TRUE(waiter.Returned());
}

// Producers and claimers race; every task is completed exactly once, the concurrency limit
// holds throughout, and the counts add up. Also run under ThreadSanitizer.
TEST_P(StoreConformance, ConcurrentProducersAndClaimersCompleteEveryTaskOnce) {
  constexpr int kProducers = 2, kPerProducer = 10'000, kBatch = 100, kClaimers = 4, kLimit = 8;
  constexpr int kTotal = kProducers * kPerProducer;
  QueueConfig config;
  config.concurrency = kLimit;
  ASSERT_TRUE(IsOk(store_->set_queue("c", config)));

  std::mutex mu;
  std::vector<TaskId> enqueued;     // guarded by mu
  std::set<TaskId> completed;       // guarded by mu
  std::vector<std::string> errors;  // guarded by mu
  int duplicates = 0;               // guarded by mu
  std::atomic<int> done{0}, in_flight{0}, max_in_flight{0};
  const auto give_up_at = std::chrono::steady_clock::now() + 60s;
  auto error = [&](std::string what) {
    std::lock_guard lock(mu);
    errors.push_back(std::move(what));
  };

  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int b = 0; b < kPerProducer / kBatch; ++b) {
        std::vector<TaskSpec> batch(kBatch, Spec("c", "p" + std::to_string(p)));
        Result<std::vector<EnqueueResult>> r = store_->enqueue(batch);
        if (!r.ok()) return error("enqueue: " + r.status().ToString());
        std::lock_guard lock(mu);
        for (const EnqueueResult& e : *r) enqueued.push_back(e.id);
      }
    });
  }
  for (int c = 0; c < kClaimers; ++c) {
    threads.emplace_back([&, c] {
      ClaimRequest request{{"c"}, "worker-" + std::to_string(c), 4, 1h};
      while (done.load() < kTotal) {
        if (std::chrono::steady_clock::now() > give_up_at) return error("gave up waiting");
        Result<std::vector<Lease>> r = store_->claim(request);
        if (!r.ok()) return error("claim: " + r.status().ToString());
        if (r->empty()) {
          std::this_thread::yield();
          continue;
        }
        // Counted after claim() and uncounted before complete(): never above the store's own
        // active count, so never above the limit if the store keeps it.
        int now = in_flight.fetch_add(static_cast<int>(r->size())) + static_cast<int>(r->size());
        for (int seen = max_in_flight.load(); now > seen;) {
          if (max_in_flight.compare_exchange_weak(seen, now)) break;
        }
        for (const Lease& lease : *r) {
          {
            std::lock_guard lock(mu);
            if (!completed.insert(lease.task.id).second) ++duplicates;
          }
          in_flight.fetch_sub(1);
          Status s = store_->complete(lease.task.id, lease.token, "");
          if (!s.ok()) error("complete: " + s.ToString());
          done.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  EXPECT_TRUE(errors.empty()) << errors.size()
                              << " errors, first: " << (errors.empty() ? "" : errors.front());
  EXPECT_EQ(duplicates, 0) << "tasks handed out twice";
  EXPECT_EQ(done.load(), kTotal);
  EXPECT_EQ(completed.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(std::set<TaskId>(enqueued.begin(), enqueued.end()), completed);
  EXPECT_GT(max_in_flight.load(), 0);
  EXPECT_LE(max_in_flight.load(), kLimit) << "concurrency limit exceeded";
  QueueInfo q = QueueOf("c");
  EXPECT_EQ(q.succeeded, kTotal);
  EXPECT_EQ(q.pending, 0);
  EXPECT_EQ(q.active, 0);
  EXPECT_EQ(q.scheduled + q.dead + q.cancelled + q.expired, 0);
}

}  // namespace taskly
