// The SQLite store's queue, schedule and maintenance operations, and waiting for work.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "codec/json_codec.h"
#include "store/sqlite/sqlite_store.h"

namespace taskly::sqlite {

int64_t SqliteStore::promote_due(TimePoint now, WriteSet& ws) {
  int64_t promoted = 0;
  while (!index_.scheduled().empty() && index_.scheduled().begin()->first <= now) {
    auto [due, e] = *index_.scheduled().begin();
    // Ready since it was due, so enqueue-to-start latency counts from the due time.
    make_pending(*e, due, /*new_seq=*/false, ws);
    promoted++;
  }
  return promoted;
}

void SqliteStore::recover_leases(TimePoint now, WriteSet& ws, MaintenanceReport& report) {
  while (!index_.leases().empty() && index_.leases().begin()->first <= now) {
    Entry& e = *index_.leases().begin()->second;
    if (e.task.attempts >= e.task.spec.max_attempts) {
      transition(e, TaskState::kDead, now, ws, [](Entry& x) {
        x.task.last_error = "lease expired on its last attempt (" +
                            std::to_string(x.task.attempts) + " attempts): quarantined";
      });
      report.quarantined++;
    } else {
      e.task.last_error = "lease expired: the worker died or stalled";
      // Redelivered in its original place: it was next in line before.
      make_pending(e, now, /*new_seq=*/false, ws);
      report.recovered++;
    }
  }
}

int64_t SqliteStore::expire_deadlines(TimePoint now, WriteSet& ws) {
  int64_t expired = 0;
  while (!index_.deadlines().empty() && index_.deadlines().begin()->first < now) {
    expire(*index_.deadlines().begin()->second, now, ws);
    expired++;
  }
  return expired;
}

// Deletes terminal tasks beyond the retention policy, oldest first: their rows go, payload and
// result included.
int64_t SqliteStore::apply_retention(TimePoint now, WriteSet& ws) {
  int64_t deleted = 0;
  while (!index_.terminal().empty()) {
    const auto& [finished_at, order, e] = *index_.terminal().begin();
    bool too_many = static_cast<int64_t>(index_.terminal().size()) > retention_.max_count;
    bool too_old = finished_at + retention_.max_age <= now;
    if (!too_many && !too_old) break;
    ws.delete_task(e->task.id);
    index_.remove(*e);
    deleted++;
  }
  return deleted;
}

Result<MaintenanceReport> SqliteStore::maintain() {
  MaintenanceReport report;
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    const TimePoint now = clock_.now();
    WriteSet ws;
    report.promoted = promote_due(now, ws);
    recover_leases(now, ws, report);
    report.expired = expire_deadlines(now, ws);
    report.deleted = apply_retention(now, ws);
    ticket = submit(std::move(ws));
  }
  if (Status s = durable(ticket); !s.ok()) return s;
  return report;
}

bool SqliteStore::claimable(const std::vector<std::string>& queues, TimePoint now,
                            TimePoint* wake) {
  if (!index_.scheduled().empty()) *wake = std::min(*wake, index_.scheduled().begin()->first);
  for (const std::string& name : queues) {
    QueueState* q = index_.find_queue(name);
    if (q == nullptr || q->paused || q->ready.empty() || q->at_limit()) continue;
    if (q->bucket.available(now)) return true;
    *wake = std::min(*wake, q->bucket.next_token(now));
  }
  return false;
}

void SqliteStore::wait_for_work(const std::vector<std::string>& queues, TimePoint until,
                                std::stop_token stop) {
  // The callback takes mu_, so it is registered before (and destroyed after) the lock is held:
  // ~stop_callback waits for a running callback, which must not wait for our lock.
  std::stop_callback wake_on_stop(stop, [this] {
    std::lock_guard lock(mu_);
    notify_work();
  });
  std::unique_lock lock(mu_);
  // Sleep until the epoch moves (something that may make work claimable happened) or the
  // earliest moment work could become claimable by the passing of time.
  TimePoint wake = until;
  if (stop.stop_requested() || claimable(queues, clock_.now(), &wake)) return;
  const uint64_t epoch = work_epoch_;
  while (work_epoch_ == epoch && !stop.stop_requested()) {
    if (clock_.wait_until(work_cv_, lock, wake)) return;
  }
}

Status SqliteStore::set_queue(const std::string& name, const QueueConfig& config) {
  if (Status s = ValidateName(name, "queue"); !s.ok()) return s;
  if (Status s = ValidateQueueConfig(config); !s.ok()) return s;
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    const TimePoint now = clock_.now();
    bool created = false;
    QueueState& q = index_.queue(name, now, &created);
    index_.configure(q, config, now);
    WriteSet ws;
    ws.put_queue(q.row());
    ticket = submit(std::move(ws));
    notify_work();
  }
  return durable(ticket);
}

Status SqliteStore::pause_queue(const std::string& name, bool paused) {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    QueueState* q = index_.find_queue(name);
    if (q == nullptr) return NotFound("queue " + name + " not found");
    q->paused = paused;
    WriteSet ws;
    ws.put_queue(q->row());
    ticket = submit(std::move(ws));
    notify_work();
  }
  return durable(ticket);
}

Result<std::vector<QueueInfo>> SqliteStore::queues() {
  std::vector<QueueInfo> out;
  std::lock_guard lock(mu_);
  for (const auto& [name, q] : index_.queues()) {  // ascending by name
    out.push_back(QueueInfo{
        name, q.config, q.paused, q.count(TaskState::kScheduled), q.count(TaskState::kPending),
        q.count(TaskState::kActive), q.count(TaskState::kSucceeded), q.count(TaskState::kDead),
        q.count(TaskState::kCancelled), q.count(TaskState::kExpired), q.deadline_misses});
  }
  return out;
}

Status SqliteStore::put_schedule(const ScheduleSpec& spec) {
  if (Status s = ValidateScheduleSpec(spec); !s.ok()) return s;
  // The template's payload is kept as bytes beside the JSON (the codec would re-encode it).
  ScheduleSpec without_payload = spec;
  without_payload.task.payload.clear();
  std::string json;
  try {
    json = codec::ScheduleSpecToJson(without_payload).dump();
  } catch (const nlohmann::json::type_error&) {  // a string that is not valid UTF-8
    return InvalidArgument("task.labels", "must be valid UTF-8 to be stored");
  }
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    if (Status s = schedules_.put(spec); !s.ok()) return s;
    WriteSet ws;
    ws.put_schedule(spec.id, std::move(json), spec.task.payload);
    ticket = submit(std::move(ws));
  }
  return durable(ticket);
}

Status SqliteStore::remove_schedule(const std::string& id) {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    if (Status s = schedules_.remove(id); !s.ok()) return s;
    WriteSet ws;
    ws.remove_schedule(id);
    ticket = submit(std::move(ws));
  }
  return durable(ticket);
}

Result<std::vector<StoredSchedule>> SqliteStore::list_schedules() { return schedules_.list(); }

Status SqliteStore::advance_schedule(const std::string& id, TimePoint due) {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    if (Status s = health(); !s.ok()) return s;
    if (Status s = schedules_.advance(id, due); !s.ok()) return s;
    WriteSet ws;
    ws.advance_schedule(id, due);  // the row's cursor, like the table's, only moves forward
    ticket = submit(std::move(ws));
  }
  return durable(ticket);
}

}  // namespace taskly::sqlite
