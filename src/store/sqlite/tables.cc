#include "store/sqlite/tables.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "codec/bounded_json.h"

namespace taskly::sqlite {
namespace {

using Json = nlohmann::json;

// The tasks table's columns, in the order of the INSERT's parameters (1-based: index + 1) and of
// the SELECT's result columns (0-based: index).
constexpr char kTaskColumns[] =
    "id, type, payload, queue, priority, deadline, timeout, max_attempts, backoff_initial, "
    "backoff_cap, backoff_multiplier, run_at, unique_key, unique_ttl, labels, period, "
    "schedule_id, tick_due, state, seq, attempts, lease_token, enqueued_at, ready_at, "
    "scheduled_for, started_at, finished_at, checkpoint, result, last_error, worker";
enum TaskColumn : int {
  kId,
  kType,
  kPayload,
  kQueue,
  kPriority,
  kDeadline,
  kTimeout,
  kMaxAttempts,
  kBackoffInitial,
  kBackoffCap,
  kBackoffMultiplier,
  kRunAt,
  kUniqueKey,
  kUniqueTtl,
  kLabels,
  kPeriod,
  kScheduleId,
  kTickDue,
  kState,
  kSeq,
  kAttempts,
  kLeaseToken,
  kEnqueuedAt,
  kReadyAt,
  kScheduledFor,
  kStartedAt,
  kFinishedAt,
  kCheckpoint,
  kResult,
  kLastError,
  kWorker,
  kTaskColumnCount,
};

std::string InsertTaskSql() {
  std::string sql = std::string("INSERT INTO tasks (") + kTaskColumns + ") VALUES (?";
  for (int i = 1; i < kTaskColumnCount; ++i) sql += ", ?";
  return sql + ")";
}

constexpr char kUpdateTask[] =
    "UPDATE tasks SET state = ?2, seq = ?3, attempts = ?4, lease_token = ?5, ready_at = ?6, "
    "scheduled_for = ?7, started_at = ?8, finished_at = ?9, deadline = ?10, checkpoint = ?11, "
    "result = ?12, last_error = ?13, worker = ?14 WHERE id = ?1";
constexpr char kQueueColumns[] =
    "name, policy, aging_step, concurrency, rate, burst, weight, paused, deadline_misses";

// Sequence numbers and tokens are uint64 in the model and int64 in SQLite; they stay far below
// 2^63.
int64_t Signed(uint64_t v) { return static_cast<int64_t>(v); }
uint64_t Unsigned(int64_t v) { return static_cast<uint64_t>(v); }

Status Corrupt(const std::string& what, const std::string& why) {
  return Status(StatusCode::kInternal, "sqlite store: " + what + ": " + why);
}

// The labels column; on error, a message saying what is wrong with it.
Result<std::map<std::string, std::string>> DecodeLabels(const std::string& text) {
  Json j = codec::ParseBoundedJson(text);
  if (!j.is_object()) return Status(StatusCode::kInternal, "labels: not a JSON object");
  std::map<std::string, std::string> labels;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string())
      return Status(StatusCode::kInternal, "labels." + key + ": not a string");
    labels.emplace(key, value.get<std::string>());
  }
  return labels;
}

Result<Task> DecodeTask(const Statement& row) {
  Task t;
  t.id = row.text(kId);
  TaskSpec& s = t.spec;
  s.type = row.text(kType);
  s.payload = row.text(kPayload);
  s.queue = row.text(kQueue);
  s.priority = static_cast<int32_t>(row.int64(kPriority));
  s.deadline = row.optional_time(kDeadline);
  s.timeout = row.duration(kTimeout);
  s.max_attempts = static_cast<int32_t>(row.int64(kMaxAttempts));
  s.backoff.initial = row.duration(kBackoffInitial);
  s.backoff.cap = row.duration(kBackoffCap);
  s.backoff.multiplier = row.real(kBackoffMultiplier);
  s.run_at = row.optional_time(kRunAt);
  s.unique_key = row.text(kUniqueKey);
  s.unique_ttl = row.duration(kUniqueTtl);
  Result<std::map<std::string, std::string>> labels = DecodeLabels(row.text(kLabels));
  if (!labels.ok()) return Corrupt("task " + t.id, labels.status().message());
  s.labels = std::move(labels).value();
  s.period = row.duration(kPeriod);
  s.schedule_id = row.text(kScheduleId);
  s.tick_due = row.optional_time(kTickDue);
  Result<TaskState> state = ParseTaskState(row.text(kState));
  if (!state.ok()) return Corrupt("task " + t.id, state.status().message());
  t.state = *state;
  t.seq = Unsigned(row.int64(kSeq));
  t.attempts = static_cast<int32_t>(row.int64(kAttempts));
  t.lease_token = Unsigned(row.int64(kLeaseToken));
  t.enqueued_at = row.time(kEnqueuedAt);
  t.ready_at = row.time(kReadyAt);
  t.scheduled_for = row.optional_time(kScheduledFor);
  t.started_at = row.optional_time(kStartedAt);
  t.finished_at = row.optional_time(kFinishedAt);
  t.checkpoint = row.text(kCheckpoint);
  t.result = row.text(kResult);
  t.last_error = row.text(kLastError);
  t.worker = row.text(kWorker);
  if (t.state == TaskState::kScheduled && !t.scheduled_for) {
    return Corrupt("task " + t.id, "scheduled without scheduled_for");
  }
  if (IsTerminal(t.state) && !t.finished_at) {
    return Corrupt("task " + t.id, "terminal without finished_at");
  }
  return t;
}

// Runs a writing statement that must change exactly one row, the `what` of `id`.
Status RunOne(Statement& stmt, std::string_view what, std::string_view id) {
  if (Status s = stmt.run(); !s.ok()) return s;
  if (stmt.changes() != 1) {
    return Status(StatusCode::kInternal, "sqlite store: " + std::string(what) + " " +
                                             std::string(id) +
                                             " matched no row (file out of sync)");
  }
  return Status();
}

}  // namespace

TaskUpdate TaskUpdate::Of(const Task& t) {
  return TaskUpdate{t.id,         t.state,         t.seq,        t.attempts,    t.lease_token,
                    t.ready_at,   t.scheduled_for, t.started_at, t.finished_at, t.spec.deadline,
                    t.checkpoint, t.result,        t.last_error, t.worker};
}

Result<std::string> EncodeLabels(const std::map<std::string, std::string>& labels,
                                 std::string_view field_prefix) {
  Json j = Json::object();
  for (const auto& [key, value] : labels) {
    Json v = value;
    try {
      static_cast<void>(v.dump());  // throws on invalid UTF-8
    } catch (const Json::type_error&) {
      return InvalidArgument(std::string(field_prefix) + "labels." + key,
                             "must be valid UTF-8 to be stored");
    }
    j[key] = std::move(v);
  }
  return j.dump();
}

Result<Tables> Tables::Prepare(Database& db) {
  Tables t;
  const std::pair<Statement*, std::string> statements[] = {
      {&t.insert_task_, InsertTaskSql()},
      {&t.update_task_, kUpdateTask},
      {&t.delete_task_, "DELETE FROM tasks WHERE id = ?1"},
      {&t.put_queue_, std::string("INSERT OR REPLACE INTO queues (") + kQueueColumns +
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
      {&t.put_tick_,
       "INSERT OR REPLACE INTO ticks (schedule_id, due, task_id) VALUES (?1, ?2, ?3)"},
      {&t.put_meta_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)"},
      {&t.put_schedule_,
       "INSERT INTO schedules (id, spec, payload, last_due) VALUES (?1, ?2, ?3, NULL) "
       "ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, payload = excluded.payload"},
      {&t.remove_schedule_, "DELETE FROM schedules WHERE id = ?1"},
      {&t.advance_schedule_,
       "UPDATE schedules SET last_due = ?2 WHERE id = ?1 AND (last_due IS NULL OR last_due < ?2)"},
      {&t.select_tasks_, std::string("SELECT ") + kTaskColumns + " FROM tasks ORDER BY id"},
      {&t.select_queues_, std::string("SELECT ") + kQueueColumns + " FROM queues"},
      {&t.select_ticks_, "SELECT schedule_id, due, task_id FROM ticks"},
      {&t.select_schedules_, "SELECT id, spec, payload, last_due FROM schedules ORDER BY id"},
      {&t.select_meta_, "SELECT value FROM meta WHERE key = ?1"},
  };
  for (const auto& [stmt, sql] : statements) {
    Result<Statement> prepared = Statement::Prepare(db, sql);
    if (!prepared.ok()) return prepared.status();
    *stmt = std::move(prepared).value();
  }
  return t;
}

Status Tables::insert_task(const Task& t, std::string_view labels_json) {
  Statement& q = insert_task_;
  const TaskSpec& s = t.spec;
  q.bind(kId + 1, t.id);
  q.bind(kType + 1, s.type);
  q.bind_blob(kPayload + 1, s.payload);
  q.bind(kQueue + 1, s.queue);
  q.bind(kPriority + 1, int64_t{s.priority});
  q.bind(kDeadline + 1, s.deadline);
  q.bind(kTimeout + 1, s.timeout);
  q.bind(kMaxAttempts + 1, int64_t{s.max_attempts});
  q.bind(kBackoffInitial + 1, s.backoff.initial);
  q.bind(kBackoffCap + 1, s.backoff.cap);
  q.bind(kBackoffMultiplier + 1, s.backoff.multiplier);
  q.bind(kRunAt + 1, s.run_at);
  q.bind(kUniqueKey + 1, s.unique_key);
  q.bind(kUniqueTtl + 1, s.unique_ttl);
  q.bind(kLabels + 1, labels_json);
  q.bind(kPeriod + 1, s.period);
  q.bind(kScheduleId + 1, s.schedule_id);
  q.bind(kTickDue + 1, s.tick_due);
  q.bind(kState + 1, TaskStateName(t.state));
  q.bind(kSeq + 1, Signed(t.seq));
  q.bind(kAttempts + 1, int64_t{t.attempts});
  q.bind(kLeaseToken + 1, Signed(t.lease_token));
  q.bind(kEnqueuedAt + 1, t.enqueued_at);
  q.bind(kReadyAt + 1, t.ready_at);
  q.bind(kScheduledFor + 1, t.scheduled_for);
  q.bind(kStartedAt + 1, t.started_at);
  q.bind(kFinishedAt + 1, t.finished_at);
  q.bind_blob(kCheckpoint + 1, t.checkpoint);
  q.bind_blob(kResult + 1, t.result);
  q.bind(kLastError + 1, t.last_error);
  q.bind(kWorker + 1, t.worker);
  return q.run();
}

Status Tables::update_task(const TaskUpdate& u) {
  Statement& q = update_task_;
  q.bind(1, u.id);
  q.bind(2, TaskStateName(u.state));
  q.bind(3, Signed(u.seq));
  q.bind(4, int64_t{u.attempts});
  q.bind(5, Signed(u.lease_token));
  q.bind(6, u.ready_at);
  q.bind(7, u.scheduled_for);
  q.bind(8, u.started_at);
  q.bind(9, u.finished_at);
  q.bind(10, u.deadline);
  q.bind_blob(11, u.checkpoint);
  q.bind_blob(12, u.result);
  q.bind(13, u.last_error);
  q.bind(14, u.worker);
  return RunOne(q, "update of task", u.id);
}

Status Tables::delete_task(const TaskId& id) {
  delete_task_.bind(1, id);
  return RunOne(delete_task_, "delete of task", id);
}

Status Tables::put_queue(const QueueRow& row) {
  Statement& q = put_queue_;
  q.bind(1, row.name);
  q.bind(2, OrderingPolicyName(row.config.policy));
  q.bind(3, row.config.aging_step);
  q.bind(4, int64_t{row.config.concurrency});
  q.bind(5, row.config.rate);
  q.bind(6, int64_t{row.config.burst});
  q.bind(7, int64_t{row.config.weight});
  q.bind(8, int64_t{row.paused ? 1 : 0});
  q.bind(9, row.deadline_misses);
  return q.run();
}

Status Tables::put_tick(const TickRow& row) {
  put_tick_.bind(1, row.schedule_id);
  put_tick_.bind(2, row.due);
  put_tick_.bind(3, row.task_id);
  return put_tick_.run();
}

Status Tables::put_meta(std::string_view key, std::string_view value) {
  put_meta_.bind(1, key);
  put_meta_.bind(2, value);
  return put_meta_.run();
}

Status Tables::put_schedule(std::string_view id, std::string_view spec_json,
                            std::string_view payload) {
  put_schedule_.bind(1, id);
  put_schedule_.bind(2, spec_json);
  put_schedule_.bind_blob(3, payload);
  return put_schedule_.run();
}

Status Tables::remove_schedule(std::string_view id) {
  remove_schedule_.bind(1, id);
  return RunOne(remove_schedule_, "removal of schedule", id);
}

Status Tables::advance_schedule(std::string_view id, TimePoint due) {
  advance_schedule_.bind(1, id);
  advance_schedule_.bind(2, due);
  return advance_schedule_.run();
}

Status Tables::for_each_task(const std::function<void(Task&&)>& f,
                             const std::function<void(const TaskId&, const Status&)>& damaged) {
  Statement& q = select_tasks_;
  for (;;) {
    Result<bool> row = q.step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Result<Task> task = DecodeTask(q);
    if (!task.ok()) {
      damaged(q.text(kId), task.status());
      continue;
    }
    f(std::move(task).value());
  }
  q.reset();
  return Status();
}

Result<std::vector<QueueRow>> Tables::load_queues() {
  Statement& q = select_queues_;
  std::vector<QueueRow> out;
  for (;;) {
    Result<bool> row = q.step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    QueueRow r;
    r.name = q.text(0);
    Result<OrderingPolicy> policy = ParseOrderingPolicy(q.text(1));
    if (!policy.ok()) {
      q.reset();
      return Corrupt("queue " + r.name, policy.status().message());
    }
    r.config.policy = *policy;
    r.config.aging_step = q.duration(2);
    r.config.concurrency = static_cast<int32_t>(q.int64(3));
    r.config.rate = q.real(4);
    r.config.burst = static_cast<int32_t>(q.int64(5));
    r.config.weight = static_cast<int32_t>(q.int64(6));
    r.paused = q.int64(7) != 0;
    r.deadline_misses = q.int64(8);
    out.push_back(std::move(r));
  }
  q.reset();
  return out;
}

Result<std::vector<TickRow>> Tables::load_ticks() {
  Statement& q = select_ticks_;
  std::vector<TickRow> out;
  for (;;) {
    Result<bool> row = q.step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(TickRow{q.text(0), q.time(1), q.text(2)});
  }
  q.reset();
  return out;
}

Result<std::vector<ScheduleRow>> Tables::load_schedules() {
  Statement& q = select_schedules_;
  std::vector<ScheduleRow> out;
  for (;;) {
    Result<bool> row = q.step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ScheduleRow{q.text(0), q.text(1), q.text(2), q.optional_time(3)});
  }
  q.reset();
  return out;
}

Result<std::optional<std::string>> Tables::load_meta(std::string_view key) {
  Statement& q = select_meta_;
  q.bind(1, key);
  Result<bool> row = q.step();
  if (!row.ok()) return row.status();
  std::optional<std::string> value;
  if (*row) value = q.text(0);
  q.reset();
  return value;
}

}  // namespace taskly::sqlite
