// File: taskly/clock.h
//
// Every piece of taskly that reads the time or waits does so through a `Clock`, injected at
// construction. Production code uses `RealClock()`; tests use `SimulatedClock`, whose time moves
// only when the test calls `advance()`, so timer, cron, backoff, lease and deadline logic is
// tested deterministically and without sleeping.
//
// Time is wall-clock time (`TimePoint`, system_clock) because tasks, deadlines and cron are
// about instants users name. Code that measures an interval on one machine (lease expiry inside
// one process, lateness) may use `steady_now()`; no code compares two machines' wall clocks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>

namespace taskly {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Duration>;
using SteadyPoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// The range of the times and durations taskly accepts (ValidateTaskSpec, ValidateScheduleSpec,
// ValidateQueueConfig and the scheduler's options check them): a duration is at most
// kMaxDuration (36500 days, about 100 years), a time point is not before kMinTime (the Unix
// epoch). Where the engine adds a duration to a time, the sum saturates at TimePoint::max()
// instead of overflowing.
inline constexpr Duration kMaxDuration = std::chrono::hours(24) * 36500;
inline constexpr TimePoint kMinTime{};

// Thread-safe: every method may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;

  // Wall-clock now.
  virtual TimePoint now() const = 0;
  // Monotonic now; only differences are meaningful.
  virtual SteadyPoint steady_now() const = 0;

  // Waits on `cv` (with `lock` held on entry and on return) until it is notified, or this
  // clock's `now()` reaches `deadline`. Like std::condition_variable::wait_until it may wake
  // spuriously: callers re-check their predicate in a loop. Returns true if `deadline` has been
  // reached.
  virtual bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          TimePoint deadline) = 0;

  // Blocks the caller until `deadline` (by this clock) or until `stop` is requested. Returns
  // true if the deadline was reached.
  bool sleep_until(TimePoint deadline, std::stop_token stop = {});
};

// The process-wide real clock (system_clock and steady_clock). Never destroyed.
Clock& RealClock();

// A clock that moves only when told. Waiters whose deadline is reached by `advance()` or
// `set()` are woken. Thread-safe.
class SimulatedClock final : public Clock {
 public:
  // Starts at `start` (default: 2026-01-01T00:00:00Z, a fixed instant so tests are repeatable).
  explicit SimulatedClock(TimePoint start = DefaultStart());

  TimePoint now() const override;
  SteadyPoint steady_now() const override;
  bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                  TimePoint deadline) override;

  // Moves time forward by `d` (>= 0) and wakes the waiters.
  void advance(Duration d);
  // Moves time to `t`; REQUIRES: t >= now().
  void set(TimePoint t);

  // Number of threads currently inside wait_until(); lets a test wait until a component it
  // drives has gone idle before it advances time.
  int waiters() const;

  static TimePoint DefaultStart();

 private:
  void notify_all_waiters();

  mutable std::mutex mu_;
  TimePoint now_;                                    // guarded by mu_
  SteadyPoint steady_;                               // guarded by mu_; moves with now_
  std::multiset<std::condition_variable*> waiters_;  // guarded by mu_
};

}  // namespace taskly
