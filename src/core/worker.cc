// The worker loop: each worker thread claims tasks from the store (up to `prefetch` at a time,
// queues tried in the selector's order), runs each attempt, and settles it with the store under
// its lease token. The store is the arbiter of every race: a timeout, a cancel and the handler's
// own result all settle with the same token, and only the first wins.

#include <exception>

#include "core/backoff.h"
#include "core/engine.h"
#include "core/equal_short.h"
#include "core/saturating.h"

namespace taskly {
namespace {

// How long an idle worker sleeps at most before it looks again. Wake-ups come from the store;
// this bound only limits the damage of a missed one.
constexpr auto kIdleWait = std::chrono::seconds(5);
// The longest a success of a prefetched batch waits to be recorded with the next ones.
constexpr auto kMaxSettleDelay = std::chrono::milliseconds(1);
// How long a worker waits before it claims again after the store failed.
constexpr auto kStoreRetry = std::chrono::milliseconds(100);

AttemptKey KeyOf(const Lease& lease) {
  const Task& t = lease.task;
  return {t.id, lease.token, t.attempts, t.spec.max_attempts, t.spec.backoff};
}

std::string DescribeException(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return std::string("handler threw: ") + ex.what();
  } catch (...) {
    return "handler threw a non-standard exception";
  }
}

}  // namespace

const Handler* Scheduler::Impl::handler_for(WorkerSlot& slot, const std::string& type) {
  uint64_t version = handlers_version.load(std::memory_order_acquire);
  if (version != slot.handler_version || !EqualShort(type, slot.handler_type)) {
    std::shared_lock lock(handlers_mu);
    auto it = handlers.find(type);
    slot.handler = it == handlers.end() ? nullptr : it->second;
    slot.handler_type = type;
    slot.handler_version = handlers_version.load(std::memory_order_relaxed);
  }
  return slot.handler.get();
}

bool Scheduler::Impl::any_running() {
  for (auto& slot : slots) {
    std::lock_guard lock(slot->mu);
    if (slot->busy) return true;
  }
  return false;
}

void WorkerSlot::stop_if(const TaskId& task, uint64_t lease_token) {
  std::lock_guard lock(mu);
  if (busy && running->token == lease_token && running->task.id == task) stop.request_stop();
}

void Scheduler::Impl::worker_loop(std::stop_token stop, int index) {
  WorkerSlot& slot = *slots[static_cast<size_t>(index)];
  ClaimRequest request;
  request.worker = options.worker_id + "/" + std::to_string(index);
  request.max_tasks = options.prefetch;
  request.lease = options.lease;
  std::vector<Status> statuses;
  // Kept across claims: the store may build the next leases over these.
  std::vector<Lease> leases;
  while (!stop.stop_requested()) {
    {
      std::lock_guard lock(selector_mu);
      const std::vector<size_t>& order = selector->next();
      request.queues.clear();
      for (size_t i : order) request.queues.push_back(selector->queues()[i].queue);
    }
    // The successes of the last batch are recorded in the same call (one lock or round trip).
    Status claimed = store->complete_and_claim(slot.done, statuses, request, leases);
    count_completions(slot, statuses);
    if (!claimed.ok()) {
      counters.store_errors++;
      clock.sleep_until(clock.now() + kStoreRetry, stop);
      continue;
    }
    if (leases.empty()) {
      store->wait_for_work(options.queues, clock.now() + kIdleWait, stop);
      continue;
    }
    const bool batch = leases.size() > 1;
    if (batch) {
      std::lock_guard lock(slot.mu);
      slot.batch = &leases;
      slot.next = 1;
    }
    // An attempt starts when the one before it ended (one clock read per attempt), unless the
    // store was called in between.
    TimePoint now = clock.now();
    for (auto it = leases.cbegin(); it != leases.cend(); ++it) {
      if (stop.stop_requested()) {
        if (batch) {
          std::lock_guard lock(slot.mu);
          slot.batch = nullptr;
        }
        hand_back(it, leases.cend());
        break;
      }
      if (it != leases.cbegin() && !still_held(*it, now)) continue;
      // A deadline bounds every start, and a prefetched task may have waited past its own while
      // the ones before it ran: it goes back to the store, whose next claim or maintenance
      // expires it without running it.
      if (const std::optional<TimePoint>& d = it->task.spec.deadline; d && *d < now) {
        hand_back(it, it + 1);
        continue;
      }
      now = run_attempt(slot, *it, static_cast<size_t>(it - leases.cbegin()) + 1, now);
      // Successes of a prefetched batch are recorded together (the last ones with the next
      // claim, before the worker may sleep), but never held back long: a recorded success is
      // what a crash cannot undo.
      if (!slot.done.empty() && now - slot.oldest_done > kMaxSettleDelay) {
        flush_done(slot);
        now = clock.now();
      }
    }
    {
      // Before the leases are replaced. The slot stays busy from an attempt's start to here:
      // one slot lock per attempt, not two (its readers are rare and tolerate the gaps).
      std::lock_guard lock(slot.mu);
      slot.batch = nullptr;
      slot.busy = false;
    }
    if (draining) {
      std::lock_guard lock(running_mu);
      running_cv.notify_all();
    }
  }
  flush_done(slot);
}

void Scheduler::Impl::flush_done(WorkerSlot& slot) {
  if (slot.done.empty()) return;
  count_completions(slot, store->complete_batch(slot.done));
}

void Scheduler::Impl::count_completions(WorkerSlot& slot, const std::vector<Status>& statuses) {
  for (const Status& s : statuses) {
    if (s.ok()) {
      slot.succeeded.add();
    } else {
      count_settle_failure(s);
    }
  }
  slot.done.clear();
}

// A prefetched lease waits while the tasks before it run. Heartbeats cover it, but may have
// missed it (a heartbeat runs every third of a lease); once half of it has gone, extend it
// before running. False if the store refused (the task was cancelled, or the lease expired
// and the task went elsewhere): skip it.
bool Scheduler::Impl::still_held(const Lease& lease, TimePoint now) {
  if (now < lease.expires_at - options.lease / 2) return true;
  Result<TimePoint> r = store->heartbeat(lease.task.id, lease.token, options.lease);
  return r.ok() || r.status().code() == StatusCode::kUnavailable;
}

// A settle the store refused by the lease token is a rejected (late) result; any other failure
// means the store could not record it: the lease will expire and the task be delivered again.
void Scheduler::Impl::count_settle_failure(const Status& s) {
  if (s.code() == StatusCode::kAborted || s.code() == StatusCode::kCancelled) {
    counters.rejected_results++;
  } else {
    counters.store_errors++;
  }
}

// Claimed tasks that will not run here go back to their queue at once (a yield keeps their
// checkpoint and does not use up an attempt), rather than waiting for their leases to expire.
void Scheduler::Impl::hand_back(std::vector<Lease>::const_iterator from,
                                std::vector<Lease>::const_iterator to) {
  for (auto it = from; it != to; ++it) {
    (void)store->yield(it->task.id, it->token, it->task.checkpoint);
  }
}

TimePoint Scheduler::Impl::run_attempt(WorkerSlot& slot, const Lease& lease, size_t next,
                                       TimePoint start) {
  const Task& task = lease.task;
  slot.started.add();
  slot.start_latency.record_single_writer(start - task.ready_at);
  {
    std::lock_guard lock(slot.mu);
    if (slot.stop.stop_requested()) {
      slot.stop = std::stop_source();
      slot.token = slot.stop.get_token();
    }
    slot.busy = true;
    slot.running = &lease;
    slot.next = next;
    slot.since = start;
  }
  // A task cancelled between its claim and now is settled in the store already: skip it.
  return cancelled_before_start(task.id) ? start : execute(slot, lease, start);
}

// Runs the handler of one attempt under its timeout, and settles the attempt.
TimePoint Scheduler::Impl::execute(WorkerSlot& slot, const Lease& lease, TimePoint start) {
  const Task& task = lease.task;
  const std::stop_token& stop = slot.token;
  std::optional<TimePoint> deadline = task.spec.deadline;
  TimerId timeout_timer = kNoTimer;
  if (task.spec.timeout > Duration::zero()) {
    TimePoint due = SaturatingAdd(start, task.spec.timeout);
    if (!deadline || due < *deadline) deadline = due;
    // The timeout is recorded at once, whatever the handler does next: the attempt fails under
    // its lease token, so the handler's late result will be refused by the store.
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(task.spec.timeout).count();
    // Recorded first, then the stop requested: a handler that stops at once must find its
    // attempt already settled as timed out, not settle it with its own result.
    timeout_timer = timers->schedule(due, [this, &slot, key = KeyOf(lease), ms] {
      if (fail_attempt(key, "timed out after " + std::to_string(ms) + " ms", false)) {
        counters.timed_out++;
      }
      slot.stop_if(key.id, key.token);
    });
  }

  std::optional<Outcome> outcome;
  if (const Handler* handler = handler_for(slot, task.spec.type)) {
    TaskContext ctx(task, stop, deadline, store, options.lease);
    try {
      outcome = (*handler)(ctx);
    } catch (...) {
      outcome = Outcome::Retry(DescribeException(std::current_exception()));
    }
  } else {
    outcome = Outcome::Retry("no handler registered for type '" + task.spec.type + "'");
  }
  TimePoint end = clock.now();
  Duration ran = end - start;
  slot.run_time.record_single_writer(ran);
  if (!task.spec.schedule_id.empty()) record_run(task.spec.schedule_id, ran);
  // If the timeout fired first, the settle below is refused by the store (fencing).
  if (timeout_timer != kNoTimer) timers->cancel(timeout_timer);
  if (outcome->kind() == Outcome::Kind::kRetry && stop.stop_requested() && shutting_down) {
    // Stopped by shutdown: the failure is the stop's, not the task's. Handed back as a yield
    // with its checkpoint unchanged, so it is pending again at once and the attempt is not
    // used up. (Stopped by its timeout or a cancel instead, it is settled already and the store
    // refuses this.)
    Status s = store->yield(task.id, lease.token, task.checkpoint);
    if (!s.ok()) count_settle_failure(s);
    return end;
  }
  settle(lease, *outcome, slot, options.prefetch > 1, end);
  return end;
}

bool Scheduler::Impl::fail_attempt(const AttemptKey& key, std::string error, bool permanent) {
  FailOptions fo;
  fo.permanent = permanent;
  if (!permanent && key.attempts < key.max_attempts) {
    std::lock_guard lock(rng_mu);
    fo.retry_at = SaturatingAdd(clock.now(), BackoffDelay(key.backoff, key.attempts, rng));
  }
  Result<TaskState> state = store->fail(key.id, key.token, std::move(error), fo);
  if (!state.ok()) {
    count_settle_failure(state.status());
    return false;
  }
  counters.failed++;
  if (*state == TaskState::kDead) {
    counters.dead++;
  } else {
    counters.retried++;
  }
  return true;
}

// Settles an attempt with the store under its lease token. An attempt that already timed out or
// was cancelled is refused by the store and counted as a rejected result.
void Scheduler::Impl::settle(const Lease& lease, const Outcome& outcome, WorkerSlot& slot,
                             bool batch, TimePoint now) {
  const TaskId& id = lease.task.id;
  switch (outcome.kind()) {
    case Outcome::Kind::kSuccess: {
      if (outcome.text().size() > options.max_result_bytes) {
        (void)fail_attempt(KeyOf(lease),
                           "result is " + std::to_string(outcome.text().size()) +
                               " bytes, more than the limit of " +
                               std::to_string(options.max_result_bytes) + " (max_result_bytes)",
                           true);
        return;
      }
      if (batch) {
        if (slot.done.empty()) slot.oldest_done = now;
        slot.done.emplace_back(id, lease.token, outcome.text());
        return;
      }
      Status s = store->complete(id, lease.token, outcome.text());
      if (s.ok()) {
        slot.succeeded.add();
      } else {
        count_settle_failure(s);
      }
      return;
    }
    case Outcome::Kind::kRetry:
      (void)fail_attempt(KeyOf(lease), outcome.text(), false);
      return;
    case Outcome::Kind::kPermanent:
      (void)fail_attempt(KeyOf(lease), outcome.text(), true);
      return;
    case Outcome::Kind::kYield: {
      Status s = store->yield(id, lease.token, outcome.text());
      if (s.ok()) {
        counters.yielded++;
      } else {
        count_settle_failure(s);
      }
      return;
    }
  }
}

// Extends the leases of every running attempt; stops attempts whose task was cancelled or whose
// lease was lost (another worker may be running it now).
void Scheduler::Impl::heartbeat_running() {
  for (auto& slot : slots) {
    std::vector<std::pair<TaskId, uint64_t>> held;
    bool busy;
    {
      std::lock_guard lock(slot->mu);
      busy = slot->busy;
      if (busy) held.emplace_back(slot->running->task.id, slot->running->token);
      if (slot->batch != nullptr) {
        for (size_t i = slot->next; i < slot->batch->size(); ++i) {
          held.emplace_back((*slot->batch)[i].task.id, (*slot->batch)[i].token);
        }
      }
    }
    for (size_t i = 0; i < held.size(); ++i) {
      const auto& [id, token] = held[i];
      Result<TimePoint> r = store->heartbeat(id, token, options.lease);
      // A refused waiting lease is skipped when its turn comes (still_held()).
      if (busy && i == 0 && !r.ok() && r.status().code() != StatusCode::kUnavailable) {
        slot->stop_if(id, token);
      }
    }
  }
}

// Periodic duties on the timer thread: the store's recovery duties, and heartbeats for the
// running attempts every third of a lease. They re-arm themselves until the timer service
// stops (schedule() then returns kNoTimer and drops the callback).
void Scheduler::Impl::schedule_maintenance() {
  timers->schedule_after(options.maintenance_interval, [this] {
    maintenance_round();
    schedule_maintenance();
  });
}

void Scheduler::Impl::schedule_heartbeats() {
  timers->schedule_after(options.lease / 3, [this] {
    heartbeat_running();
    schedule_heartbeats();
  });
}

Status TaskContext::heartbeat() const {
  return store_->heartbeat(task_.id, task_.lease_token, lease_).status();
}

}  // namespace taskly
