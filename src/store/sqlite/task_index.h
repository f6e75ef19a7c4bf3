// The SQLite store's in-memory state: every stored task and queue, and the indexes each task
// state needs (per-queue ready sets in policy order, scheduled tasks by due time, leases by
// expiry, deadlines, terminal tasks in finish order, unique keys). It is rebuilt from the tables
// on open and changed in step with them; it knows nothing of SQLite.
//
// Every change of a stored task goes through update(), which takes the task out of its
// indexes, applies the change and files it again, so the indexes cannot disagree with the tasks.
//
// Thread-safety: not thread-safe; the store serializes calls under its lock.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/token_bucket.h"
#include "store/sqlite/tables.h"
#include "taskly/policy.h"
#include "taskly/task.h"

namespace taskly::sqlite {

struct QueueState;

// A task held in memory, with what its indexes need.
struct Entry {
  Task task;
  QueueState* queue = nullptr;
  OrderKey key;               // while pending: its place in the queue's ready set
  TimePoint lease_expires{};  // while active
  uint64_t finish_order = 0;  // while terminal: breaks ties of finished_at
};

struct QueueState {
  std::string name;
  QueueConfig config;
  bool paused = false;
  int64_t deadline_misses = 0;
  TokenBucket bucket;  // not stored: a reopened queue starts with a full bucket
  std::set<std::pair<OrderKey, Entry*>> ready;
  std::array<int64_t, 7> counts{};  // tasks per TaskState

  int64_t count(TaskState s) const { return counts[static_cast<size_t>(s)]; }
  bool at_limit() const {
    return config.concurrency > 0 && count(TaskState::kActive) >= config.concurrency;
  }
  QueueRow row() const { return QueueRow{name, config, paused, deadline_misses}; }
};

class TaskIndex {
 public:
  using ByTime = std::set<std::pair<TimePoint, Entry*>>;
  using ByFinish = std::set<std::tuple<TimePoint, uint64_t, Entry*>>;

  // Queues are never removed, so the pointers stay valid.
  QueueState* find_queue(const std::string& name);
  // The queue `name`, created with the default config if missing (then `*created` is true).
  QueueState& queue(const std::string& name, TimePoint now, bool* created);
  const std::map<std::string, QueueState>& queues() const { return queues_; }
  // Sets a queue's config (its rate limit too) and re-keys its ready set.
  void configure(QueueState& q, const QueueConfig& config, TimePoint now);

  Entry* find(const TaskId& id);
  // Every task, in no particular order.
  const std::unordered_map<TaskId, Entry>& tasks() const { return tasks_; }

  // Adds a task (in the state it has) to `q` and its indexes; it becomes its unique key's
  // holder. REQUIRES: its id is new; scheduled tasks have scheduled_for, terminal ones
  // finished_at.
  Entry& add(Task task, QueueState& q);
  // Applies `change(entry)` to a task's fields and files it again under its new state.
  template <class F>
  void update(Entry& e, F&& change) {
    unindex(e);
    change(e);
    index(e);
  }
  void remove(Entry& e);

  // The task holding unique key `key` most recently, or nullptr.
  Entry* unique_holder(const std::string& key);

  const ByTime& scheduled() const { return scheduled_; }  // by scheduled_for
  const ByTime& leases() const { return leases_; }        // active, by lease expiry
  const ByTime& deadlines() const { return deadlines_; }  // pending/scheduled, by deadline
  const ByFinish& terminal() const { return terminal_; }  // oldest finished first

 private:
  void index(Entry& e);
  void unindex(Entry& e);

  std::unordered_map<TaskId, Entry> tasks_;  // node-based: Entry addresses are stable
  std::map<std::string, QueueState> queues_;
  ByTime scheduled_, leases_, deadlines_;
  ByFinish terminal_;
  uint64_t finish_order_ = 0;
  std::unordered_map<std::string, Entry*> unique_;
};

}  // namespace taskly::sqlite
