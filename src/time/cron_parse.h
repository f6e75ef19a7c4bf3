// File: time/cron_parse.h (private to src/time)
//
// Turns the text of a cron expression into one bit mask per field. Knows nothing of time zones
// or of searching for fire times (cron.cc does that); see include/taskly/cron.h for the syntax.
#pragma once

#include <cstdint>
#include <string_view>

#include "taskly/status.h"

namespace taskly {

// A parsed expression. Bit i of a mask is set when value i is selected.
struct CronFields {
  uint64_t seconds = 0;        // 0-59; just bit 0 for a 5-field expression
  uint64_t minutes = 0;        // 0-59
  uint64_t hours = 0;          // 0-23
  uint64_t days_of_month = 0;  // 1-31
  uint64_t months = 0;         // 1-12
  uint64_t days_of_week = 0;   // 0-6, Sunday is 0 (a 7 in the text is folded into 0)
  bool dom_star = false;       // the day-of-month text begins with `*`
  bool dow_star = false;       // the day-of-week text begins with `*`
  bool wildcard = false;       // the minute or hour text begins with `*` (the DST rule)
};

// Parses `expr` (5 or 6 fields, or a macro). On error: InvalidArgument whose field is
// "cron.<field>" for a bad field and "cron" for the shape of the whole expression (empty, wrong
// field count, unknown macro, or an expression that never fires).
Result<CronFields> ParseCronFields(std::string_view expr);

}  // namespace taskly
