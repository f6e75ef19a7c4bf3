#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "taskly/clock.h"
#include "taskly/timer.h"

namespace taskly {
namespace {

using namespace std::chrono_literals;

// Real-time bound on waiting for the timer thread to react; generous for TSan on a busy machine.
// Tests only wait this long when they are about to fail.
constexpr auto kReact = 20s;

// A one-shot event: open() once, wait() any number of times. Shared through shared_ptr so a
// callback still blocked in it when a test fails early never touches a destroyed object.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  bool wait_for(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Polls `done` until it holds or kReact passes (real time). For states with no event to wait on.
template <typename Predicate>
bool PollUntil(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + kReact;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// Opens the gate when the test leaves its scope, so a callback blocked on it cannot hang the
// service's stop() when an assertion fails first.
struct OpenOnExit {
  std::shared_ptr<Gate> gate;
  ~OpenOnExit() { gate->open(); }
};

// What the callbacks did, in order; written by the timer thread, read by the test.
class Log {
 public:
  void add(const std::string& what) {
    std::lock_guard lock(mu_);
    entries_.push_back(what);
  }
  std::vector<std::string> entries() const {
    std::lock_guard lock(mu_);
    return entries_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> entries_;
};

class TimerServiceTest : public ::testing::Test {
 protected:
  // Returns once every timer due at or before clock.now() has fired: a sentinel due now fires
  // after all of them (due order, ties in scheduling order) and before any later one.
  // The sentinel itself counts as one fired timer with zero lateness.
  void Drain() {
    auto done = std::make_shared<Gate>();
    ASSERT_NE(timers.schedule(clock.now(), [done] { done->open(); }), kNoTimer);
    ASSERT_TRUE(done->wait_for(kReact)) << "the timer thread did not process the advance";
  }

  std::function<void()> Append(const std::string& what) {
    return [this, what] { log.add(what); };
  }

  Log log;
  SimulatedClock clock;
  TimerService timers{clock};  // declared last: stopped before the clock and log go away
};

TEST_F(TimerServiceTest, FiresInDueOrderWithTiesInSchedulingOrder) {
  const TimePoint t0 = clock.now();
  timers.schedule(t0 + 3s, Append("3s"));
  timers.schedule(t0 + 1s, Append("1s-a"));
  timers.schedule(t0 + 2s, Append("2s-a"));
  timers.schedule(t0 + 2s, Append("2s-b"));
  timers.schedule(t0 + 1s, Append("1s-b"));
  timers.schedule(t0 + 1500ms, Append("1.5s"));
  timers.schedule(t0 + 2s, Append("2s-c"));
  clock.advance(5s);
  Drain();
  EXPECT_EQ(log.entries(),
            (std::vector<std::string>{"1s-a", "1s-b", "1.5s", "2s-a", "2s-b", "2s-c", "3s"}));
  EXPECT_EQ(timers.stats().fired, 8u);  // seven and the sentinel
}

TEST_F(TimerServiceTest, AdvanceFiresExactlyTheDueOnes) {
  const TimePoint t0 = clock.now();
  timers.schedule(t0 + 1s, Append("1s"));
  timers.schedule(t0 + 3s, Append("3s"));
  timers.schedule(t0 + 2s, Append("2s"));
  clock.advance(2s);
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"1s", "2s"}));
  EXPECT_EQ(timers.stats().pending, 1u);

  clock.advance(999ms);
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"1s", "2s"}));

  clock.advance(1ms);
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"1s", "2s", "3s"}));
  EXPECT_EQ(timers.stats().pending, 0u);
}

TEST_F(TimerServiceTest, PastDueTimerFiresAtOnce) {
  timers.schedule(clock.now() - 1h, Append("past"));
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"past"}));
}

TEST_F(TimerServiceTest, ExtremeDueInstantsNeitherOverflowNorFire) {
  timers.schedule(TimePoint::min(), Append("min"));
  const TimerId never = timers.schedule_after(Duration::max(), Append("never"));
  const TimerId also_never = timers.schedule(TimePoint::max(), Append("also-never"));
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"min"}));
  EXPECT_EQ(timers.lateness().max(), Duration::max()) << "saturated, not overflowed";
  EXPECT_TRUE(timers.cancel(never));
  EXPECT_TRUE(timers.cancel(also_never));
}

TEST_F(TimerServiceTest, CancelBeforeDueReturnsTrueAndCallbackNeverRuns) {
  auto captured = std::make_shared<int>(0);
  const TimerId id = timers.schedule_after(1s, [captured, this] { log.add("cancelled"); });
  timers.schedule_after(1s, Append("kept"));
  EXPECT_TRUE(timers.cancel(id));
  EXPECT_EQ(captured.use_count(), 1) << "cancel destroys the callback before it returns";
  EXPECT_FALSE(timers.cancel(id)) << "a second cancel cancels nothing";
  clock.advance(2s);
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"kept"}));
  const TimerStats stats = timers.stats();
  EXPECT_EQ(stats.cancelled, 1u);
  EXPECT_EQ(stats.fired, 2u);  // "kept" and the sentinel
  EXPECT_EQ(stats.pending, 0u);
}

TEST_F(TimerServiceTest, CancelAfterFireReturnsFalse) {
  const TimerId id = timers.schedule_after(1s, Append("fired"));
  clock.advance(1s);
  Drain();
  ASSERT_EQ(log.entries(), (std::vector<std::string>{"fired"}));
  EXPECT_FALSE(timers.cancel(id));
  EXPECT_EQ(timers.stats().cancelled, 0u);
}

TEST_F(TimerServiceTest, CancelOfUnknownIdsReturnsFalse) {
  const TimerId id = timers.schedule_after(1s, Append("x"));
  EXPECT_FALSE(timers.cancel(kNoTimer));
  EXPECT_FALSE(timers.cancel(id + 1));             // a slot that was never used
  EXPECT_FALSE(timers.cancel(id + (1ull << 32)));  // right slot, wrong generation
  EXPECT_FALSE(timers.cancel(id + (2ull << 32)));
  EXPECT_EQ(timers.stats().pending, 1u);
  EXPECT_TRUE(timers.cancel(id));
}

TEST_F(TimerServiceTest, CancelDuringRunningCallbackReturnsFalse) {
  auto started = std::make_shared<Gate>();
  auto release = std::make_shared<Gate>();
  OpenOnExit guard{release};
  const TimerId running = timers.schedule_after(1s, [=, this] {
    started->open();
    release->wait();
    log.add("running");
  });
  // Due at the same instant, so due while the first one runs, but not started.
  const TimerId queued = timers.schedule_after(1s, Append("queued"));
  clock.advance(1s);
  ASSERT_TRUE(started->wait_for(kReact));

  EXPECT_FALSE(timers.cancel(running)) << "the callback has started";
  EXPECT_TRUE(timers.cancel(queued)) << "due but not started: cancellable";
  release->open();
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"running"}));
}

TEST_F(TimerServiceTest, CallbacksMayScheduleAndCancelTimers) {
  std::atomic<TimerId> victim{kNoTimer};
  std::atomic<TimerId> self{kNoTimer};
  std::atomic<int> cancel_victim{-1};
  std::atomic<int> cancel_self{-1};
  auto a_done = std::make_shared<Gate>();
  self = timers.schedule_after(1s, [&, a_done, this] {
    log.add("a");
    timers.schedule(clock.now(), Append("scheduled-now"));
    timers.schedule_after(4s, Append("scheduled-later"));
    cancel_victim = timers.cancel(victim.load()) ? 1 : 0;
    cancel_self = timers.cancel(self.load()) ? 1 : 0;
    a_done->open();
  });
  victim = timers.schedule_after(1s, Append("victim"));

  clock.advance(1s);
  // Drain's sentinel must be scheduled after "scheduled-now" to be sure to fire after it.
  ASSERT_TRUE(a_done->wait_for(kReact));
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"a", "scheduled-now"}));
  EXPECT_EQ(cancel_victim.load(), 1);
  EXPECT_EQ(cancel_self.load(), 0) << "a running callback cannot cancel itself";
  EXPECT_EQ(timers.stats().pending, 1u);

  clock.advance(4s);
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"a", "scheduled-now", "scheduled-later"}));
}

TEST_F(TimerServiceTest, ThrowingCallbacksAreCountedAndIsolated) {
  timers.schedule_after(1s, [] { throw std::runtime_error("boom"); });
  timers.schedule_after(1s, [] { throw 42; });
  timers.schedule_after(1s, Append("after"));
  clock.advance(1s);
  Drain();
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"after"}));
  const TimerStats stats = timers.stats();
  EXPECT_EQ(stats.failed, 2u);
  EXPECT_EQ(stats.fired, 4u);
}

TEST_F(TimerServiceTest, EmptyCallbackFiresAsNoOp) {
  timers.schedule_after(1s, nullptr);
  clock.advance(1s);
  Drain();
  EXPECT_EQ(timers.stats().failed, 0u);
  EXPECT_EQ(timers.stats().fired, 2u);
}

TEST_F(TimerServiceTest, StopDropsPendingTimersAndIsIdempotent) {
  auto captured = std::make_shared<int>(0);
  std::vector<TimerId> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(timers.schedule_after(1s, [captured, this] { log.add("dropped"); }));
  }
  timers.stop();
  timers.stop();
  EXPECT_EQ(captured.use_count(), 1) << "stop destroys the dropped callbacks";
  TimerStats stats = timers.stats();
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.dropped, 3u);
  for (TimerId id : ids) EXPECT_FALSE(timers.cancel(id));

  auto late = std::make_shared<int>(0);
  EXPECT_EQ(timers.schedule_after(0s, [late] {}), kNoTimer);
  EXPECT_EQ(late.use_count(), 1);
  clock.advance(2s);  // the thread has stopped: nothing can run any more
  EXPECT_TRUE(log.entries().empty());
  stats = timers.stats();
  EXPECT_EQ(stats.fired, 0u);
  EXPECT_EQ(stats.scheduled, 3u);
}

TEST_F(TimerServiceTest, StopWaitsForTheRunningCallback) {
  auto started = std::make_shared<Gate>();
  auto release = std::make_shared<Gate>();
  OpenOnExit guard{release};
  std::atomic<bool> finished{false};
  timers.schedule_after(1s, [=, &finished] {
    started->open();
    release->wait();
    finished = true;
  });
  timers.schedule_after(1s, Append("behind"));
  clock.advance(1s);
  ASSERT_TRUE(started->wait_for(kReact));

  bool finished_when_stop_returned = false;
  std::thread stopper([&] {
    timers.stop();
    finished_when_stop_returned = finished.load();
  });
  std::thread second_stopper([&] { timers.stop(); });
  // Release the callback only once a stop() has dropped the pending timer: otherwise the timer
  // thread could run "behind" before either stopper gets going.
  EXPECT_TRUE(PollUntil([&] { return timers.stats().pending == 0; }));
  release->open();
  stopper.join();
  second_stopper.join();
  EXPECT_TRUE(finished_when_stop_returned);
  EXPECT_TRUE(log.entries().empty()) << "the timer behind the running one was dropped";
  EXPECT_EQ(timers.stats().dropped, 1u);
}

TEST_F(TimerServiceTest, StopFromACallbackDoesNotDeadlock) {
  auto stopped = std::make_shared<Gate>();
  timers.schedule_after(1s, [stopped, this] {
    timers.stop();
    stopped->open();
  });
  timers.schedule_after(1s, Append("behind"));
  clock.advance(1s);
  ASSERT_TRUE(stopped->wait_for(kReact));
  timers.stop();  // joins the thread
  EXPECT_TRUE(log.entries().empty());
  EXPECT_EQ(timers.stats().dropped, 1u);
  EXPECT_EQ(timers.schedule_after(0s, Append("late")), kNoTimer);
}

TEST_F(TimerServiceTest, LatenessIsClockAtFireMinusDue) {
  auto fired = std::make_shared<Gate>();
  timers.schedule_after(10ms, [fired] { fired->open(); });
  clock.advance(15ms);
  ASSERT_TRUE(fired->wait_for(kReact));
  const Histogram& lateness = timers.lateness();
  EXPECT_EQ(lateness.count(), 1u);
  EXPECT_EQ(lateness.max(), 5ms);
  EXPECT_EQ(lateness.quantile(0.5), 5ms);
  EXPECT_EQ(lateness.sum(), 5ms);
}

TEST_F(TimerServiceTest, IdsAreNeverReused) {
  std::unordered_set<TimerId> seen;
  for (int i = 0; i < 1000; ++i) {
    const TimerId id = timers.schedule_after(1s, nullptr);
    ASSERT_NE(id, kNoTimer);
    ASSERT_TRUE(seen.insert(id).second) << "id reused at " << i;
    if (i % 3 != 0) {
      ASSERT_TRUE(timers.cancel(id));  // frees the slot for the next one
    }
  }
  clock.advance(1s);
  Drain();
  EXPECT_EQ(timers.stats().fired, 334u + 1u);
}

// Several threads schedule and cancel 100k timers against the real clock while the timer thread
// fires them: every timer runs exactly once unless a cancel of it returned true, and then never.
TEST(TimerServiceStressTest, RunsEqualScheduledMinusSuccessfulCancels) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25'000;
  constexpr int kTotal = kThreads * kPerThread;
  TimerService timers(RealClock());
  std::vector<std::atomic<int>> runs(kTotal);
  std::vector<char> cancelled(kTotal, 0);  // each thread writes only its own range
  std::atomic<std::int64_t> latest_due{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      std::uniform_int_distribution<int> delay_us(0, 3000);
      std::vector<TimerId> ids;
      ids.reserve(kPerThread);
      std::int64_t latest = 0;
      for (int i = 0; i < kPerThread; ++i) {
        const int index = t * kPerThread + i;
        const TimePoint due = RealClock().now() + std::chrono::microseconds(delay_us(rng));
        latest = std::max(latest, due.time_since_epoch().count());
        ids.push_back(timers.schedule(due, [&runs, index] { runs[index].fetch_add(1); }));
        ASSERT_NE(ids.back(), kNoTimer);
        // Cancel a recent timer (often already fired or about to be) half the time.
        if (rng() % 2 == 0) {
          const int back = static_cast<int>(rng() % std::min<unsigned>(64, ids.size()));
          const int victim = i - back;
          if (timers.cancel(ids[static_cast<std::size_t>(victim)])) {
            ASSERT_EQ(cancelled[static_cast<std::size_t>(t * kPerThread + victim)], 0)
                << "cancel returned true twice for one timer";
            cancelled[static_cast<std::size_t>(t * kPerThread + victim)] = 1;
          }
        }
      }
      std::int64_t seen = latest_due.load();
      while (latest > seen && !latest_due.compare_exchange_weak(seen, latest)) {
      }
    });
  }
  for (auto& th : threads) th.join();

  // A sentinel due after every other timer fires after all of them.
  auto done = std::make_shared<Gate>();
  const TimePoint last{Duration(latest_due.load())};
  ASSERT_NE(timers.schedule(std::max(last, RealClock().now()) + 1ns, [done] { done->open(); }),
            kNoTimer);
  ASSERT_TRUE(done->wait_for(kReact));

  std::uint64_t successful_cancels = 0;
  std::uint64_t total_runs = 0;
  for (int i = 0; i < kTotal; ++i) {
    const int r = runs[static_cast<std::size_t>(i)].load();
    const bool c = cancelled[static_cast<std::size_t>(i)] != 0;
    ASSERT_EQ(r, c ? 0 : 1) << "timer " << i << (c ? " cancelled" : " not cancelled");
    successful_cancels += c ? 1 : 0;
    total_runs += static_cast<std::uint64_t>(r);
  }
  EXPECT_EQ(total_runs, kTotal - successful_cancels);
  EXPECT_GT(successful_cancels, 0u);
  const TimerStats stats = timers.stats();
  EXPECT_EQ(stats.scheduled, kTotal + 1u);
  EXPECT_EQ(stats.cancelled, successful_cancels);
  EXPECT_EQ(stats.fired, total_runs + 1);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(timers.lateness().count(), total_runs + 1);
}

}  // namespace
}  // namespace taskly
