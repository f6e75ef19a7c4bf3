#include "store/schedule_table.h"

namespace taskly {

Status ScheduleTable::put(const ScheduleSpec& spec) {
  if (Status s = ValidateScheduleSpec(spec); !s.ok()) return s;
  std::lock_guard lock(mu_);
  schedules_[spec.id].spec = spec;  // a replacement keeps its cursor
  return Status();
}

Status ScheduleTable::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  if (schedules_.erase(id) == 0) return NotFound("schedule " + id + " not found");
  return Status();
}

std::vector<StoredSchedule> ScheduleTable::list() const {
  std::lock_guard lock(mu_);
  std::vector<StoredSchedule> out;
  out.reserve(schedules_.size());
  for (const auto& [id, s] : schedules_) out.push_back(s);
  return out;
}

Status ScheduleTable::advance(const std::string& id, TimePoint due) {
  std::lock_guard lock(mu_);
  auto it = schedules_.find(id);
  if (it == schedules_.end()) return NotFound("schedule " + id + " not found");
  std::optional<TimePoint>& cursor = it->second.last_due;
  if (!cursor || *cursor < due) cursor = due;
  return Status();
}

}  // namespace taskly
