// Sortable task ids: 15 characters of Crockford base32 (9 for the millisecond timestamp, 6 for a
// counter), so ids sort by creation time and fit std::string's small-string buffer. Ids from one
// generator strictly increase, even if the wall clock steps back.
//
// Thread-safety: not thread-safe; the owning store serializes calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "taskly/clock.h"

namespace taskly {

class TaskIdGenerator {
 public:
  TaskIdGenerator();
  std::string next(TimePoint now);
  // The counter of the id next() returned last: CounterOf() of it, without parsing.
  uint32_t last_counter() const { return static_cast<uint32_t>(counter_); }

  // The counter part of an id this class made (consecutive ids have consecutive counters,
  // modulo 2^30), or nullopt if `id` is not shaped like one.
  static std::optional<uint32_t> CounterOf(std::string_view id);

 private:
  uint64_t last_ms_ = 0;
  uint64_t counter_ = 0;
  // The last id (at first, counter 0 and no time yet), and the millisecond its time part
  // encodes: ids made within one millisecond share it, so it is encoded once per millisecond;
  // the counter part is counted up in place.
  char chars_[15];  // kTimeChars + kCounterChars in task_id.cc
  uint64_t encoded_ms_ = UINT64_MAX;
};

}  // namespace taskly
