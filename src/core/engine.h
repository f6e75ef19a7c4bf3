// The scheduler's engine: the state behind taskly::Scheduler. Reading order:
//   scheduler.cc        the public API, start() and stop()
//   worker.cc           the worker loop: claim, run an attempt, settle it with the store
//   schedule_runner.cc  schedules: timers, misfire and overlap policies, tick enqueue
//   cluster_node.cc     cluster membership: heartbeats, leadership, schedule re-sync
//
// Concurrency: worker threads each claim and run tasks; the timer thread (TimerService) fires
// timeouts, heartbeats, maintenance, cluster rounds and schedule ticks. Shared state is guarded as
// noted below.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "taskly/scheduler.h"
#include "taskly/timer.h"
#include "time/trigger.h"

namespace taskly {

// What is needed to settle an attempt without its handler: the timeout timer keeps one.
struct AttemptKey {
  TaskId id;
  uint64_t token = 0;
  int32_t attempts = 0;
  int32_t max_attempts = 1;
  Backoff backoff;
};

// One worker thread's current attempt. Every stop request goes through the slot and names the
// attempt's token, so a late timer or heartbeat can never stop the worker's next attempt.
// A counter written by one thread only and read by any: a plain load and store instead of a
// read-modify-write, so the writer never waits for the cache line of another core.
class OwnedCounter {
 public:
  void add(int64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  int64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

struct WorkerSlot {
  std::mutex mu;
  // Set when an attempt starts and cleared when the worker is done with its batch, so between
  // two attempts of a batch `running` is the one that just ended (for as long as the worker's
  // store calls between them take): readers heartbeat or stop it harmlessly, as the store refuses a
  // settled lease and the next attempt starts with a fresh stop source if the old one was
  // requested.
  bool busy = false;               // guarded by mu
  const Lease* running = nullptr;  // guarded by mu: the running attempt's lease, while busy
  TimePoint since{};               // guarded by mu: when the running attempt started
  std::stop_source stop;           // guarded by mu; replaced once it has been requested
  // stop's token, replaced with it: attempts refer to it rather than copy one (a copy is two
  // atomic read-modify-writes of the source's count). Only the slot's worker writes it (under
  // mu), between its attempts; the running attempt's handler reads it.
  std::stop_token token = stop.get_token();
  // The prefetched batch the worker is running, when it claimed more than one lease (the
  // worker's own vector, which nobody changes meanwhile): the leases from index `next` on wait
  // for their turn, and heartbeats cover them too. Null otherwise.
  const std::vector<Lease>* batch = nullptr;  // guarded by mu
  size_t next = 0;                            // guarded by mu
  // Successes of a prefetched batch not yet recorded; only the slot's worker touches these.
  std::vector<Store::Completion> done;
  TimePoint oldest_done{};

  // What this slot's worker did, summed by stats(): kept per worker so that the workers never
  // write to a shared cache line per task. Written by the slot's worker only.
  OwnedCounter started, succeeded;
  Histogram start_latency, run_time;

  // The worker's copy of the handler it ran last, valid while the handlers' version is
  // `handler_version` (only the slot's worker touches these).
  std::string handler_type;
  std::shared_ptr<const Handler> handler;
  uint64_t handler_version = 0;

  // Requests the stop of attempt (id, token) if it is still this slot's.
  void stop_if(const TaskId& task, uint64_t lease_token);
};

struct ScheduleState {
  ScheduleSpec spec;
  Trigger trigger;
  TimePoint last_due{};  // ticks up to here are handled
  TimerId timer = kNoTimer;
  std::optional<TimePoint> next_due;
  std::optional<TimePoint> last_fired;  // due time of the last tick handled
  TaskId last_task;
  int64_t fired = 0, skipped_misfire = 0, skipped_overlap = 0;
  Duration measured_wcet = Duration::zero();
  // A tick the store would not take is tried again at retry_at (set while it fails):
  // failed_tries counts the failures in a row, last_error is the store's latest.
  std::optional<TimePoint> retry_at;
  int64_t failed_tries = 0;
  std::string last_error;
};

struct Counters {
  std::atomic<int64_t> failed{0}, retried{0}, dead{0}, yielded{0}, timed_out{0},
      rejected_results{0}, store_errors{0}, ticks_fired{0}, ticks_skipped{0}, ticks_failed{0},
      fenced_writes{0}, leaderships{0};
};

struct Scheduler::Impl {
  explicit Impl(const SchedulerOptions& o);

  // Constant after construction.
  SchedulerOptions options;
  std::unique_ptr<Store> owned_store;
  Store* store;
  Clock& clock;
  std::unique_ptr<TimerService> timers;

  // Handlers: written by handle(), read by workers.
  std::shared_mutex handlers_mu;
  std::unordered_map<std::string, std::shared_ptr<const Handler>> handlers;
  std::atomic<uint64_t> handlers_version{1};  // bumped (under handlers_mu) by every handle()

  // Lifecycle, guarded by lifecycle_mu.
  std::mutex lifecycle_mu;
  bool started = false;
  bool stopped = false;
  std::stop_source claim_stop;  // requested when workers must stop claiming
  std::vector<std::jthread> workers;

  // Queue selection, guarded by selector_mu.
  std::mutex selector_mu;
  std::optional<QueueSelector> selector;  // built by start() from the queues' weights

  // One slot per worker thread; sized by start() before the workers exist, then fixed.
  std::vector<std::unique_ptr<WorkerSlot>> slots;
  // Ids of tasks cancelled while active but found in no slot: a worker may have claimed the
  // task and not yet entered its slot. It checks here after entering (see cancel_task()).
  std::mutex cancel_mu;
  std::deque<TaskId> cancelled_unseen;  // guarded by cancel_mu; the newest 64
  std::atomic<bool> maybe_cancelled_unseen{false};
  std::atomic<bool> draining{false};
  std::mutex running_mu;               // pairs with running_cv for stop()'s drain
  std::condition_variable running_cv;  // notified when an attempt ends while draining

  // Retry jitter, guarded by rng_mu.
  std::mutex rng_mu;
  std::mt19937_64 rng;

  // Schedules, guarded by schedules_mu. Timer callbacks look schedules up by id, so removing a
  // schedule while its tick runs is safe.
  std::mutex schedules_mu;
  std::map<std::string, ScheduleState> schedules;
  bool ticking = false;  // guarded by schedules_mu: true between start and stop
  // Leadership (cluster_node.cc), guarded by schedules_mu: schedules are armed while ticking
  // and leading. Without a coordinator the scheduler always leads, in term 0, forever.
  bool leading = false;
  uint64_t term = 0;
  TimePoint lease_until{};  // the lease as this node knows it: measured from before the campaign
  // Raised by stop() before it asks running attempts to stop: an attempt that then fails is
  // handed back (see execute()).
  std::atomic<bool> shutting_down{false};

  Counters counters;  // the slots count the hot ones (started, succeeded) themselves

  // worker.cc
  void worker_loop(std::stop_token stop, int index);
  // Runs one attempt that starts at `start` (now); returns when it ended. `next`: the index in
  // slot.batch of the first lease still waiting once this one runs.
  TimePoint run_attempt(WorkerSlot& slot, const Lease& lease, size_t next, TimePoint start);
  // The attempt's stop token is slot.token.
  TimePoint execute(WorkerSlot& slot, const Lease& lease, TimePoint start);
  // With `batch`, a success is kept in slot.done for flush_done() instead of recorded now.
  void settle(const Lease& lease, const Outcome& outcome, WorkerSlot& slot, bool batch,
              TimePoint now);
  void flush_done(WorkerSlot& slot);
  // Counts the statuses of slot.done's completions, and empties it.
  void count_completions(WorkerSlot& slot, const std::vector<Status>& statuses);
  void count_settle_failure(const Status& s);
  bool still_held(const Lease& lease, TimePoint now);
  // Fails the attempt with retry by backoff (or dead). False if the store refused the token.
  bool fail_attempt(const AttemptKey& key, std::string error, bool permanent);
  // The handler of `type`, through the slot's cache.
  const Handler* handler_for(WorkerSlot& slot, const std::string& type);
  bool any_running();
  void hand_back(std::vector<Lease>::const_iterator from, std::vector<Lease>::const_iterator to);
  void heartbeat_running();
  void schedule_maintenance();
  void schedule_heartbeats();

  // Cancels the task in the store and stops its running attempt, if any.
  Status cancel_task(const TaskId& id);
  // Whether `id` was cancelled before its attempt entered its slot (consumes the mark). Inline:
  // every attempt asks, and almost never is there a mark.
  bool cancelled_before_start(const TaskId& id) {
    return maybe_cancelled_unseen && consume_cancelled_unseen(id);
  }
  bool consume_cancelled_unseen(const TaskId& id);

  // Loads the store's schedules (at creation; armed by start()).
  Status load_schedules();
  // InvalidArgument ("every" or "cron") when the spec's period is below
  // options.min_schedule_period.
  Status check_period(const ScheduleSpec& spec) const;

  // cluster_node.cc. node_id and started_at are set before the first round and then fixed.
  std::string node_id;
  TimePoint started_at{};
  bool leads_now(TimePoint now) const;  // REQUIRES: schedules_mu held
  void drop_leadership();               // REQUIRES: schedules_mu held
  // Heartbeat, then campaign if this node may lead; on the timer thread (the first by start()).
  void cluster_round();
  void schedule_cluster_rounds();
  // Leader duties every maintenance interval: re-read the schedules, maintain the store.
  void maintenance_round();
  // Merges the store's schedules into `schedules` (added, changed, removed, cursors moved on).
  void resync_schedules();  // REQUIRES: schedules_mu held
  // The schedule `id`; in a cluster, one not known here yet (added through another node) is
  // looked for in the store too. REQUIRES: schedules_mu held.
  std::map<std::string, ScheduleState>::iterator find_schedule(const std::string& id);
  NodeInfo node_info();
  // stop(): resigns if leading and leaves the registry.
  void leave_cluster();

  // schedule_runner.cc
  void arm(ScheduleState& s);                    // REQUIRES: schedules_mu held
  void on_tick(const std::string& schedule_id);  // timer thread
  enum class TickResult { kHandled, kFenced, kFailed };
  // kHandled: enqueued, a duplicate, or dropped by the overlap policy. kFenced: the store refused
  // it as a stale leader's. kFailed: the store could not take it (*error says why).
  TickResult fire_tick(ScheduleState& s, TimePoint due, Status* error);  // REQUIRES: schedules_mu
  // Moves the schedule's cursor (ticks up to `due` are handled), here and in the store.
  void advance_cursor(ScheduleState& s, TimePoint due);  // REQUIRES: schedules_mu held
  // Counts and reports a tick the store did not take at `now`, and arms its retry with backoff.
  // REQUIRES: schedules_mu held
  void retry_tick(ScheduleState& s, TimePoint now, const Status& error);
  static ScheduleInfo info_of(const ScheduleState& s);
  // Records a run of a schedule's task for the analysis' measured execution times.
  void record_run(const std::string& schedule_id, Duration run);
};

}  // namespace taskly
