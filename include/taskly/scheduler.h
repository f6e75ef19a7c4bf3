// File: taskly/scheduler.h
//
// The embedded scheduler: register handlers by task type, enqueue tasks, add schedules, start,
// and stop with drain. Tasks live in a `Store` (the in-memory one unless another is given);
// handlers run on a pool of worker threads, one task per thread at a time ("slots").
//
//   taskly::SchedulerOptions options;
//   options.slots = 4;
//   auto scheduler = taskly::Scheduler::Create(options);
//   (*scheduler)->handle("email", [](taskly::TaskContext& ctx) {
//     send(ctx.payload());
//     return taskly::Outcome::Success();
//   });
//   (*scheduler)->start();
//   (*scheduler)->enqueue({.type = "email", .payload = R"({"to":"a@b.c"})"});
//
// Failure isolation: a handler that throws (anything) or returns a failure fails that attempt
// only; the task is retried with exponential backoff and full jitter until its attempts are
// spent, then it is dead. Each attempt's stop token is requested on timeout, cancel or
// shutdown. An attempt that outlives its timeout is recorded as timed out at once, whatever the
// handler does; its late result is rejected by the lease token (fencing).
//
// Thread-safety: all methods are thread-safe. Handlers run concurrently on the worker threads.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "taskly/analysis.h"
#include "taskly/clock.h"
#include "taskly/coordinator.h"
#include "taskly/histogram.h"
#include "taskly/policy.h"
#include "taskly/schedule.h"
#include "taskly/status.h"
#include "taskly/store.h"
#include "taskly/task.h"

namespace taskly {

// What a handler returns for one attempt.
class Outcome {
 public:
  enum class Kind : uint8_t { kSuccess, kRetry, kPermanent, kYield };

  // The attempt succeeded; `result` is stored with the task.
  static Outcome Success(std::string result = {}) { return {Kind::kSuccess, std::move(result)}; }
  // The attempt failed; retry with backoff while attempts remain.
  static Outcome Retry(std::string error) { return {Kind::kRetry, std::move(error)}; }
  // The attempt failed and retrying cannot help: the task goes dead at once.
  static Outcome Permanent(std::string error) { return {Kind::kPermanent, std::move(error)}; }
  // Cooperative time slicing: put the task at the back of its queue; the next attempt gets
  // `checkpoint` from TaskContext::checkpoint(). A yield does not use up an attempt.
  static Outcome Yield(std::string checkpoint) { return {Kind::kYield, std::move(checkpoint)}; }

  Kind kind() const { return kind_; }
  // The result, the error or the checkpoint, by kind.
  const std::string& text() const { return text_; }

 private:
  Outcome(Kind kind, std::string text) : kind_(kind), text_(std::move(text)) {}
  Kind kind_;
  std::string text_;
};

// One attempt's view of its task. Valid only during the handler call.
// Thread-safety: stop_token() and heartbeat() may be used from threads the handler starts.
class TaskContext {
 public:
  const Task& task() const { return task_; }
  const TaskId& id() const { return task_.id; }
  const std::string& payload() const { return task_.spec.payload; }
  // 1 for the first attempt.
  int32_t attempt() const { return task_.attempts; }
  // Written by the previous attempt's Outcome::Yield; empty at first.
  const std::string& checkpoint() const { return task_.checkpoint; }
  // The earlier of the task's absolute deadline and this attempt's timeout, if either is set.
  std::optional<TimePoint> deadline() const { return deadline_; }
  // Requested on timeout, cancel or shutdown.
  std::stop_token stop_token() const { return stop_; }
  bool stop_requested() const { return stop_.stop_requested(); }
  // Extends the lease now (the scheduler also does so periodically). kCancelled if the task
  // was cancelled, kAborted if the lease was lost.
  Status heartbeat() const;

  // `task` and `stop` must outlive the context (the engine keeps both for the attempt: the
  // context refers to them, so an attempt copies neither).
  TaskContext(const Task& task, const std::stop_token& stop, std::optional<TimePoint> deadline,
              Store* store, Duration lease)
      : task_(task), stop_(stop), deadline_(deadline), store_(store), lease_(lease) {}

 private:
  const Task& task_;
  const std::stop_token& stop_;
  std::optional<TimePoint> deadline_;
  Store* store_;
  Duration lease_;
};

using Handler = std::function<Outcome(TaskContext&)>;

// One worker (slot) of a scheduler, as inspection shows it.
struct WorkerInfo {
  std::string id;       // "<worker_id>/<index>": the name its leases carry
  bool busy = false;    // running an attempt now
  TaskId task;          // the attempt's task, when busy
  TimePoint since{};    // when that attempt started, when busy
  int32_t waiting = 0;  // prefetched tasks waiting for this worker
};

struct SchedulerOptions {
  // Where tasks live; not owned, must outlive the scheduler. Default: an owned memory store.
  Store* store = nullptr;
  // Default: RealClock(). Must be the clock the store uses.
  Clock* clock = nullptr;
  int32_t slots = 0;  // worker threads; 0 = the number of hardware threads
  // Queues served, in order, with the selector that picks among them.
  std::vector<std::string> queues = {"default"};
  SelectorKind selector = SelectorKind::kStrict;
  // Tasks a worker claims at once and runs one after the other (like Celery's prefetch): more
  // is cheaper per task for short tasks, 1 is fairest.
  int32_t prefetch = 1;
  Duration lease = std::chrono::seconds(30);
  Duration maintenance_interval = std::chrono::seconds(1);
  // The shortest period add_schedule accepts: an `every` below it, or a cron whose period
  // (CronSchedule::min_gap()) is below it, is refused (InvalidArgument naming "every" or
  // "cron"). Schedules read back from the store are not checked again.
  Duration min_schedule_period = std::chrono::seconds(1);
  // The largest result a task may store. A handler's Success with a longer result fails the
  // attempt permanently (the task goes dead; retrying would produce it again), with the error
  // "result is N bytes, more than the limit of M (max_result_bytes)".
  size_t max_result_bytes = size_t{1} << 20;
  std::string worker_id;  // default: the node id with a coordinator, else "worker-<pid>"
  uint64_t seed = 0;      // retry jitter seed; 0 = random

  // Cluster membership. With a coordinator (not owned; must outlive the scheduler and share the
  // store's backend), this scheduler is one node of a cluster that shares `store`: from start()
  // it sends heartbeats describing itself (`node`; the scheduler fills in queues, slots and the
  // running tasks) and, when `lead` is true, campaigns for leadership. Only while it leads does
  // it tick the schedules and run maintenance; it re-reads the schedules from the store when it
  // becomes leader and at every maintenance interval, so a schedule added or removed on any
  // node is ticked by whichever node leads (add, pause and remove on any node look in the
  // store for a schedule that node does not know yet). Ticks are enqueued with the leader's term
  // (Store::enqueue_as_leader): after a newer leader appears, this node's ticks are refused and
  // counted (SchedulerStats::fenced_writes). stop() resigns leadership and leaves at once.
  // Without a coordinator (the default) the scheduler is alone and always leads.
  Coordinator* coordinator = nullptr;
  bool lead = true;  // false: a worker-only node
  // The leadership lease and the node heartbeat's lifetime; both are renewed every ttl / 3 (at most
  // every second).
  Duration leader_ttl = std::chrono::seconds(5);
  NodeInfo node;  // id default "<hostname>-<pid>", role default "server"

  // Called, from the scheduler's threads, with a message for the operator when something fails
  // and is being retried (a schedule tick the store did not take). Default: nothing is said; the
  // counts are in stats() either way.
  std::function<void(const std::string&)> on_warning;
};

// The cluster as one node sees it.
struct ClusterView {
  std::string self;             // this node's id
  bool leading = false;         // whether this node believes it leads now
  LeaderInfo leader;            // as the coordinator says
  std::vector<NodeInfo> nodes;  // live nodes, ascending by id
};

// Counters since start; histograms of durations.
struct SchedulerStats {
  int64_t started = 0;  // attempts started
  int64_t succeeded = 0;
  int64_t failed = 0;   // attempts failed (retried or dead)
  int64_t retried = 0;  // failed attempts that will be retried
  int64_t dead = 0;
  int64_t yielded = 0;
  int64_t timed_out = 0;         // attempts recorded as timed out
  int64_t rejected_results = 0;  // late results refused by the lease token
  int64_t store_errors = 0;      // store calls that failed (the work is retried or redelivered)
  int64_t ticks_fired = 0;
  int64_t ticks_skipped = 0;         // misfired or overlapping ticks dropped
  int64_t ticks_failed = 0;          // tries to enqueue a tick the store refused (retried)
  int64_t fenced_writes = 0;         // leader writes refused because a newer leader exists
  int64_t leaderships = 0;           // times this node became leader
  HistogramSnapshot start_latency;   // ready -> start
  HistogramSnapshot run_time;        // handler duration
  HistogramSnapshot timer_lateness;  // timer fire - due
};

class Scheduler {
 public:
  static Result<std::unique_ptr<Scheduler>> Create(const SchedulerOptions& options = {});
  // Stops (see stop()) if still running.
  ~Scheduler();

  // Registers the handler of `type`; replaces an earlier one. InvalidArgument for a bad type.
  Status handle(const std::string& type, Handler handler);

  Result<TaskId> enqueue(const TaskSpec& spec);
  Result<std::vector<EnqueueResult>> enqueue(std::span<const TaskSpec> specs);
  // Cancels in any non-terminal state; a running attempt's stop token is requested.
  Status cancel(const TaskId& id);
  // Runs a dead, cancelled or expired task again from its first attempt.
  Status retry(const TaskId& id);
  Result<Task> get(const TaskId& id);

  Status set_queue(const std::string& name, const QueueConfig& config);
  Status pause_queue(const std::string& name);
  Status resume_queue(const std::string& name);

  // Schedules live in the store (Store::put_schedule), so they outlive the process: Create()
  // loads the store's schedules, and each resumes from its cursor (the last tick handled); ticks
  // that fell due while no process ran them are misfires, handled by the schedule's policy.
  // add_schedule: the id must be new (AlreadyExists otherwise); an `every` schedule without an
  // anchor is anchored at now, and the anchor is stored so that due times survive restarts.
  // Overlap policies look at the last tick's task of this process only: the first tick after
  // a restart is not checked against a task enqueued before it.
  Status add_schedule(const ScheduleSpec& spec);
  Status remove_schedule(const std::string& id);
  Status pause_schedule(const std::string& id, bool paused);
  Result<ScheduleInfo> schedule(const std::string& id);
  std::vector<ScheduleInfo> schedules();

  // Schedulability of the periodic schedules on this scheduler's slots (one pool, "default"):
  // each schedule with a period is a load whose execution time is its declared `wcet`, or else
  // the longest run measured so far; schedules with neither are left out.
  Result<std::vector<PoolReport>> analyze();

  // Starts the workers, the schedules and the maintenance loop. Served queues the store does
  // not know yet are created with the default QueueConfig. FailedPrecondition if started; a
  // store error creating a queue is returned and nothing is started. With a coordinator, the
  // first heartbeat and campaign happen before it returns (their failure is not an error: the
  // node retries every leader_ttl / 3, at most every second).
  Status start();
  // Stops claiming and firing schedules, lets running tasks finish for up to `grace`, then
  // requests their stop tokens and waits for them to return. Claimed tasks that did not start
  // are handed back at once, and so are stopped attempts whose handler then fails (Retry or a
  // throw): pending again, the attempt not used up. In a cluster it then resigns leadership
  // and leaves the registry. Idempotent.
  void stop(Duration grace = std::chrono::seconds(30));

  SchedulerStats stats() const;
  // The workers, in slot order; empty before start().
  std::vector<WorkerInfo> workers() const;
  Store& store();
  // The cluster: leader, term and live nodes. Without a coordinator: this process alone, leading.
  Result<ClusterView> cluster();
  // The clock the scheduler and its store run on (Options::clock or RealClock()): relative
  // times that callers turn into instants ("in 5 minutes") must count from it.
  Clock& clock() const;

 private:
  struct Impl;
  explicit Scheduler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskly
