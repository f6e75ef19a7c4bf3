// File: taskly/timer.h
//
// The process's timer service: runs callbacks at instants of an injected
// `Clock`, with an exact cancel contract, and measures how late every timer fires.
//
//   TimerService timers(clock);
//   TimerId id = timers.schedule_after(std::chrono::seconds(30), [] { expire_lease(); });
//   if (timers.cancel(id)) { /* expire_lease() will never run */ }
//
// Callbacks run on the service's one thread, one at a time, in due order (ties in the order
// they were scheduled), as soon as the clock reaches their due instant; with a SimulatedClock
// that is when the test advances it. A callback may schedule and cancel timers and call stop();
// the service holds no lock while a callback runs. A callback that throws fails alone: the
// exception is caught and counted (TimerStats::failed), and the service goes on. Callbacks
// should be short: a slow one delays every timer behind it (that shows as lateness).
//
// Pending timers live in a 4-ary min-heap of 24-byte nodes plus a slot table holding each
// callback (64 bytes per pending timer with a callback that fits std::function's inline
// buffer, plus the vectors' spare capacity); schedule and cancel are O(log n).
//
// Thread-safety: every method may be called from any thread, including from callbacks, except
// that the destructor must not run on the timer thread (i.e. inside a callback).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "taskly/clock.h"
#include "taskly/histogram.h"

namespace taskly {

// Identifies one scheduled timer. Never reused within a service; never kNoTimer.
using TimerId = std::uint64_t;
inline constexpr TimerId kNoTimer = 0;

// Counters since construction; a consistent snapshot (taken under the service's lock).
struct TimerStats {
  std::uint64_t scheduled = 0;  // schedule() calls that returned an id
  std::uint64_t fired = 0;      // callbacks started (including those that then threw)
  std::uint64_t cancelled = 0;  // cancel() calls that returned true
  std::uint64_t dropped = 0;    // pending timers discarded by stop()
  std::uint64_t failed = 0;     // callbacks that threw
  std::uint64_t pending = 0;    // timers waiting for their due instant now
};

class TimerService {
 public:
  // Starts the timer thread. `clock` must outlive the service.
  explicit TimerService(Clock& clock);
  // Calls stop(). REQUIRES: not called from a callback of this service.
  ~TimerService();

  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  // Runs `callback` once the clock reaches `due` (at once if `due` has passed). Returns the
  // timer's id; after stop() it returns kNoTimer and destroys `callback` without running it.
  // An empty `callback` fires as a no-op.
  TimerId schedule(TimePoint due, std::function<void()> callback);
  // schedule(clock.now() + delay, callback).
  TimerId schedule_after(Duration delay, std::function<void()> callback);

  // Returns true iff this call cancelled the timer: its callback had not started and now never
  // will (it is destroyed before cancel returns, outside the service's lock). Returns false,
  // changing nothing, if the callback has run or is running, the timer was already cancelled or
  // dropped by stop(), or `id` is unknown. Never waits for a running callback.
  bool cancel(TimerId id);

  // Drops every pending timer (their callbacks never run and are destroyed), waits for a
  // running callback to return and stops the timer thread. Idempotent; concurrent calls all
  // return once the thread has stopped. Called from a callback it cannot wait for that callback
  // (it is the caller): it drops the pending timers and returns, and no callback runs after
  // the current one.
  void stop();

  // Lateness of every fired timer: clock.now() just before its callback starts, minus its due
  // instant. Recorded before the callback runs.
  const Histogram& lateness() const;

  TimerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskly
