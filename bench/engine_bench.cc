// engine_bench: the engine's cost per task, against two floors in the same process.
//
// N no-op tasks (argv[1], default 1,000,000) are run on 2 threads by:
//   - taskly::Scheduler with its default memory store, slots = 2, RealClock, a handler returning
//     Outcome::Success(); tasks enqueued in batches of 1000 (the span overload), with
//     prefetch = 1 (fairest) and prefetch = 64 (batch claim); also prefetch = 64 with one
//     enqueue() call per task. Timed from the first enqueue until stats().succeeded reaches N
//     (polled every ~1 ms, so the end is late by at most about a millisecond).
//   - oneTBB's tbb::task_group, parallelism limited to 2 by tbb::global_control: N tg.run(noop)
//     then tg.wait(). TBB's model counts the waiting thread as one of the 2.
//   - MutexPool below: 2 threads, one mutex, one condition variable, a deque of std::function.
// The producer is the main thread in every case. The sides run interleaved, `rounds` times
// (argv[2], default 5; the order rotates each round), because the machine is shared and noisy;
// figures are medians, and ratios are ratios of medians (taskly / other: how many times slower).
// Wall time per task is the headline; the process's CPU time per task (all threads) is printed
// beside it, as it is less disturbed by other processes. argv[3], if given, runs only the side of
// that name (e.g. `engine_bench 100000 1 taskly_prefetch64` under perf).
//
// Prints `RESULT <name> <value> <unit>` lines; the headlines are engine.noop.ratio_vs_tbb and
// engine.noop.ratio_vs_mutex_pool, taken with the better taskly prefetch (named on a line).
#include <tbb/global_control.h>
#include <tbb/task_group.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "taskly/clock.h"
#include "taskly/scheduler.h"

namespace {

using Clock = std::chrono::steady_clock;
using Ns = std::chrono::duration<double, std::nano>;

constexpr int kThreads = 2;
constexpr int64_t kBatch = 1000;

void Result(const std::string& name, double value, const char* unit) {
  std::printf("RESULT %s %.2f %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "engine_bench: %s\n", what.c_str());
  std::exit(1);
}

// The floor a hand-written pool sets: every task is one std::function in a deque under one
// mutex; idle workers sleep on one condition variable.
class MutexPool {
 public:
  explicit MutexPool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  ~MutexPool() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  void submit(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(fn));
      ++unfinished_;
    }
    work_cv_.notify_one();
  }

  // Returns when every submitted task has run.
  void wait_idle() {
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [this] { return unfinished_ == 0; });
  }

 private:
  void work() {
    std::unique_lock lock(mu_);
    while (true) {
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      std::function<void()> fn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
      if (--unfinished_ == 0) idle_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> queue_;
  int64_t unfinished_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

void Noop() {}

// Wall time, and the CPU time of the whole process (every thread), over one run.
struct Cost {
  double wall_ns;
  double cpu_ns;
};

class Stopwatch {
 public:
  Stopwatch() : wall_(Clock::now()), cpu_(CpuNow()) {}
  Cost stop() const { return {Ns(Clock::now() - wall_).count(), CpuNow() - cpu_}; }

 private:
  static double CpuNow() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  }
  Clock::time_point wall_;
  double cpu_;
};

// Each Run* times from the first submit to the last completion.
Cost RunMutexPool(int64_t n) {
  MutexPool pool(kThreads);
  Stopwatch watch;
  for (int64_t i = 0; i < n; ++i) pool.submit(Noop);
  pool.wait_idle();
  return watch.stop();
}

Cost RunTbb(int64_t n) {
  tbb::task_group tg;
  Stopwatch watch;
  for (int64_t i = 0; i < n; ++i) tg.run(Noop);
  tg.wait();
  return watch.stop();
}

Cost RunTaskly(int64_t n, int32_t prefetch, bool batch_enqueue) {
  taskly::SchedulerOptions options;
  options.slots = kThreads;
  options.clock = &taskly::RealClock();
  options.prefetch = prefetch;
  auto created = taskly::Scheduler::Create(options);
  if (!created.ok()) Die("Scheduler::Create: " + created.status().message());
  taskly::Scheduler& scheduler = **created;
  if (!scheduler.handle("noop", [](taskly::TaskContext&) { return taskly::Outcome::Success(); })
           .ok()) {
    Die("handle() failed");
  }
  if (!scheduler.start().ok()) Die("start() failed");
  const std::vector<taskly::TaskSpec> specs(static_cast<size_t>(kBatch),
                                            taskly::TaskSpec{.type = "noop"});

  Stopwatch watch;
  if (batch_enqueue) {
    for (int64_t done = 0; done < n; done += kBatch) {
      size_t size = static_cast<size_t>(std::min(kBatch, n - done));
      if (!scheduler.enqueue(std::span(specs.data(), size)).ok()) Die("enqueue(span) failed");
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      if (!scheduler.enqueue(specs.front()).ok()) Die("enqueue() failed");
    }
  }
  while (scheduler.stats().succeeded < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Cost cost = watch.stop();
  taskly::SchedulerStats stats = scheduler.stats();
  if (stats.succeeded != n || stats.failed != 0) Die("taskly ran the wrong number of tasks");
  return cost;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

struct Side {
  std::string name;  // used in RESULT names
  std::function<Cost(int64_t)> run;
  std::vector<double> wall_ns_per_task;
  std::vector<double> cpu_ns_per_task;
};

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::string only = argc > 3 ? argv[3] : "";  // one side alone, e.g. for profiling
  if (n < 1 || rounds < 1) Die("usage: engine_bench [tasks >= 1] [rounds >= 1] [side]");
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, kThreads);

  std::vector<Side> sides = {
      {"taskly_prefetch1", [](int64_t k) { return RunTaskly(k, 1, true); }, {}, {}},
      {"taskly_prefetch64", [](int64_t k) { return RunTaskly(k, 64, true); }, {}, {}},
      {"taskly_prefetch64_single_enqueue",
       [](int64_t k) { return RunTaskly(k, 64, false); },
       {},
       {}},
      {"tbb", RunTbb, {}, {}},
      {"mutex_pool", RunMutexPool, {}, {}},
  };
  if (!only.empty()) {
    std::erase_if(sides, [&only](const Side& s) { return s.name != only; });
    if (sides.empty()) Die("unknown side " + only);
  }
  std::printf("engine_bench: %lld no-op tasks on %d threads, %d rounds\n",
              static_cast<long long>(n), kThreads, rounds);
  const auto count = static_cast<double>(n);
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < sides.size(); ++i) {
      Side& side = sides[(i + static_cast<size_t>(r)) % sides.size()];
      Cost cost = side.run(n);
      side.wall_ns_per_task.push_back(cost.wall_ns / count);
      side.cpu_ns_per_task.push_back(cost.cpu_ns / count);
      std::printf("  round %d %-34s %9.1f ns/task wall %9.1f ns/task cpu\n", r + 1,
                  side.name.c_str(), cost.wall_ns / count, cost.cpu_ns / count);
      std::fflush(stdout);
    }
  }

  std::map<std::string, double> wall;
  for (const Side& side : sides) {
    wall[side.name] = Median(side.wall_ns_per_task);
    Result("engine.noop." + side.name + ".ns_per_task", wall[side.name], "ns");
    // CPU time of all threads: less sensitive to other processes on a shared machine.
    Result("engine.noop." + side.name + ".cpu_ns_per_task", Median(side.cpu_ns_per_task), "ns");
  }
  if (!only.empty()) return 0;
  for (const char* variant : {"taskly_prefetch1", "taskly_prefetch64"}) {
    std::string short_name = std::string(variant).substr(7);  // "prefetch1", "prefetch64"
    Result("engine.noop." + short_name + ".ratio_vs_tbb", wall[variant] / wall["tbb"], "x");
    Result("engine.noop." + short_name + ".ratio_vs_mutex_pool", wall[variant] / wall["mutex_pool"],
           "x");
  }
  const char* best = wall["taskly_prefetch64"] < wall["taskly_prefetch1"] ? "taskly_prefetch64"
                                                                          : "taskly_prefetch1";
  std::printf("headline ratios use %s (batch enqueue), the faster taskly setting\n", best);
  Result("engine.noop.ratio_vs_tbb", wall[best] / wall["tbb"], "x");
  Result("engine.noop.ratio_vs_mutex_pool", wall[best] / wall["mutex_pool"], "x");
  return 0;
}
