// A tour of libtaskly in one process, run by `make run` until the server exists: handlers,
// priorities, a flaky task retried with backoff, a timeout, a fixed-rate schedule and a cron
// schedule, then the schedulability analysis and the scheduler's counters.
//
// Usage: taskly_example [SECONDS]   (default 5)

#include <cstdio>
#include <string>
#include <thread>

#include "taskly/cron.h"
#include "taskly/scheduler.h"

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Ms(taskly::Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1000.0)
             .substr(0, 6) +
         " ms";
}

int Fail(const taskly::Status& s) {
  std::fprintf(stderr, "taskly_example: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace taskly;
  int run_seconds = argc > 1 ? std::atoi(argv[1]) : 5;

  Result<std::unique_ptr<Scheduler>> created =
      Scheduler::Create({.slots = 4, .queues = {"critical", "default"},
                         .selector = SelectorKind::kWeighted});
  if (!created.ok()) return Fail(created.status());
  Scheduler& scheduler = **created;
  (void)scheduler.set_queue("critical", {.policy = OrderingPolicy::kPriority, .weight = 3});

  (void)scheduler.handle("greet", [](TaskContext& ctx) {
    std::printf("  greet %s (attempt %d)\n", ctx.payload().c_str(), ctx.attempt());
    return Outcome::Success("hello " + ctx.payload());
  });
  (void)scheduler.handle("flaky", [](TaskContext& ctx) {
    if (ctx.attempt() < 3) throw std::runtime_error("upstream unavailable");
    std::printf("  flaky succeeded on attempt %d\n", ctx.attempt());
    return Outcome::Success();
  });
  (void)scheduler.handle("slow", [](TaskContext& ctx) {
    while (!ctx.stop_requested()) std::this_thread::sleep_for(milliseconds(5));
    std::printf("  slow was asked to stop (timeout)\n");
    return Outcome::Retry("stopped");
  });
  (void)scheduler.handle("tick", [](TaskContext& ctx) {
    std::this_thread::sleep_for(milliseconds(20));  // some work
    std::printf("  tick %s\n", ctx.task().spec.schedule_id.c_str());
    return Outcome::Success();
  });

  if (Status s = scheduler.add_schedule(
          {.id = "heartbeat", .every = milliseconds(1000), .task = {.type = "tick"}});
      !s.ok()) {
    return Fail(s);
  }
  if (Status s = scheduler.add_schedule(
          {.id = "every-2s-cron", .cron = "*/2 * * * * *", .tz = "Europe/Berlin",
           .task = {.type = "tick"}, .wcet = milliseconds(300)});
      !s.ok()) {
    return Fail(s);
  }
  if (Status s = scheduler.start(); !s.ok()) return Fail(s);

  std::printf("taskly example: 4 slots, queues critical (priority, weight 3) and default\n");
  // Enqueued while the queue is paused, they run by priority once it resumes: 9, 5, 1.
  (void)scheduler.pause_queue("critical");
  for (int p : {1, 5, 9}) {
    (void)scheduler.enqueue({.type = "greet", .payload = "priority-" + std::to_string(p),
                             .queue = "critical", .priority = p});
  }
  (void)scheduler.resume_queue("critical");
  (void)scheduler.enqueue({.type = "flaky", .max_attempts = 5,
                           .backoff = {.initial = milliseconds(100), .cap = seconds(1)}});
  (void)scheduler.enqueue({.type = "slow", .timeout = milliseconds(300), .max_attempts = 1});
  Result<CronSchedule> cron = CronSchedule::Parse("30 2 * * *", "America/New_York");
  std::printf("next '30 2 * * *' in America/New_York: %lld s from now\n",
              static_cast<long long>(
                  std::chrono::duration_cast<seconds>(*cron->next(RealClock().now()) -
                                                      RealClock().now())
                      .count()));

  std::this_thread::sleep_for(seconds(run_seconds));
  scheduler.stop(seconds(5));

  if (Result<std::vector<PoolReport>> reports = scheduler.analyze(); reports.ok()) {
    for (const PoolReport& pool : *reports) {
      std::printf("analysis: %s\n", pool.explanation.c_str());
    }
  }
  SchedulerStats st = scheduler.stats();
  std::printf(
      "stats: started %lld, succeeded %lld, retried %lld, dead %lld, timed out %lld, "
      "ticks %lld\n",
      static_cast<long long>(st.started), static_cast<long long>(st.succeeded),
      static_cast<long long>(st.retried), static_cast<long long>(st.dead),
      static_cast<long long>(st.timed_out), static_cast<long long>(st.ticks_fired));
  std::printf("timer lateness p50 %s p99 %s; start latency p50 %s\n",
              Ms(st.timer_lateness.quantile(0.5)).c_str(),
              Ms(st.timer_lateness.quantile(0.99)).c_str(),
              Ms(st.start_latency.quantile(0.5)).c_str());
  return 0;
}
