#include "taskly/clock.h"

#include <cassert>

namespace taskly {
namespace {

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
  SteadyPoint steady_now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
  bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                  TimePoint deadline) override {
    // Wait by the steady clock for the remaining wall time, so a wall-clock step cannot make a
    // wait last forever; the caller's loop re-reads now() and corrects for any step.
    Duration remaining = deadline - now();
    if (remaining <= Duration::zero()) return true;
    cv.wait_for(lock, remaining);
    return now() >= deadline;
  }
};

// A real-time safety net for simulated waits: advance() notifies a waiter's condition variable
// without holding the waiter's mutex, so a notification can slip in between the waiter's check
// and its wait. The waiter then notices the new time at most this much later. Tests never rely
// on this interval for correctness, only on the simulated time.
constexpr auto kSimulatedWaitNet = std::chrono::milliseconds(2);

}  // namespace

bool Clock::sleep_until(TimePoint deadline, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable cv;
  // Registered before the lock is taken: the callback takes it (see MemoryStore::wait_for_work).
  std::stop_callback wake(stop, [&] {
    std::lock_guard lock(mu);
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  while (!stop.stop_requested()) {
    if (wait_until(cv, lock, deadline)) return true;
  }
  return false;
}

Clock& RealClock() {
  static SystemClock* clock = new SystemClock();  // never destroyed: used by detached threads
  return *clock;
}

TimePoint SimulatedClock::DefaultStart() {
  using namespace std::chrono;
  return TimePoint(sys_days(year(2026) / January / 1).time_since_epoch());
}

SimulatedClock::SimulatedClock(TimePoint start) : now_(start), steady_(Duration(1'000'000'000)) {}

TimePoint SimulatedClock::now() const {
  std::lock_guard g(mu_);
  return now_;
}

SteadyPoint SimulatedClock::steady_now() const {
  std::lock_guard g(mu_);
  return steady_;
}

bool SimulatedClock::wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                                TimePoint deadline) {
  {
    std::lock_guard g(mu_);
    if (now_ >= deadline) return true;
    waiters_.insert(&cv);
  }
  cv.wait_for(lock, kSimulatedWaitNet);
  std::lock_guard g(mu_);
  waiters_.erase(waiters_.find(&cv));
  return now_ >= deadline;
}

void SimulatedClock::advance(Duration d) {
  assert(d >= Duration::zero());
  {
    std::lock_guard g(mu_);
    now_ += d;
    steady_ += d;
  }
  notify_all_waiters();
}

void SimulatedClock::set(TimePoint t) {
  {
    std::lock_guard g(mu_);
    assert(t >= now_);
    steady_ += t - now_;
    now_ = t;
  }
  notify_all_waiters();
}

int SimulatedClock::waiters() const {
  std::lock_guard g(mu_);
  return static_cast<int>(waiters_.size());
}

void SimulatedClock::notify_all_waiters() {
  std::lock_guard g(mu_);
  // Notify while holding mu_ so that no waiter can erase (and destroy) its condition variable
  // in between; waiters re-acquire mu_ only after their own wait returns.
  for (std::condition_variable* cv : waiters_) cv->notify_all();
}

}  // namespace taskly
