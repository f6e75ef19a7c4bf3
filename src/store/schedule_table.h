// The schedules part of the Store contract held in memory: a map from schedule id to its stored
// definition and cursor. The memory store keeps its schedules here; durable backends keep them
// in their own tables.
//
// Thread-safety: thread-safe (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "taskly/store.h"

namespace taskly {

class ScheduleTable {
 public:
  // The Store methods of the same names, with the same contracts.
  Status put(const ScheduleSpec& spec);
  Status remove(const std::string& id);
  std::vector<StoredSchedule> list() const;
  Status advance(const std::string& id, TimePoint due);

 private:
  mutable std::mutex mu_;
  std::map<std::string, StoredSchedule> schedules_;  // guarded by mu_
};

}  // namespace taskly
