// The SQLite store (taskly/sqlite_store.h has the contract). Internal header: it also lets tests
// look inside (commits()).
//
// How a call runs: under mu_ the store decides on the in-memory state (TaskIndex), changes it,
// records the matching row writes in a WriteSet and submits that to the writer, still under
// mu_, so the file sees the changes in the order memory made them. Then, with mu_ released, the
// call waits until the writer's commit that holds its writes is durable. Reads are answered
// from memory. A change that another thread can observe before it is durable is one whose own
// call has not returned yet; a call that reports such state (an enqueue answered by a duplicate)
// first waits for everything submitted before it.
//
// Thread-safety: thread-safe. Lock order: mu_, then the ScheduleTable's and the writer's locks.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "store/schedule_table.h"
#include "store/sqlite/task_index.h"
#include "store/sqlite/writer.h"
#include "store/task_id.h"
#include "taskly/sqlite_store.h"
#include "taskly/store.h"

namespace taskly::sqlite {

class SqliteStore final : public Store {
 public:
  // Opens the database, loads it, and redelivers the tasks that were active (OpenSqliteStore).
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options);

  int64_t damaged_rows() override;

  Result<std::vector<EnqueueResult>> enqueue(std::span<const TaskSpec> specs) override;
  Result<std::vector<Lease>> claim(const ClaimRequest& request) override;
  void wait_for_work(const std::vector<std::string>& queues, TimePoint until,
                     std::stop_token stop) override;
  Result<TimePoint> heartbeat(const TaskId& id, uint64_t token, Duration lease) override;
  Status complete(const TaskId& id, uint64_t token, std::string result) override;
  std::vector<Status> complete_batch(std::span<Completion> items) override;
  Result<TaskState> fail(const TaskId& id, uint64_t token, std::string error,
                         const FailOptions& options) override;
  Status yield(const TaskId& id, uint64_t token, std::string checkpoint) override;
  Status cancel(const TaskId& id) override;
  Status retry(const TaskId& id) override;
  Result<Task> get(const TaskId& id) override;
  Result<TaskPage> list(const TaskFilter& filter, const PageRequest& page) override;
  Status set_queue(const std::string& name, const QueueConfig& config) override;
  Status pause_queue(const std::string& name, bool paused) override;
  Result<std::vector<QueueInfo>> queues() override;
  Status put_schedule(const ScheduleSpec& spec) override;
  Status remove_schedule(const std::string& id) override;
  Result<std::vector<StoredSchedule>> list_schedules() override;
  Status advance_schedule(const std::string& id, TimePoint due) override;
  Result<MaintenanceReport> maintain() override;

  // Transactions committed since the store was opened.
  uint64_t commits() const { return writer_->commits(); }
  // See BackupSqliteStore.
  Status backup(const std::string& path) { return writer_->snapshot(path); }

 private:
  explicit SqliteStore(const SqliteStoreOptions& options);

  // Opening (sqlite_store_open.cc).
  Status load(Tables& tables);
  Status load_schedules(Tables& tables);
  // Counts a row that cannot be decoded and tells on_damaged_row_. Called by load().
  void report_damaged(const Status& why);
  Status redeliver_active();

  // All below REQUIRE mu_ held.
  // The writer's error once it has stopped: every call that would change state returns it.
  Status health() const { return writer_->health(); }
  // Submits `writes` if there are any; returns the ticket to wait for (0: nothing to wait for).
  uint64_t submit(WriteSet writes) {
    return writes.empty() ? 0 : writer_->submit(std::move(writes));
  }
  void enqueue_one_locked(const TaskSpec& spec, std::string labels_json, TimePoint now,
                          WriteSet& ws, std::vector<EnqueueResult>& out, bool* duplicate);
  std::optional<EnqueueResult> duplicate_of(const TaskSpec& spec, TimePoint now);
  // Moves `e` to `state` (setting finished_at / clearing scheduled_for as the state needs)
  // after `change` adjusted its other fields, and records the row update.
  template <class F>
  void transition(Entry& e, TaskState state, TimePoint now, WriteSet& ws, F&& change);
  void make_pending(Entry& e, TimePoint ready_at, bool new_seq, WriteSet& ws);
  void expire(Entry& e, TimePoint now, WriteSet& ws);
  Result<Entry*> find_lease(const TaskId& id, uint64_t token);
  Status complete_locked(const TaskId& id, uint64_t token, std::string result, TimePoint now,
                         WriteSet& ws);
  int64_t promote_due(TimePoint now, WriteSet& ws);
  void recover_leases(TimePoint now, WriteSet& ws, MaintenanceReport& report);
  int64_t expire_deadlines(TimePoint now, WriteSet& ws);
  int64_t apply_retention(TimePoint now, WriteSet& ws);
  bool claimable(const std::vector<std::string>& queues, TimePoint now, TimePoint* wake);
  void notify_work() {
    ++work_epoch_;
    work_cv_.notify_all();
  }

  // Waits (without mu_) until `ticket` is durable.
  Status durable(uint64_t ticket) { return ticket == 0 ? Status() : writer_->wait(ticket); }

  Clock& clock_;
  const RetentionPolicy retention_;
  const std::string path_;
  const std::function<void(const Status&)> on_damaged_row_;

  std::mutex mu_;
  std::condition_variable work_cv_;  // notified when work may have become claimable...
  uint64_t work_epoch_ = 0;          // ...which also bumps this; guarded by mu_
  TaskIndex index_;                  // guarded by mu_
  TaskIdGenerator ids_;              // guarded by mu_
  uint64_t next_seq_ = 0;            // guarded by mu_
  // schedule id -> (latest tick due enqueued, that tick's task id); guarded by mu_
  std::unordered_map<std::string, std::pair<TimePoint, TaskId>> ticks_;
  ScheduleTable schedules_;  // changed under mu_ (for the order of writes); its own lock
  // Task rows that could not be decoded on open: id -> why. Filled by load(), then constant.
  std::map<TaskId, std::string> damaged_tasks_;
  int64_t damaged_rows_ = 0;                   // tasks and schedules; set by load(), then constant
  std::unique_ptr<GroupCommitWriter> writer_;  // set once on open
};

template <class F>
void SqliteStore::transition(Entry& e, TaskState state, TimePoint now, WriteSet& ws, F&& change) {
  index_.update(e, [&](Entry& x) {
    change(x);
    x.task.state = state;
    if (IsTerminal(state)) {
      x.task.finished_at = now;
    } else {
      x.task.finished_at.reset();
    }
    if (state != TaskState::kScheduled) x.task.scheduled_for.reset();
  });
  ws.update_task(e.task);
  // Any move but a claim may make work claimable: a task became ready or a slot was freed.
  if (state != TaskState::kActive) notify_work();
}

}  // namespace taskly::sqlite
