// The store's tables (see schema.h) as typed rows: prepared statements that write one row each,
// and loaders that read the whole database back on open.
//
// Thread-safety: not thread-safe; used by one thread at a time (the opener, then the writer).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/database.h"
#include "taskly/policy.h"
#include "taskly/store.h"
#include "taskly/task.h"

namespace taskly::sqlite {

// The fields of a task that change after enqueue: its state and bookkeeping, and the deadline
// (a manual retry clears it).
struct TaskUpdate {
  TaskId id;
  TaskState state = TaskState::kPending;
  uint64_t seq = 0;
  int32_t attempts = 0;
  uint64_t lease_token = 0;
  TimePoint ready_at{};
  std::optional<TimePoint> scheduled_for, started_at, finished_at, deadline;
  std::string checkpoint, result, last_error, worker;

  static TaskUpdate Of(const Task& task);
};

struct QueueRow {
  std::string name;
  QueueConfig config;
  bool paused = false;
  int64_t deadline_misses = 0;
};

struct TickRow {
  std::string schedule_id;
  TimePoint due{};
  TaskId task_id;
};

struct ScheduleRow {
  std::string id;
  std::string spec_json;  // without the template's payload...
  std::string payload;    // ...which is here
  std::optional<TimePoint> last_due;
};

// A task's labels as the JSON object stored in the `labels` column. InvalidArgument naming
// `field_prefix` + "labels.<key>" when a value is not valid UTF-8 (JSON cannot hold it).
Result<std::string> EncodeLabels(const std::map<std::string, std::string>& labels,
                                 std::string_view field_prefix);

class Tables {
 public:
  // Prepares every statement on `db`, which must outlive the Tables.
  static Result<Tables> Prepare(Database& db);

  // Writers: one row each. insert_task takes the labels already encoded (EncodeLabels).
  Status insert_task(const Task& task, std::string_view labels_json);
  Status update_task(const TaskUpdate& update);
  Status delete_task(const TaskId& id);
  Status put_queue(const QueueRow& row);
  Status put_tick(const TickRow& row);
  Status put_meta(std::string_view key, std::string_view value);
  Status put_schedule(std::string_view id, std::string_view spec_json,
                      std::string_view payload);  // keeps last_due
  Status remove_schedule(std::string_view id);
  Status advance_schedule(std::string_view id, TimePoint due);  // only ever forward

  // Loaders. for_each_task calls `f` for every task in ascending id order, and `damaged` with
  // the id and the reason for a row that cannot be decoded (and goes on). An error is SQLite's.
  Status for_each_task(const std::function<void(Task&&)>& f,
                       const std::function<void(const TaskId&, const Status&)>& damaged);
  Result<std::vector<QueueRow>> load_queues();
  Result<std::vector<TickRow>> load_ticks();
  Result<std::vector<ScheduleRow>> load_schedules();  // ascending by id
  Result<std::optional<std::string>> load_meta(std::string_view key);

 private:
  Tables() = default;

  Statement insert_task_, update_task_, delete_task_, put_queue_, put_tick_, put_meta_,
      put_schedule_, remove_schedule_, advance_schedule_, select_tasks_, select_queues_,
      select_ticks_, select_schedules_, select_meta_;
};

}  // namespace taskly::sqlite
