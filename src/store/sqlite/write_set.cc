#include "store/sqlite/write_set.h"

namespace taskly::sqlite {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
// C++20 deduces this for an aggregate by itself, but clang before 17 does not.
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

Status WriteSet::apply(Tables& tables) const {
  auto write = Overloaded{
      [&](const InsertTask& op) { return tables.insert_task(op.task, op.labels_json); },
      [&](const TaskUpdate& op) { return tables.update_task(op); },
      [&](const DeleteTask& op) { return tables.delete_task(op.id); },
      [&](const QueueRow& op) { return tables.put_queue(op); },
      [&](const TickRow& op) { return tables.put_tick(op); },
      [&](const PutMeta& op) { return tables.put_meta(op.key, op.value); },
      [&](const PutSchedule& op) { return tables.put_schedule(op.id, op.spec_json, op.payload); },
      [&](const RemoveSchedule& op) { return tables.remove_schedule(op.id); },
      [&](const AdvanceSchedule& op) { return tables.advance_schedule(op.id, op.due); },
  };
  for (const Op& op : ops_) {
    if (Status s = std::visit(write, op); !s.ok()) return s;
  }
  return Status();
}

}  // namespace taskly::sqlite
