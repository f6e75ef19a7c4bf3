// Scheduler tests: the engine end to end with the memory store. Time-driven behaviour
// (timeouts, retries, rate limits, schedules) runs on a SimulatedClock that the test advances;
// the tests then wait (bounded, in real time) for the worker threads to act on it, never sleep
// for a timer. This binary also runs under ThreadSanitizer.

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <random>
#include <thread>

#include "taskly/scheduler.h"

namespace taskly {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Waits, in real time, until `pred` holds; fails the test after 20 s.
template <typename Pred>
bool WaitFor(Pred pred) {
  auto until = std::chrono::steady_clock::now() + seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

// Stops a scheduler when the test body's scope ends, before the locals its handlers use are
// destroyed (declare it after them).
struct StopOnExit {
  Scheduler* scheduler;
  ~StopOnExit() { scheduler->stop(Duration::zero()); }
};

class SchedulerTest : public ::testing::Test {
 protected:
  void Start(SchedulerOptions options = {}) {
    options.clock = &clock_;
    if (options.slots == 0) options.slots = 2;
    options.seed = 7;
    scheduler_ = std::move(*Scheduler::Create(options));
  }

  // The simulated clock does not move by itself, so a grace period would never end: stop with
  // none (running handlers are asked to stop at once).
  void TearDown() override {
    if (scheduler_) scheduler_->stop(Duration::zero());
  }

  TaskState StateOf(const TaskId& id) { return scheduler_->get(id)->state; }

  bool WaitState(const TaskId& id, TaskState s) {
    return WaitFor([&] { return StateOf(id) == s; });
  }

  SimulatedClock clock_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, RunsEveryTaskOnceAndStoresResults) {
  Start({.slots = 4});
  std::atomic<int> runs{0};
  ASSERT_TRUE(scheduler_
                  ->handle("echo",
                           [&](TaskContext& ctx) {
                             runs++;
                             return Outcome::Success("got " + ctx.payload());
                           })
                  .ok());
  StopOnExit stop_on_exit{scheduler_.get()};
  ASSERT_TRUE(scheduler_->start().ok());
  std::vector<TaskId> ids;
  for (int i = 0; i < 500; ++i) {
    ids.push_back(*scheduler_->enqueue({.type = "echo", .payload = std::to_string(i)}));
  }
  ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().succeeded == 500; }));
  EXPECT_EQ(runs.load(), 500);
  Task t = *scheduler_->get(ids[42]);
  EXPECT_EQ(t.state, TaskState::kSucceeded);
  EXPECT_EQ(t.result, "got 42");
  EXPECT_EQ(t.attempts, 1);
}

TEST_F(SchedulerTest, ExceptionsOfAnyTypeFailOnlyTheirAttempt) {
  Start();
  scheduler_
      ->handle("boom",
               [](TaskContext& ctx) -> Outcome {
                 if (ctx.payload() == "std") throw std::runtime_error("disk on fire");
                 if (ctx.payload() == "int") throw 42;
                 return Outcome::Success();
               })
      .ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  Backoff instant{.initial = Duration::zero(), .cap = Duration::zero()};
  TaskId a = *scheduler_->enqueue(
      {.type = "boom", .payload = "std", .max_attempts = 2, .backoff = instant});
  TaskId b = *scheduler_->enqueue(
      {.type = "boom", .payload = "int", .max_attempts = 1, .backoff = instant});
  TaskId c = *scheduler_->enqueue({.type = "boom", .payload = "fine"});
  ASSERT_TRUE(WaitState(a, TaskState::kDead));
  ASSERT_TRUE(WaitState(b, TaskState::kDead));
  ASSERT_TRUE(WaitState(c, TaskState::kSucceeded));
  Task ta = *scheduler_->get(a);
  EXPECT_EQ(ta.attempts, 2);
  EXPECT_EQ(ta.last_error, "handler threw: disk on fire");
  EXPECT_EQ(scheduler_->get(b)->last_error, "handler threw a non-standard exception");
}

TEST_F(SchedulerTest, RetriesBackOffWithinTheJitterBoundsThenSucceed) {
  Start({.slots = 1});
  std::atomic<int> calls{0};
  scheduler_
      ->handle("flaky",
               [&](TaskContext& ctx) {
                 calls++;
                 return ctx.attempt() < 3 ? Outcome::Retry("not yet")
                                          : Outcome::Success("third time");
               })
      .ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  Backoff backoff{.initial = seconds(10), .cap = seconds(15), .multiplier = 2};
  TaskId id = *scheduler_->enqueue({.type = "flaky", .max_attempts = 5, .backoff = backoff});
  for (int retry = 1; retry <= 2; ++retry) {
    ASSERT_TRUE(WaitFor([&] {
      Task t = *scheduler_->get(id);
      return t.attempts == retry &&
             (t.state == TaskState::kScheduled || t.state == TaskState::kPending);
    }));
    Task t = *scheduler_->get(id);
    EXPECT_EQ(t.last_error, "not yet");
    if (t.state == TaskState::kScheduled) {
      // Full jitter: within [now, now + min(cap, initial * 2^(retry-1))].
      Duration ceiling = retry == 1 ? seconds(10) : seconds(15);
      EXPECT_LE(*t.scheduled_for - clock_.now(), ceiling);
      clock_.set(*t.scheduled_for);
    }
    ASSERT_TRUE(WaitFor([&] { return calls.load() == retry + 1; }));
  }
  ASSERT_TRUE(WaitState(id, TaskState::kSucceeded));
  EXPECT_EQ(scheduler_->get(id)->result, "third time");
  EXPECT_EQ(scheduler_->stats().retried, 2);
}

TEST_F(SchedulerTest, PermanentErrorsGoDeadAtOnce) {
  Start();
  scheduler_->handle("bad", [](TaskContext&) { return Outcome::Permanent("malformed"); }).ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId id = *scheduler_->enqueue({.type = "bad", .max_attempts = 10});
  ASSERT_TRUE(WaitState(id, TaskState::kDead));
  EXPECT_EQ(scheduler_->get(id)->attempts, 1);
  EXPECT_EQ(scheduler_->get(id)->last_error, "malformed");
  // A manual retry runs it again from its first attempt.
  ASSERT_TRUE(scheduler_->retry(id).ok());
  ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().started == 2; }));
  ASSERT_TRUE(WaitState(id, TaskState::kDead));
  EXPECT_EQ(scheduler_->get(id)->attempts, 1);
  EXPECT_EQ(scheduler_->retry("nope").code(), StatusCode::kNotFound);
}

TEST_F(SchedulerTest, TimeoutRequestsStopAndRecordsTheAttemptAsTimedOut) {
  Start();
  std::atomic<bool> entered{false};
  scheduler_
      ->handle("slow",
               [&](TaskContext& ctx) {
                 entered = true;
                 std::mutex mu;
                 std::condition_variable_any cv;
                 std::unique_lock lock(mu);
                 cv.wait(lock, ctx.stop_token(), [] { return false; });  // until stop is requested
                 return Outcome::Retry("stopped");
               })
      .ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId id = *scheduler_->enqueue({.type = "slow", .timeout = seconds(5), .max_attempts = 1});
  // The handler runs, so its timeout is armed: the task is active from its claim, a moment
  // before, and a clock advanced in that moment would move the timeout's start.
  ASSERT_TRUE(WaitFor([&] { return entered.load(); }));
  clock_.advance(seconds(4));
  EXPECT_EQ(StateOf(id), TaskState::kActive);
  clock_.advance(seconds(1));
  ASSERT_TRUE(WaitState(id, TaskState::kDead));
  EXPECT_EQ(scheduler_->get(id)->last_error, "timed out after 5000 ms");
  ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().rejected_results == 1; }));
  EXPECT_EQ(scheduler_->stats().timed_out, 1);
}

TEST_F(SchedulerTest, AHandlerThatIgnoresItsStopTokenHasItsLateResultRejected) {
  Start();
  std::latch release(1);
  std::atomic<bool> entered{false};
  scheduler_
      ->handle("stubborn",
               [&](TaskContext&) {
                 entered = true;
                 release.wait();  // ignores the stop token
                 return Outcome::Success("too late");
               })
      .ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId id = *scheduler_->enqueue({.type = "stubborn",
                                    .timeout = seconds(1),
                                    .max_attempts = 2,
                                    .backoff = {.initial = seconds(60)}});
  // The handler runs, so its timeout is armed: the task shows active in the store a moment
  // before the worker reads the attempt's start time, and an advance in between would move the
  // timeout past it.
  ASSERT_TRUE(WaitFor([&] { return entered.load(); }));
  clock_.advance(seconds(1));
  // Recorded as timed out while the handler is still running.
  ASSERT_TRUE(WaitState(id, TaskState::kScheduled));
  ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().timed_out == 1; }));
  release.count_down();
  ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().rejected_results == 1; }));
  Task t = *scheduler_->get(id);
  EXPECT_EQ(t.state, TaskState::kScheduled);  // the late success changed nothing
  EXPECT_EQ(t.result, "");
}

TEST_F(SchedulerTest, CancelStopsARunningAttemptAndWorksInEveryState) {
  Start({.slots = 1});
  scheduler_
      ->handle("wait",
               [](TaskContext& ctx) {
                 std::mutex mu;
                 std::condition_variable_any cv;
                 std::unique_lock lock(mu);
                 cv.wait(lock, ctx.stop_token(), [] { return false; });
                 return Outcome::Success("finished anyway");
               })
      .ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId running = *scheduler_->enqueue({.type = "wait"});
  ASSERT_TRUE(WaitState(running, TaskState::kActive));
  TaskId pending = *scheduler_->enqueue({.type = "wait"});
  TaskId scheduled =
      *scheduler_->enqueue({.type = "wait", .run_at = clock_.now() + std::chrono::hours(1)});
  EXPECT_TRUE(scheduler_->cancel(pending).ok());
  EXPECT_TRUE(scheduler_->cancel(scheduled).ok());
  EXPECT_TRUE(scheduler_->cancel(running).ok());
  ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().rejected_results == 1; }));
  EXPECT_EQ(StateOf(running), TaskState::kCancelled);
  EXPECT_EQ(StateOf(pending), TaskState::kCancelled);
  EXPECT_EQ(StateOf(scheduled), TaskState::kCancelled);
  EXPECT_EQ(scheduler_->cancel(running).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(scheduler_->cancel("nope").code(), StatusCode::kNotFound);
}

TEST_F(SchedulerTest, ConcurrencyLimitsAndSlotsAreNeverExceeded) {
  SchedulerOptions options{
      .slots = 6, .queues = {"limited", "free"}, .selector = SelectorKind::kRoundRobin};
  options.clock = &RealClock();
  scheduler_ = std::move(*Scheduler::Create(options));
  scheduler_->set_queue("limited", {.concurrency = 2}).ok();
  std::atomic<int> limited_now{0}, all_now{0}, limited_max{0}, all_max{0};
  auto track = [](std::atomic<int>& now, std::atomic<int>& max) {
    int v = ++now;
    int m = max.load();
    while (v > m && !max.compare_exchange_weak(m, v)) {
    }
  };
  scheduler_
      ->handle("work",
               [&](TaskContext& ctx) {
                 bool limited = ctx.task().spec.queue == "limited";
                 if (limited) track(limited_now, limited_max);
                 track(all_now, all_max);
                 std::this_thread::yield();
                 all_now--;
                 if (limited) limited_now--;
                 return Outcome::Success();
               })
      .ok();
  std::vector<TaskSpec> specs;
  for (int i = 0; i < 600; ++i)
    specs.push_back({.type = "work", .queue = i % 2 ? "limited" : "free"});
  ASSERT_TRUE(scheduler_->enqueue(specs).ok());
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().succeeded == 600; }));
  EXPECT_LE(limited_max.load(), 2);
  EXPECT_GE(limited_max.load(), 1);
  EXPECT_LE(all_max.load(), 6);
}

TEST_F(SchedulerTest, RateLimitsHoldUnderTheSimulatedClock) {
  Start({.slots = 4});
  scheduler_->set_queue("default", {.rate = 2, .burst = 1}).ok();  // 2 tasks/s
  std::atomic<int> runs{0};
  scheduler_
      ->handle("t",
               [&](TaskContext&) {
                 runs++;
                 return Outcome::Success();
               })
      .ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  for (int i = 0; i < 10; ++i) scheduler_->enqueue({.type = "t"}).ok();
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 1; }));
  for (int step = 1; step <= 4; ++step) {
    clock_.advance(milliseconds(500));
    ASSERT_TRUE(WaitFor([&] { return runs.load() == 1 + step; }));
  }
  EXPECT_EQ(runs.load(), 5);  // 1 burst + 4 refills of one token each
}

TEST_F(SchedulerTest, PausedQueuesRunNothingUntilResumed) {
  Start();
  std::atomic<int> runs{0};
  scheduler_
      ->handle("t",
               [&](TaskContext&) {
                 runs++;
                 return Outcome::Success();
               })
      .ok();
  scheduler_->set_queue("default", {}).ok();
  ASSERT_TRUE(scheduler_->pause_queue("default").ok());
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId id = *scheduler_->enqueue({.type = "t"});
  clock_.advance(seconds(10));
  EXPECT_EQ(StateOf(id), TaskState::kPending);
  ASSERT_TRUE(scheduler_->resume_queue("default").ok());
  ASSERT_TRUE(WaitState(id, TaskState::kSucceeded));
}

TEST_F(SchedulerTest, TasksNotStartedBeforeTheirDeadlineExpire) {
  Start();
  scheduler_->handle("t", [](TaskContext&) { return Outcome::Success(); }).ok();
  scheduler_->set_queue("default", {}).ok();
  scheduler_->pause_queue("default").ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId late = *scheduler_->enqueue({.type = "t", .deadline = clock_.now() + seconds(1)});
  TaskId fine = *scheduler_->enqueue({.type = "t", .deadline = clock_.now() + seconds(60)});
  clock_.advance(seconds(2));
  scheduler_->resume_queue("default").ok();
  ASSERT_TRUE(WaitState(fine, TaskState::kSucceeded));
  EXPECT_EQ(StateOf(late), TaskState::kExpired);
  EXPECT_EQ(scheduler_->store().queues()->front().expired, 1);
  EXPECT_EQ(scheduler_->store().queues()->front().deadline_misses, 1);
}

TEST_F(SchedulerTest, YieldingTasksShareASlotRoundRobin) {
  Start({.slots = 1});
  std::mutex mu;
  std::vector<std::string> trace;
  scheduler_
      ->handle("slice",
               [&](TaskContext& ctx) {
                 int done = ctx.checkpoint().empty() ? 0 : std::stoi(ctx.checkpoint());
                 {
                   std::lock_guard lock(mu);
                   trace.push_back(ctx.payload() + std::to_string(done));
                 }
                 return done == 2 ? Outcome::Success() : Outcome::Yield(std::to_string(done + 1));
               })
      .ok();
  scheduler_->set_queue("default", {}).ok();
  scheduler_->pause_queue("default").ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId a = *scheduler_->enqueue({.type = "slice", .payload = "a", .max_attempts = 1});
  TaskId b = *scheduler_->enqueue({.type = "slice", .payload = "b", .max_attempts = 1});
  scheduler_->resume_queue("default").ok();
  ASSERT_TRUE(WaitState(a, TaskState::kSucceeded));
  ASSERT_TRUE(WaitState(b, TaskState::kSucceeded));
  std::lock_guard lock(mu);
  EXPECT_EQ(trace, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
  EXPECT_EQ(scheduler_->stats().yielded, 4);
}

TEST_F(SchedulerTest, WeightedQueuesShareSlotsByWeight) {
  SchedulerOptions options{
      .slots = 1, .queues = {"big", "small"}, .selector = SelectorKind::kWeighted};
  options.clock = &clock_;
  scheduler_ = std::move(*Scheduler::Create(options));
  scheduler_->set_queue("big", {.weight = 3}).ok();
  scheduler_->set_queue("small", {.weight = 1}).ok();
  std::mutex mu;
  std::vector<std::string> order;
  scheduler_
      ->handle("t",
               [&](TaskContext& ctx) {
                 std::lock_guard lock(mu);
                 order.push_back(ctx.task().spec.queue);
                 return Outcome::Success();
               })
      .ok();
  std::vector<TaskSpec> specs;
  for (int i = 0; i < 400; ++i) specs.push_back({.type = "t", .queue = "big"});
  for (int i = 0; i < 400; ++i) specs.push_back({.type = "t", .queue = "small"});
  scheduler_->enqueue(specs).ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().succeeded >= 400; }));
  std::lock_guard lock(mu);
  // While both queues have work, every window of 4 picks is 3 big : 1 small (+-1 overall).
  int big = static_cast<int>(std::count(order.begin(), order.begin() + 400, "big"));
  EXPECT_NEAR(big, 300, 1);
}

TEST_F(SchedulerTest, FixedRateScheduleNeverDrifts) {
  // Maintenance and heartbeats far apart, so the lateness measured is the ticks' own.
  Start(
      {.slots = 2, .lease = std::chrono::hours(3), .maintenance_interval = std::chrono::hours(1)});
  std::atomic<int> runs{0};
  scheduler_
      ->handle("tick",
               [&](TaskContext& ctx) {
                 // Handlers take a random while (real time, up to 300 us): the schedule's
                 // ticks must not depend on how long the previous one ran.
                 std::this_thread::sleep_for(
                     std::chrono::microseconds(std::hash<std::string>{}(ctx.id()) % 300));
                 runs++;
                 return Outcome::Success();
               })
      .ok();
  TimePoint anchor = clock_.now();
  ScheduleSpec spec{.id = "ticker",
                    .every = seconds(1),
                    .anchor = anchor,
                    .misfire = {.policy = MisfirePolicy::kSkip, .grace = milliseconds(900)}};
  spec.task.type = "tick";
  ASSERT_TRUE(scheduler_->add_schedule(spec).ok());
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> late_ms(0, 800);
  for (int k = 1; k <= 1000; ++k) {
    // The timer thread is late by a random amount each time; the k-th due stays anchor + k s.
    clock_.set(anchor + seconds(k) + milliseconds(late_ms(rng)));
    ASSERT_TRUE(WaitFor([&] { return scheduler_->schedule("ticker")->fired == k; })) << k;
  }
  ScheduleInfo info = *scheduler_->schedule("ticker");
  EXPECT_EQ(info.skipped_misfire, 0);
  EXPECT_EQ(*info.last_due, anchor + seconds(1000));
  EXPECT_EQ(*info.next_due, anchor + seconds(1001));
  Task last = *scheduler_->get(info.last_task);
  EXPECT_EQ(*last.spec.tick_due, anchor + seconds(1000));
  EXPECT_EQ(last.spec.period, seconds(1));
  ASSERT_TRUE(WaitFor([&] { return runs.load() == 1000; }));
  // Lateness is measured: the median is well above zero, the max below 800 ms.
  SchedulerStats stats = scheduler_->stats();
  EXPECT_GT(stats.timer_lateness.quantile(0.5), milliseconds(100));
  EXPECT_LE(stats.timer_lateness.max(), milliseconds(801));
}

TEST_F(SchedulerTest, MisfiredTicksFollowThePolicy) {
  Start();
  scheduler_->handle("t", [](TaskContext&) { return Outcome::Success(); }).ok();
  TimePoint anchor = clock_.now();
  for (auto [id, policy] :
       {std::pair{"once", MisfirePolicy::kFireOnce}, std::pair{"skip", MisfirePolicy::kSkip},
        std::pair{"catch", MisfirePolicy::kCatchUp}}) {
    ScheduleSpec spec{.id = id,
                      .every = std::chrono::minutes(1),
                      .anchor = anchor,
                      .misfire = {.policy = policy, .max_catch_up = 3}};
    spec.task.type = "t";
    ASSERT_TRUE(scheduler_->add_schedule(spec).ok());
  }
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  // A stall of 10.5 minutes: ticks 1..10 misfired.
  clock_.advance(std::chrono::minutes(10) + seconds(30));
  ASSERT_TRUE(WaitFor([&] {
    return scheduler_->schedule("once")->last_due.has_value() &&
           scheduler_->schedule("skip")->last_due.has_value() &&
           scheduler_->schedule("catch")->last_due.has_value();
  }));
  EXPECT_EQ(scheduler_->schedule("once")->fired, 1);
  EXPECT_EQ(scheduler_->schedule("skip")->fired, 0);
  EXPECT_EQ(scheduler_->schedule("skip")->skipped_misfire, 10);
  EXPECT_EQ(scheduler_->schedule("catch")->fired, 3);
  EXPECT_EQ(*scheduler_->schedule("catch")->next_due, anchor + std::chrono::minutes(11));
}

TEST_F(SchedulerTest, SchedulesLiveInTheStoreAndResumeAfterARestart) {
  std::unique_ptr<Store> store = NewMemoryStore({.clock = &clock_});
  TimePoint added = clock_.now();
  {
    SchedulerOptions options{.store = store.get()};
    Start(options);
    ScheduleSpec spec{.id = "tick", .every = seconds(10), .misfire = {.grace = seconds(1)}};
    spec.task.type = "t";
    ASSERT_TRUE(scheduler_->add_schedule(spec).ok());
    ASSERT_TRUE(scheduler_->start().ok());
    for (int64_t k = 1; k <= 2; ++k) {  // ticks at +10 s and +20 s, on time
      clock_.advance(seconds(10));
      ASSERT_TRUE(WaitFor([&] { return scheduler_->schedule("tick")->fired == k; }));
    }
    clock_.advance(seconds(5));
    scheduler_->stop(Duration::zero());
    scheduler_.reset();
  }
  Result<std::vector<StoredSchedule>> stored = store->list_schedules();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].spec.anchor, added);  // anchored when added, and the anchor kept
  EXPECT_EQ((*stored)[0].last_due, added + seconds(20));

  // Down for 31 s: the ticks at +30, +40 and +50 misfire; fire_once fires the last of them.
  clock_.advance(seconds(31));
  SchedulerOptions options{.store = store.get()};
  Start(options);
  scheduler_->handle("t", [](TaskContext&) { return Outcome::Success(); }).ok();
  ASSERT_EQ(scheduler_->schedules().size(), 1u);
  StopOnExit stop_on_exit{scheduler_.get()};
  ASSERT_TRUE(scheduler_->start().ok());
  ASSERT_TRUE(WaitFor([&] { return scheduler_->schedule("tick")->fired == 1; }));
  EXPECT_EQ(scheduler_->schedule("tick")->last_due, added + seconds(50));
  EXPECT_EQ(scheduler_->schedule("tick")->next_due, added + seconds(60));
  std::vector<TimePoint> dues;
  Result<TaskPage> page = store->list({}, {.limit = 100});
  ASSERT_TRUE(page.ok());
  for (const Task& t : page->tasks) dues.push_back(*t.spec.tick_due);
  EXPECT_EQ(dues, (std::vector<TimePoint>{added + seconds(10), added + seconds(20),
                                          added + seconds(50)}));

  ASSERT_TRUE(scheduler_->remove_schedule("tick").ok());
  stored = store->list_schedules();
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
}

TEST_F(SchedulerTest, WorkersShowWhatTheyRun) {
  Start({.slots = 2, .worker_id = "node-a"});
  EXPECT_TRUE(scheduler_->workers().empty());  // before start
  std::latch entered(1), release(1);
  scheduler_
      ->handle("block",
               [&](TaskContext&) {
                 entered.count_down();
                 release.wait();
                 return Outcome::Success();
               })
      .ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  ASSERT_TRUE(scheduler_->start().ok());
  TaskId id = *scheduler_->enqueue({.type = "block"});
  entered.wait();
  std::vector<WorkerInfo> workers = scheduler_->workers();
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0].id, "node-a/0");
  EXPECT_EQ(workers[1].id, "node-a/1");
  int busy = 0;
  for (const WorkerInfo& w : workers) {
    if (!w.busy) continue;
    busy++;
    EXPECT_EQ(w.task, id);
    EXPECT_EQ(w.since, clock_.now());
  }
  EXPECT_EQ(busy, 1);
  release.count_down();
  ASSERT_TRUE(WaitState(id, TaskState::kSucceeded));
}

TEST_F(SchedulerTest, OverlapForbidSkipsAndReplaceCancels) {
  Start({.slots = 4});
  std::latch release(1);
  scheduler_
      ->handle("long",
               [&](TaskContext& ctx) {
                 while (!release.try_wait() && !ctx.stop_requested())
                   std::this_thread::sleep_for(milliseconds(1));
                 return Outcome::Success();
               })
      .ok();
  for (auto [id, overlap] : {std::pair{"forbid", OverlapPolicy::kForbid},
                             std::pair{"replace", OverlapPolicy::kReplace}}) {
    ScheduleSpec spec{.id = id, .every = seconds(10), .overlap = overlap};
    spec.task.type = "long";
    ASSERT_TRUE(scheduler_->add_schedule(spec).ok());
  }
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  clock_.advance(seconds(10));
  ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().started == 2; }));
  TaskId first_replace = scheduler_->schedule("replace")->last_task;
  TaskId first_forbid = scheduler_->schedule("forbid")->last_task;
  clock_.advance(seconds(10));
  ASSERT_TRUE(WaitFor([&] { return scheduler_->schedule("forbid")->skipped_overlap == 1; }));
  ASSERT_TRUE(WaitState(first_replace, TaskState::kCancelled));
  EXPECT_EQ(scheduler_->schedule("replace")->fired, 2);
  EXPECT_EQ(scheduler_->schedule("forbid")->fired, 1);
  EXPECT_EQ(StateOf(first_forbid), TaskState::kActive);
  release.count_down();
}

// For the prefetch tests: a "t" handler that records the payloads it runs, in order; the task
// whose payload is "first" waits for `release` before it runs. Installs it with the default
// queue paused, so that one claim can take a whole batch once it is resumed.
struct PrefetchRecorder {
  std::latch release{1};
  std::mutex mu;
  std::vector<std::string> ran;

  void Install(Scheduler& scheduler) {
    scheduler
        .handle("t",
                [this](TaskContext& ctx) {
                  if (ctx.payload() == "first") release.wait();
                  std::lock_guard lock(mu);
                  ran.push_back(ctx.payload());
                  return Outcome::Success();
                })
        .ok();
    scheduler.set_queue("default", {}).ok();
    scheduler.pause_queue("default").ok();
  }
  std::vector<std::string> runs() {
    std::lock_guard lock(mu);
    return ran;
  }
};

TEST_F(SchedulerTest, PrefetchedTasksKeepTheirLeasesAndCancelledOnesNeverRun) {
  Start({.slots = 1, .prefetch = 3, .lease = seconds(10)});
  PrefetchRecorder recorder;
  recorder.Install(*scheduler_);
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId first = *scheduler_->enqueue({.type = "t", .payload = "first"});
  TaskId second = *scheduler_->enqueue({.type = "t", .payload = "second"});
  TaskId third = *scheduler_->enqueue({.type = "t", .payload = "third"});
  scheduler_->resume_queue("default").ok();
  // One claim took all three: the first runs, the other two wait in the worker.
  ASSERT_TRUE(WaitState(third, TaskState::kActive));
  ASSERT_TRUE(scheduler_->cancel(third).ok());
  // Past the waiting leases' first expiry: heartbeats (every lease / 3) must have kept them.
  // Step one second at a time and let the timer thread catch up (maintenance fires every
  // second; timers fire in due order, so the earlier heartbeats have run by then).
  for (int i = 0; i < 12; ++i) {
    uint64_t fired = scheduler_->stats().timer_lateness.count();
    clock_.advance(seconds(1));
    ASSERT_TRUE(WaitFor([&] { return scheduler_->stats().timer_lateness.count() > fired; }));
  }
  recorder.release.count_down();
  ASSERT_TRUE(WaitState(second, TaskState::kSucceeded));
  EXPECT_EQ(StateOf(first), TaskState::kSucceeded);
  EXPECT_EQ(StateOf(third), TaskState::kCancelled);
  // The second task's lease was extended while it waited, so it was not redelivered.
  EXPECT_EQ(scheduler_->get(second)->attempts, 1);
  EXPECT_EQ(recorder.runs(), (std::vector<std::string>{"first", "second"}));
}

// The deadline bounds every start, including that of a task that waited in a prefetched batch
// while the ones before it ran: it expires without running.
TEST_F(SchedulerTest, PrefetchedTaskPastItsDeadlineExpiresWithoutRunning) {
  Start({.slots = 1, .prefetch = 3, .lease = seconds(60)});
  PrefetchRecorder recorder;
  recorder.Install(*scheduler_);
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId first = *scheduler_->enqueue({.type = "t", .payload = "first"});
  TaskId late =
      *scheduler_->enqueue({.type = "t", .payload = "late", .deadline = clock_.now() + seconds(5)});
  TaskId third = *scheduler_->enqueue({.type = "t", .payload = "third"});
  scheduler_->resume_queue("default").ok();
  // One claim took all three, before the deadline; the first runs while the others wait.
  ASSERT_TRUE(WaitState(third, TaskState::kActive));
  EXPECT_EQ(StateOf(late), TaskState::kActive);
  clock_.advance(seconds(10));
  recorder.release.count_down();
  ASSERT_TRUE(WaitState(third, TaskState::kSucceeded));
  ASSERT_TRUE(WaitState(late, TaskState::kExpired));
  EXPECT_EQ(StateOf(first), TaskState::kSucceeded);
  EXPECT_EQ(recorder.runs(), (std::vector<std::string>{"first", "third"}));
  EXPECT_EQ(scheduler_->store().queues()->front().deadline_misses, 1);
}

TEST_F(SchedulerTest, StopDrainsRunningTasks) {
  Start({.slots = 2});
  std::atomic<bool> finished{false};
  std::latch started(1);
  scheduler_
      ->handle("job",
               [&](TaskContext&) {
                 started.count_down();
                 std::this_thread::sleep_for(milliseconds(50));  // real work, not a timer wait
                 finished = true;
                 return Outcome::Success();
               })
      .ok();
  StopOnExit stop_on_exit{scheduler_.get()};
  scheduler_->start().ok();
  TaskId id = *scheduler_->enqueue({.type = "job"});
  started.wait();
  scheduler_->stop(seconds(30));
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(StateOf(id), TaskState::kSucceeded);
}

TEST_F(SchedulerTest, AnalyzesItsPeriodicSchedules) {
  Start({.slots = 1});
  // (C, T) = (1, 4), (2, 6), (3, 12) seconds: U = 0.833 > the Liu-Layland bound 0.780, but the
  // worst-case response times 1, 3, 10 s meet every deadline.
  for (auto [id, period, wcet] :
       {std::tuple{"a", 4, 1}, std::tuple{"b", 6, 2}, std::tuple{"c", 12, 3}}) {
    ScheduleSpec spec{.id = id, .every = seconds(period), .wcet = seconds(wcet)};
    spec.task.type = "t";
    ASSERT_TRUE(scheduler_->add_schedule(spec).ok());
  }
  ScheduleSpec unknown{.id = "unmeasured", .every = seconds(5)};  // no wcet yet: left out
  unknown.task.type = "t";
  ASSERT_TRUE(scheduler_->add_schedule(unknown).ok());
  Result<std::vector<PoolReport>> reports = scheduler_->analyze();
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  const PoolReport& pool = reports->front();
  EXPECT_EQ(pool.tasks.size(), 3u);
  EXPECT_NEAR(pool.utilization, 0.8333, 1e-3);
  EXPECT_FALSE(pool.rms_ll_pass);
  EXPECT_EQ(pool.rms, Verdict::kSchedulable);
  EXPECT_EQ(pool.edf, Verdict::kSchedulable);
  EXPECT_EQ(*pool.tasks[2].response_time, seconds(10));
}

TEST_F(SchedulerTest, BadInputIsRejectedWithTheField) {
  EXPECT_EQ(Scheduler::Create({.slots = -1}).status().field(), "slots");
  EXPECT_EQ(Scheduler::Create({.queues = {"ok", "not ok"}}).status().field(), "queues[1]");
  Start();
  EXPECT_EQ(scheduler_->enqueue(TaskSpec{.type = ""}).status().field(), "type");
  EXPECT_EQ(scheduler_->enqueue(TaskSpec{.type = "t", .timeout = -seconds(1)}).status().field(),
            "timeout");
  ScheduleSpec dup{.id = "a", .every = seconds(1)};
  dup.task.type = "t";
  ASSERT_TRUE(scheduler_->add_schedule(dup).ok());
  EXPECT_EQ(scheduler_->add_schedule(dup).code(), StatusCode::kAlreadyExists);
  StopOnExit stop_on_exit{scheduler_.get()};
  EXPECT_EQ(scheduler_->start().code(), StatusCode::kOk);
  EXPECT_EQ(scheduler_->start().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace taskly
