#include "store/sqlite/task_index.h"

#include <vector>

namespace taskly::sqlite {

QueueState* TaskIndex::find_queue(const std::string& name) {
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : &it->second;
}

QueueState& TaskIndex::queue(const std::string& name, TimePoint now, bool* created) {
  auto [it, inserted] = queues_.try_emplace(name);
  if (inserted) {
    it->second.name = name;
    it->second.bucket.configure(0, 0, now);
  }
  *created = inserted;
  return it->second;
}

void TaskIndex::configure(QueueState& q, const QueueConfig& config, TimePoint now) {
  // The policy (or its aging) may have changed: every ready task gets its key again.
  std::vector<Entry*> ready;
  ready.reserve(q.ready.size());
  for (const auto& [key, e] : q.ready) ready.push_back(e);
  for (Entry* e : ready) unindex(*e);
  q.config = config;
  q.bucket.configure(config.rate, config.burst, now);
  for (Entry* e : ready) index(*e);
}

Entry* TaskIndex::find(const TaskId& id) {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
}

Entry& TaskIndex::add(Task task, QueueState& q) {
  TaskId id = task.id;
  Entry& e = tasks_.try_emplace(std::move(id)).first->second;
  e.task = std::move(task);
  e.queue = &q;
  if (!e.task.spec.unique_key.empty()) unique_[e.task.spec.unique_key] = &e;
  index(e);
  return e;
}

void TaskIndex::remove(Entry& e) {
  unindex(e);
  if (!e.task.spec.unique_key.empty()) {
    auto it = unique_.find(e.task.spec.unique_key);
    if (it != unique_.end() && it->second == &e) unique_.erase(it);
  }
  tasks_.erase(tasks_.find(e.task.id));  // by iterator: the key lives in the erased node
}

Entry* TaskIndex::unique_holder(const std::string& key) {
  auto it = unique_.find(key);
  return it == unique_.end() ? nullptr : it->second;
}

void TaskIndex::index(Entry& e) {
  const Task& t = e.task;
  QueueState& q = *e.queue;
  q.counts[static_cast<size_t>(t.state)]++;
  switch (t.state) {
    case TaskState::kPending:
      e.key = MakeOrderKey(q.config, t);
      q.ready.emplace(e.key, &e);
      if (t.spec.deadline) deadlines_.emplace(*t.spec.deadline, &e);
      break;
    case TaskState::kScheduled:
      scheduled_.emplace(*t.scheduled_for, &e);
      if (t.spec.deadline) deadlines_.emplace(*t.spec.deadline, &e);
      break;
    case TaskState::kActive:
      leases_.emplace(e.lease_expires, &e);
      break;
    default:  // terminal
      e.finish_order = ++finish_order_;
      terminal_.emplace(*t.finished_at, e.finish_order, &e);
  }
}

void TaskIndex::unindex(Entry& e) {
  const Task& t = e.task;
  QueueState& q = *e.queue;
  q.counts[static_cast<size_t>(t.state)]--;
  switch (t.state) {
    case TaskState::kPending:
      q.ready.erase({e.key, &e});
      if (t.spec.deadline) deadlines_.erase({*t.spec.deadline, &e});
      break;
    case TaskState::kScheduled:
      scheduled_.erase({*t.scheduled_for, &e});
      if (t.spec.deadline) deadlines_.erase({*t.spec.deadline, &e});
      break;
    case TaskState::kActive:
      leases_.erase({e.lease_expires, &e});
      break;
    default:
      terminal_.erase({*t.finished_at, e.finish_order, &e});
  }
}

}  // namespace taskly::sqlite
