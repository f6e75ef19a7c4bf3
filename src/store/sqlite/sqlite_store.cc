// The SQLite store's task operations: enqueue, claim, settling an attempt, cancel, retry, and
// the reads of tasks. See sqlite_store.h for how a call runs.
#include "store/sqlite/sqlite_store.h"

#include <algorithm>

#include "core/saturating.h"

namespace taskly::sqlite {
namespace {

// Each task is enqueued atomically, a batch is not: the lock is taken for a group of tasks at a
// time so that claimers are not held up behind a large batch. The groups of one batch usually
// share one commit, as they are submitted back to back.
constexpr size_t kEnqueueGroup = 64;

}  // namespace

std::optional<EnqueueResult> SqliteStore::duplicate_of(const TaskSpec& spec, TimePoint now) {
  if (spec.tick_due) {
    auto it = ticks_.find(spec.schedule_id);
    if (it != ticks_.end() && *spec.tick_due <= it->second.first) {
      // The same tick names its task while that is stored; an older tick names none.
      const auto& [due, id] = it->second;
      bool same = *spec.tick_due == due && index_.find(id) != nullptr;
      return EnqueueResult{same ? id : TaskId(), false};
    }
  }
  if (!spec.unique_key.empty()) {
    if (Entry* holder = index_.unique_holder(spec.unique_key)) {
      const Task& t = holder->task;
      bool live = t.spec.unique_ttl > Duration::zero()
                      ? now < SaturatingAdd(t.enqueued_at, t.spec.unique_ttl)
                      : !IsTerminal(t.state);
      if (live) return EnqueueResult{t.id, false};
    }
  }
  return std::nullopt;
}

void SqliteStore::enqueue_one_locked(const TaskSpec& spec, std::string labels_json, TimePoint now,
                                     WriteSet& ws, std::vector<EnqueueResult>& out,
                                     bool* duplicate) {
  if (std::optional<EnqueueResult> dup = duplicate_of(spec, now)) {
    *duplicate = true;
    out.push_back(std::move(*dup));
    return;
  }
  Task t;
  t.id = ids_.next(now);
  t.spec = spec;
  t.seq = ++next_seq_;
  t.enqueued_at = now;
  if (spec.run_at && *spec.run_at > now) {
    t.state = TaskState::kScheduled;
    t.scheduled_for = spec.run_at;
  } else {
    t.state = TaskState::kPending;
    t.ready_at = now;
  }
  bool created = false;
  QueueState& q = index_.queue(spec.queue, now, &created);
  if (created) ws.put_queue(q.row());
  const Entry& e = index_.add(std::move(t), q);
  ws.insert_task(e.task, std::move(labels_json));
  if (spec.tick_due) {
    ticks_[spec.schedule_id] = {*spec.tick_due, e.task.id};
    ws.put_tick(TickRow{spec.schedule_id, *spec.tick_due, e.task.id});
  }
  out.push_back(EnqueueResult{e.task.id, true});
}

Result<std::vector<EnqueueResult>> SqliteStore::enqueue(std::span<const TaskSpec> specs) {
  // Everything is validated (and the labels encoded) before anything is enqueued.
  std::vector<std::string> labels(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string prefix = "tasks[" + std::to_string(i) + "].";
    if (Status s = ValidateTaskSpec(specs[i]); !s.ok()) {
      return InvalidArgument(prefix + s.field(), s.message());
    }
    Result<std::string> encoded = EncodeLabels(specs[i].labels, prefix);
    if (!encoded.ok()) return encoded.status();
    labels[i] = std::move(encoded).value();
  }
  std::vector<EnqueueResult> out;
  out.reserve(specs.size());
  uint64_t ticket = 0;
  for (size_t from = 0; from < specs.size(); from += kEnqueueGroup) {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    const TimePoint now = clock_.now();
    WriteSet ws;
    bool duplicate = false;
    const size_t to = std::min(specs.size(), from + kEnqueueGroup);
    for (size_t i = from; i < to; ++i) {
      enqueue_one_locked(specs[i], std::move(labels[i]), now, ws, out, &duplicate);
    }
    if (!ws.empty()) {
      // The largest id issued, so that a restarted store issues larger ones (see Open).
      auto last = std::find_if(out.rbegin(), out.rend(), [](auto& r) { return r.created; });
      ws.put_meta("last_id", last->id);
      ticket = submit(std::move(ws));
      notify_work();
    }
    // A duplicate answers with a task that may still be in flight: wait for it too.
    if (duplicate) ticket = writer_->last_ticket();
  }
  if (Status s = durable(ticket); !s.ok()) return s;
  return out;
}

Result<std::vector<Lease>> SqliteStore::claim(const ClaimRequest& req) {
  if (req.max_tasks < 1) return InvalidArgument("max_tasks", "must be at least 1");
  if (req.lease <= Duration::zero()) return InvalidArgument("lease", "must be positive");
  std::vector<Lease> out;
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    const TimePoint now = clock_.now();
    WriteSet ws;
    promote_due(now, ws);
    for (const std::string& name : req.queues) {
      QueueState* q = index_.find_queue(name);
      if (q == nullptr) continue;
      while (static_cast<int32_t>(out.size()) < req.max_tasks && !q->paused && !q->ready.empty() &&
             !q->at_limit() && q->bucket.available(now)) {
        Entry& e = *q->ready.begin()->second;
        if (e.task.spec.deadline && *e.task.spec.deadline < now) {
          expire(e, now, ws);
          continue;
        }
        q->bucket.try_take(now);
        // The attempt is counted now, and written before the lease is handed out.
        transition(e, TaskState::kActive, now, ws, [&](Entry& x) {
          x.task.attempts++;
          x.task.lease_token++;  // every claim of a task gets a larger token, also across restarts
          x.task.started_at = now;
          x.task.worker = req.worker;
          x.lease_expires = SaturatingAdd(now, req.lease);
        });
        out.push_back(Lease{e.task, e.task.lease_token, e.lease_expires});
      }
    }
    ticket = submit(std::move(ws));
  }
  if (Status s = durable(ticket); !s.ok()) return s;
  return out;
}

Result<Entry*> SqliteStore::find_lease(const TaskId& id, uint64_t token) {
  Entry* e = index_.find(id);
  if (e == nullptr) return NotFound("task " + id + " not found");
  if (e->task.lease_token != token) {
    return Aborted("stale lease token for task " + id + ": it was claimed again");
  }
  if (e->task.state == TaskState::kCancelled) {
    return Status(StatusCode::kCancelled, "task " + id + " was cancelled");
  }
  if (e->task.state != TaskState::kActive) {
    return Aborted("lease of task " + id + " is no longer held (task is " +
                   std::string(TaskStateName(e->task.state)) + ")");
  }
  return e;
}

// Leases are not written: a restarted store redelivers every task that was active, so an
// expiry on file would never be read.
Result<TimePoint> SqliteStore::heartbeat(const TaskId& id, uint64_t token, Duration lease) {
  if (lease <= Duration::zero()) return InvalidArgument("lease", "must be positive");
  std::lock_guard lock(mu_);
  if (Status s = health(); !s.ok()) return s;
  Result<Entry*> e = find_lease(id, token);
  if (!e.ok()) return e.status();
  const TimePoint expires = SaturatingAdd(clock_.now(), lease);
  index_.update(**e, [&](Entry& x) { x.lease_expires = expires; });
  return expires;
}

Status SqliteStore::complete_locked(const TaskId& id, uint64_t token, std::string result,
                                    TimePoint now, WriteSet& ws) {
  Result<Entry*> e = find_lease(id, token);
  if (!e.ok()) return e.status();
  transition(**e, TaskState::kSucceeded, now, ws,
             [&](Entry& x) { x.task.result = std::move(result); });
  return Status();
}

Status SqliteStore::complete(const TaskId& id, uint64_t token, std::string result) {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    WriteSet ws;
    if (Status s = complete_locked(id, token, std::move(result), clock_.now(), ws); !s.ok()) {
      return s;
    }
    ticket = submit(std::move(ws));
  }
  return durable(ticket);
}

std::vector<Status> SqliteStore::complete_batch(std::span<Completion> items) {
  std::vector<Status> out;
  out.reserve(items.size());
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return std::vector<Status>(items.size(), s);
    const TimePoint now = clock_.now();
    WriteSet ws;
    for (Completion& c : items) {
      out.push_back(complete_locked(c.id, c.token, std::move(c.result), now, ws));
    }
    ticket = submit(std::move(ws));
  }
  if (Status s = durable(ticket); !s.ok()) {
    for (Status& item : out) {
      if (item.ok()) item = s;
    }
  }
  return out;
}

Result<TaskState> SqliteStore::fail(const TaskId& id, uint64_t token, std::string error,
                                    const FailOptions& options) {
  TaskState state = TaskState::kPending;
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    Result<Entry*> found = find_lease(id, token);
    if (!found.ok()) return found.status();
    Entry& e = **found;
    const TimePoint now = clock_.now();
    WriteSet ws;
    e.task.last_error = std::move(error);  // not an indexed field
    if (options.permanent || e.task.attempts >= e.task.spec.max_attempts) {
      transition(e, TaskState::kDead, now, ws, [](Entry&) {});
    } else if (options.retry_at && *options.retry_at > now) {
      // A retry queues behind the tasks that arrived before it, whether it waits or not.
      transition(e, TaskState::kScheduled, now, ws, [&](Entry& x) {
        x.task.seq = ++next_seq_;
        x.task.scheduled_for = *options.retry_at;
      });
    } else {
      make_pending(e, now, /*new_seq=*/true, ws);
    }
    state = e.task.state;
    ticket = submit(std::move(ws));
  }
  if (Status s = durable(ticket); !s.ok()) return s;
  return state;
}

Status SqliteStore::yield(const TaskId& id, uint64_t token, std::string checkpoint) {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    Result<Entry*> found = find_lease(id, token);
    if (!found.ok()) return found.status();
    Entry& e = **found;
    e.task.checkpoint = std::move(checkpoint);  // not an indexed field
    e.task.attempts--;                          // a time slice is not a failed attempt
    WriteSet ws;
    make_pending(e, clock_.now(), /*new_seq=*/true, ws);
    ticket = submit(std::move(ws));
  }
  return durable(ticket);
}

Status SqliteStore::cancel(const TaskId& id) {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    Entry* e = index_.find(id);
    if (e == nullptr) return NotFound("task " + id + " not found");
    if (IsTerminal(e->task.state)) {
      return FailedPrecondition("task " + id + " is already " +
                                std::string(TaskStateName(e->task.state)));
    }
    WriteSet ws;
    // An active task keeps its token: its holder's settle calls find it cancelled.
    transition(*e, TaskState::kCancelled, clock_.now(), ws, [](Entry&) {});
    ticket = submit(std::move(ws));
  }
  return durable(ticket);
}

Status SqliteStore::retry(const TaskId& id) {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    Entry* e = index_.find(id);
    if (e == nullptr) return NotFound("task " + id + " not found");
    TaskState s = e->task.state;
    if (s != TaskState::kDead && s != TaskState::kCancelled && s != TaskState::kExpired) {
      return FailedPrecondition("only dead, cancelled or expired tasks can be retried; task " + id +
                                " is " + std::string(TaskStateName(s)));
    }
    const TimePoint now = clock_.now();
    WriteSet ws;
    transition(*e, TaskState::kPending, now, ws, [&](Entry& x) {
      x.task.attempts = 0;
      // A manual retry of an expired task runs it now: its old deadline no longer applies.
      x.task.spec.deadline.reset();
      x.task.seq = ++next_seq_;
      x.task.ready_at = now;
    });
    ticket = submit(std::move(ws));
  }
  return durable(ticket);
}

void SqliteStore::make_pending(Entry& e, TimePoint ready_at, bool new_seq, WriteSet& ws) {
  transition(e, TaskState::kPending, ready_at, ws, [&](Entry& x) {
    if (new_seq) x.task.seq = ++next_seq_;
    x.task.ready_at = ready_at;
  });
}

void SqliteStore::expire(Entry& e, TimePoint now, WriteSet& ws) {
  transition(e, TaskState::kExpired, now, ws,
             [](Entry& x) { x.task.last_error = "deadline passed before the task could start"; });
  e.queue->deadline_misses++;
  ws.put_queue(e.queue->row());
}

Result<Task> SqliteStore::get(const TaskId& id) {
  std::lock_guard lock(mu_);
  const Entry* e = index_.find(id);
  if (e == nullptr) {
    if (auto it = damaged_tasks_.find(id); it != damaged_tasks_.end()) {
      return Status(StatusCode::kInternal,
                    "task " + id + " is stored but cannot be read: " + it->second);
    }
    return NotFound("task " + id + " not found");
  }
  return e->task;
}

int64_t SqliteStore::damaged_rows() {
  std::lock_guard lock(mu_);
  return damaged_rows_;
}

Result<TaskPage> SqliteStore::list(const TaskFilter& f, const PageRequest& page) {
  if (page.limit < 1 || page.limit > 10'000) {
    return InvalidArgument("limit", "must be between 1 and 10000");
  }
  auto matches = [&f](const Task& t) {
    if (f.state && t.state != *f.state) return false;
    if (!f.queue.empty() && t.spec.queue != f.queue) return false;
    if (!f.type.empty() && t.spec.type != f.type) return false;
    if (f.label_key.empty()) return true;
    auto it = t.spec.labels.find(f.label_key);
    return it != t.spec.labels.end() && it->second == f.label_value;
  };
  std::vector<const Task*> hits;
  std::lock_guard lock(mu_);
  for (const auto& [id, e] : index_.tasks()) {
    if ((page.after.empty() || id > page.after) && matches(e.task)) hits.push_back(&e.task);
  }
  // The page is the `limit` smallest ids; one more tells whether a next page exists.
  const size_t n = std::min(hits.size(), static_cast<size_t>(page.limit) + 1);
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end(),
                    [](const Task* a, const Task* b) { return a->id < b->id; });
  TaskPage out;
  for (size_t i = 0; i < std::min(n, static_cast<size_t>(page.limit)); ++i) {
    out.tasks.push_back(*hits[i]);
  }
  if (n > static_cast<size_t>(page.limit)) out.next = out.tasks.back().id;
  return out;
}

}  // namespace taskly::sqlite
