// timer_bench: the timer service's costs and accuracy, against a floor in the same run.
//
// (a) 1M pending timers: schedule and cancel cost per operation, and heap bytes per pending
//     timer (mallinfo2 delta; RSS delta from /proc/self/statm as a cross-check).
// (b) Lateness of 10,000 timers due at uniformly random instants over 5 s of the real clock,
//     for TimerService and for the floor: one thread sleeping on a Linux timerfd armed at each
//     due instant in turn (absolute CLOCK_REALTIME, the clock TimePoint is on). Both sides use
//     the same due offsets and measure lateness the same way (system_clock at wake-up - due).
//     They run at the same time, so that both see the same load on a shared machine (where a
//     p99 is mostly other processes' doing); the floor's instants are shifted by half the mean
//     gap between timers so that the two threads do not wake at the same instants.
//
// Prints `RESULT <name> <value> <unit>` lines; the headline is timer.lateness.p99_over_floor_us.
#include <malloc.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <future>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "taskly/clock.h"
#include "taskly/timer.h"

namespace {

using taskly::Duration;
using taskly::RealClock;
using taskly::TimePoint;
using taskly::TimerId;
using taskly::TimerService;
using Ns = std::chrono::duration<double, std::nano>;
using Us = std::chrono::duration<double, std::micro>;

void Result(const char* name, double value, const char* unit) {
  std::printf("RESULT %s %.1f %s\n", name, value, unit);
  std::fflush(stdout);
}

std::int64_t HeapBytes() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<std::int64_t>(m.uordblks + m.hblkhd);  // small chunks + mmapped ones
}

std::int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0;
  std::int64_t resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

void PendingTimers() {
  constexpr int kTimers = 1'000'000;
  std::mt19937_64 rng(1);
  const TimePoint far = RealClock().now() + std::chrono::hours(1);
  std::uniform_int_distribution<std::int64_t> offset_ns(0, std::int64_t{3600} * 1'000'000'000);
  std::vector<TimePoint> dues(kTimers);
  for (TimePoint& due : dues) due = far + Duration(offset_ns(rng));
  std::vector<TimerId> ids(kTimers);
  std::uint64_t runs = 0;  // never touched: the timers are cancelled long before they are due

  TimerService timers(RealClock());
  const std::int64_t heap_before = HeapBytes();
  const std::int64_t rss_before = RssBytes();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kTimers; ++i) ids[i] = timers.schedule(dues[i], [&runs] { ++runs; });
  const auto t1 = std::chrono::steady_clock::now();
  const std::int64_t heap_after = HeapBytes();
  const std::int64_t rss_after = RssBytes();

  std::shuffle(ids.begin(), ids.end(), rng);
  int cancelled = 0;
  const auto t2 = std::chrono::steady_clock::now();
  for (TimerId id : ids) cancelled += timers.cancel(id) ? 1 : 0;
  const auto t3 = std::chrono::steady_clock::now();
  if (cancelled != kTimers || runs != 0) std::fprintf(stderr, "timer_bench: cancel failed\n");

  Result("timer.insert_1m.ns_per_op", Ns(t1 - t0).count() / kTimers, "ns");
  Result("timer.cancel_1m.ns_per_op", Ns(t3 - t2).count() / kTimers, "ns");
  Result("timer.pending.bytes_per_timer", static_cast<double>(heap_after - heap_before) / kTimers,
         "bytes");
  Result("timer.pending.rss_bytes_per_timer", static_cast<double>(rss_after - rss_before) / kTimers,
         "bytes");
}

struct Percentiles {
  double p50_us, p99_us, max_us;
};

Percentiles Summarize(std::vector<Duration> lateness) {
  std::sort(lateness.begin(), lateness.end());
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(lateness.size() - 1));
    return Us(lateness[i]).count();
  };
  return {at(0.5), at(0.99), Us(lateness.back()).count()};
}

// Lateness of timers due at `start + offsets[i]` (offsets sorted) on one timerfd thread.
std::vector<Duration> FloorLateness(TimePoint start, const std::vector<Duration>& offsets) {
  const int fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
  if (fd < 0) {
    std::perror("timerfd_create");
    return {};
  }
  std::vector<Duration> lateness;
  lateness.reserve(offsets.size());
  for (Duration offset : offsets) {
    const TimePoint due = start + offset;
    const std::int64_t ns = due.time_since_epoch().count();
    itimerspec spec{};
    spec.it_value.tv_sec = ns / 1'000'000'000;
    spec.it_value.tv_nsec = ns % 1'000'000'000;
    std::uint64_t expirations = 0;
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, nullptr) != 0 ||
        read(fd, &expirations, sizeof expirations) != sizeof expirations) {
      std::perror("timerfd");
      break;
    }
    lateness.push_back(RealClock().now() - due);
  }
  close(fd);
  return lateness;
}

// Lateness of the same timers on TimerService, measured inside each callback.
std::vector<Duration> TasklyLateness(TimePoint start, const std::vector<Duration>& offsets) {
  TimerService timers(RealClock());
  std::vector<Duration> lateness(offsets.size());
  std::size_t fired = 0;  // only the timer thread touches it
  std::promise<void> all_fired;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const TimePoint due = start + offsets[i];
    timers.schedule(due, [&, i, due] {
      lateness[i] = RealClock().now() - due;
      if (++fired == offsets.size()) all_fired.set_value();
    });
  }
  all_fired.get_future().wait();
  return lateness;
}

bool Lateness() {
  constexpr int kTimers = 10'000;
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<std::int64_t> offset_ns(0, std::int64_t{5} * 1'000'000'000);
  std::vector<Duration> offsets(kTimers);
  for (Duration& offset : offsets) offset = Duration(offset_ns(rng));
  std::sort(offsets.begin(), offsets.end());

  const TimePoint start = RealClock().now() + std::chrono::milliseconds(200);
  const Duration shift = std::chrono::seconds(5) / kTimers / 2;
  std::vector<Duration> floor_lateness;
  std::thread floor_thread([&] { floor_lateness = FloorLateness(start + shift, offsets); });
  const Percentiles taskly = Summarize(TasklyLateness(start, offsets));
  floor_thread.join();
  if (floor_lateness.size() != offsets.size()) return false;
  const Percentiles floor = Summarize(std::move(floor_lateness));
  Result("timer.lateness.floor.p50_us", floor.p50_us, "us");
  Result("timer.lateness.floor.p99_us", floor.p99_us, "us");
  Result("timer.lateness.floor.max_us", floor.max_us, "us");
  Result("timer.lateness.taskly.p50_us", taskly.p50_us, "us");
  Result("timer.lateness.taskly.p99_us", taskly.p99_us, "us");
  Result("timer.lateness.taskly.max_us", taskly.max_us, "us");
  Result("timer.lateness.p99_over_floor_us", taskly.p99_us - floor.p99_us, "us");
  return true;
}

}  // namespace

int main() {
  PendingTimers();
  return Lateness() ? 0 : 1;
}
