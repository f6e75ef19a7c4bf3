// File: taskly/store.h
//
// The Store contract: the one interface every backend implements (memory,
// sqlite, redis, postgres). The engine, the server, the API and the CLI talk to nothing else.
// Every backend passes the conformance suite in tests/conformance/, written against this
// interface only.
//
// Contract, in short:
//  - enqueue() returns only when the tasks are durable in that backend. It is idempotent on a
//    live `unique_key` and on a schedule tick's (schedule_id, tick_due) pair.
//  - claim() hands out ready tasks in policy order, each under a lease with a fencing token that
//    is larger than every token that task had before. Each claim counts one attempt.
//  - heartbeat/complete/fail/yield are compare-and-set on (id, token): a stale token (the lease
//    expired and the task was reclaimed, or the task was cancelled, or the attempt was already
//    settled) returns kAborted (kCancelled if the task was cancelled) and changes nothing.
//  - maintain() runs the recovery duties; it is safe to run concurrently from several callers.
//
// Time: a store reads time through the Clock it was built with. Lease expiry, run_at, deadlines
// and retention are judged by that clock (the store's notion of time).
//
// Thread-safety: every implementation is thread-safe; all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "taskly/clock.h"
#include "taskly/policy.h"
#include "taskly/schedule.h"
#include "taskly/status.h"
#include "taskly/task.h"

namespace taskly {

struct EnqueueResult {
  TaskId id;
  // False when the spec matched a live task with the same unique_key, or a tick of the same
  // schedule at the same or a later due time was already enqueued; `id` is then the existing
  // task's id (empty if that task is gone).
  bool created = true;
};

struct ClaimRequest {
  // Queues in preference order. Each task is taken from the first queue in this order that has
  // a ready task and is not paused, under its concurrency limit and within its rate limit.
  std::vector<std::string> queues;
  std::string worker;     // who holds the leases (for inspection and node views)
  int32_t max_tasks = 1;  // >= 1
  Duration lease = std::chrono::seconds(30);
};

struct Lease {
  Task task;  // state kActive, attempts already counted, lease_token == token
  uint64_t token = 0;
  TimePoint expires_at{};
};

struct FailOptions {
  // When to retry; absent or in the past means pending at once. Ignored when the task goes dead.
  std::optional<TimePoint> retry_at;
  bool permanent = false;  // go dead at once, whatever attempts are left
};

struct TaskFilter {
  std::optional<TaskState> state;
  std::string queue;        // empty: any
  std::string type;         // empty: any
  std::string label_key;    // empty: any; else the task must have this label...
  std::string label_value;  // ...with this value
};

struct PageRequest {
  std::string after;  // cursor: list ids strictly greater than this (empty: from the start)
  int32_t limit = 100;
};

struct TaskPage {
  std::vector<Task> tasks;  // ascending by id (ids are sortable by enqueue time)
  std::string next;         // cursor for the next page; empty when this was the last
};

struct QueueInfo {
  std::string name;
  QueueConfig config;
  bool paused = false;
  // Tasks in each state now (terminal ones until retention deletes them).
  int64_t scheduled = 0, pending = 0, active = 0, succeeded = 0, dead = 0, cancelled = 0,
          expired = 0;
  // Cumulative since the queue was created: tasks that expired (their deadline passed before
  // they could start). Retention does not lower it.
  int64_t deadline_misses = 0;
};

struct MaintenanceReport {
  int64_t promoted = 0;     // scheduled -> pending (run_at reached)
  int64_t recovered = 0;    // active with an expired lease -> pending
  int64_t quarantined = 0;  // active with an expired lease and attempts spent -> dead
  int64_t expired = 0;      // pending/scheduled past deadline -> expired
  int64_t deleted = 0;      // terminal tasks removed by retention
};

// How long terminal tasks are kept: a task is deleted (payload included) when it is older than
// `max_age` since it finished, or when more than `max_count` terminal tasks exist (oldest first).
struct RetentionPolicy {
  int64_t max_count = 100'000;
  Duration max_age = std::chrono::hours(24 * 7);
};

// A schedule as a store keeps it: the definition and its cursor, the due time of the last tick
// handled (fired or dropped), so that a restarted process judges misfires from where it stopped.
struct StoredSchedule {
  ScheduleSpec spec;
  std::optional<TimePoint> last_due;  // absent before the first tick
};

class Store {
 public:
  virtual ~Store() = default;

  // Enqueues each spec (atomic per task). Every spec is validated first: if any is invalid the
  // call returns InvalidArgument naming it ("tasks[2].queue") and enqueues nothing. A spec with
  // a future run_at starts `scheduled`, else `pending`. Queues are created on first use with a
  // default QueueConfig.
  virtual Result<std::vector<EnqueueResult>> enqueue(std::span<const TaskSpec> specs) = 0;
  // enqueue() of one spec; an invalid one's error names its field bare ("queue"). The default
  // calls enqueue(); a backend may enqueue one task more cheaply than a batch of one.
  virtual Result<EnqueueResult> enqueue_one(const TaskSpec& spec);
  // enqueue() of a leader's writes (schedule ticks), fenced by its `term` (Coordinator): a
  // backend that keeps the cluster's leadership refuses the whole call with kAborted, changing
  // nothing, when a leadership newer than `term` exists. The default, for backends that only
  // one process uses (memory, sqlite), is enqueue().
  virtual Result<std::vector<EnqueueResult>> enqueue_as_leader(std::span<const TaskSpec> specs,
                                                               uint64_t term);

  // Claims up to max_tasks ready tasks (see ClaimRequest). Scheduled tasks whose time has come
  // are ready; pending tasks whose deadline has passed are expired instead of claimed. Returns
  // an empty vector when nothing can be claimed now.
  virtual Result<std::vector<Lease>> claim(const ClaimRequest& request) = 0;

  // Blocks until work may be claimable from one of `queues` (a task became ready, a slot or
  // a paused queue was freed), `until` is reached, or `stop` is requested. Returns at the
  // earliest scheduled task's time if sooner than `until`. May return spuriously. It blocks
  // through the store's Clock (Clock::wait_until), so simulated time wakes it, and it is counted
  // by SimulatedClock::waiters() once no wake-up can be missed.
  virtual void wait_for_work(const std::vector<std::string>& queues, TimePoint until,
                             std::stop_token stop) = 0;

  // Extends the lease to now + `lease`. Returns the new expiry.
  virtual Result<TimePoint> heartbeat(const TaskId& id, uint64_t token, Duration lease) = 0;
  // Active -> succeeded, storing `result`.
  virtual Status complete(const TaskId& id, uint64_t token, std::string result) = 0;
  // complete() for each item, independently (one refused item does not affect the others);
  // one status per item, in order. Backends override it to do the batch in one round trip or
  // one lock; the default calls complete() for each.
  struct Completion {
    TaskId id;
    uint64_t token = 0;
    std::string result;
  };
  virtual std::vector<Status> complete_batch(std::span<Completion> items);
  // complete_batch(done), its statuses into `statuses` (one per item, in order, replacing what
  // was there), then claim(request) into `leases` (replacing what was there): a prefetching
  // worker settles its last batch and takes the next in one call. Returns the claim's status
  // (`leases` is then empty); the completions are made whatever the claim returns. Backends
  // override it to do both in one lock or one round trip, and may reuse the memory of the
  // elements `leases` held, so a worker that keeps one vector does not build every Task from
  // scratch. The default calls complete_batch() (if `done` is not empty) and claim().
  virtual Status complete_and_claim(std::span<Completion> done, std::vector<Status>& statuses,
                                    const ClaimRequest& request, std::vector<Lease>& leases);
  // Active -> scheduled (retry) or pending (retry now) or dead (attempts spent or permanent).
  // Returns the state the task went to.
  virtual Result<TaskState> fail(const TaskId& id, uint64_t token, std::string error,
                                 const FailOptions& options) = 0;
  // Active -> pending at the back of its queue (a new seq), keeping `checkpoint` for the next
  // attempt. A yield does not use up an attempt.
  virtual Status yield(const TaskId& id, uint64_t token, std::string checkpoint) = 0;

  // Any non-terminal state -> cancelled; an active task's lease is voided so its worker can
  // settle nothing. NotFound for an unknown id, FailedPrecondition for a terminal task.
  virtual Status cancel(const TaskId& id) = 0;
  // Dead, cancelled or expired -> pending with attempts reset (a manual retry). NotFound or
  // FailedPrecondition otherwise.
  virtual Status retry(const TaskId& id) = 0;

  virtual Result<Task> get(const TaskId& id) = 0;
  virtual Result<TaskPage> list(const TaskFilter& filter, const PageRequest& page) = 0;

  // Queues: settings, pause/resume (a paused queue accepts tasks but hands none out), stats.
  virtual Status set_queue(const std::string& name, const QueueConfig& config) = 0;
  virtual Status pause_queue(const std::string& name, bool paused) = 0;
  virtual Result<std::vector<QueueInfo>> queues() = 0;

  // Schedules (durable definitions; the ticking itself is the scheduler's job).
  // Creates the schedule `spec.id`, or replaces its definition keeping its cursor. The spec is
  // validated first (ValidateScheduleSpec): InvalidArgument naming the field, nothing changed.
  virtual Status put_schedule(const ScheduleSpec& spec) = 0;
  // NotFound for an unknown id. The schedule's already enqueued tasks are not touched.
  virtual Status remove_schedule(const std::string& id) = 0;
  // All schedules, ascending by id.
  virtual Result<std::vector<StoredSchedule>> list_schedules() = 0;
  // Moves the cursor of `id` to `due` if that is later than where it is (never backwards, so two
  // processes may both advance it). NotFound for an unknown id.
  virtual Status advance_schedule(const std::string& id, TimePoint due) = 0;

  // The recovery duties: promote due scheduled tasks, recover expired leases (pending again, or
  // dead when the task's attempts are spent: a task that keeps killing its worker is
  // quarantined), expire tasks past their deadline, apply retention. A backend may also do some
  // of these eagerly (promote in claim(), apply retention as tasks finish); after maintain()
  // returns, all of them are done as of the store's now.
  virtual Result<MaintenanceReport> maintain() = 0;

  // Whether the backend answers now, as cheaply as it can (readiness checks call it often):
  // kUnavailable naming the backend when it cannot be reached. The default, for backends in
  // this process (memory, sqlite), is OK.
  virtual Status ping();

  // Stored rows this store found it could not decode, and left alone: every other row is
  // served as usual, and get() of a damaged task names the damage. The default, for backends
  // that keep nothing they did not just build, is 0.
  virtual int64_t damaged_rows();
};

struct MemoryStoreOptions {
  Clock* clock = nullptr;  // default: RealClock()
  RetentionPolicy retention;
};

// The in-memory backend: records and their indexes in this process, under one lock. Not durable.
std::unique_ptr<Store> NewMemoryStore(const MemoryStoreOptions& options = {});

}  // namespace taskly
