// Sortable task ids: 15 characters of Crockford base32 (9 for the millisecond timestamp, 6 for a
// counter), so ids sort by creation time and fit std::string's small-string buffer. Ids from one
// generator strictly increase, even if the wall clock steps back.
//
// Thread-safety: not thread-safe; the owning store serializes calls.
#pragma once

#include <cstdint>
#include <string>

#include "taskly/clock.h"

namespace taskly {

class TaskIdGenerator {
 public:
  std::string next(TimePoint now);

 private:
  uint64_t last_ms_ = 0;
  uint64_t counter_ = 0;
};

}  // namespace taskly
