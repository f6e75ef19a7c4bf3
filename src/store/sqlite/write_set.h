// One mutation of the store's tables: the row writes that one store call decided on, recorded
// (with copies of the data) while the caller holds the store's lock, and applied later by the
// writer thread inside a group commit's transaction, in the order they were recorded.
//
// Thread-safety: a value; built by one thread, then handed over to the writer.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "store/sqlite/tables.h"

namespace taskly::sqlite {

class WriteSet {
 public:
  void insert_task(const Task& task, std::string labels_json) {
    ops_.emplace_back(InsertTask{task, std::move(labels_json)});
  }
  void update_task(const Task& task) { ops_.emplace_back(TaskUpdate::Of(task)); }
  void delete_task(const TaskId& id) { ops_.emplace_back(DeleteTask{id}); }
  void put_queue(QueueRow row) { ops_.emplace_back(std::move(row)); }
  void put_tick(TickRow row) { ops_.emplace_back(std::move(row)); }
  void put_meta(std::string key, std::string value) {
    ops_.emplace_back(PutMeta{std::move(key), std::move(value)});
  }
  void put_schedule(std::string id, std::string spec_json, std::string payload) {
    ops_.emplace_back(PutSchedule{std::move(id), std::move(spec_json), std::move(payload)});
  }
  void remove_schedule(std::string id) { ops_.emplace_back(RemoveSchedule{std::move(id)}); }
  void advance_schedule(std::string id, TimePoint due) {
    ops_.emplace_back(AdvanceSchedule{std::move(id), due});
  }

  bool empty() const { return ops_.empty(); }

  // Applies every write in order; stops at the first error.
  Status apply(Tables& tables) const;

 private:
  struct InsertTask {
    Task task;
    std::string labels_json;
  };
  struct DeleteTask {
    TaskId id;
  };
  struct PutMeta {
    std::string key, value;
  };
  struct PutSchedule {
    std::string id, spec_json, payload;
  };
  struct RemoveSchedule {
    std::string id;
  };
  struct AdvanceSchedule {
    std::string id;
    TimePoint due;
  };
  using Op = std::variant<InsertTask, TaskUpdate, DeleteTask, QueueRow, TickRow, PutMeta,
                          PutSchedule, RemoveSchedule, AdvanceSchedule>;

  std::vector<Op> ops_;
};

}  // namespace taskly::sqlite
