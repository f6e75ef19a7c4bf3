// IANA time zone names to Abseil time zones, read from the system tz database.
#pragma once

#include <absl/time/time.h>

#include <string_view>

#include "taskly/status.h"

namespace taskly {

// Loads the zone `name` ("Europe/Berlin", "UTC") from the tz database: the directory in $TZDIR,
// else /usr/share/zoneinfo (Debian package tzdata). Abseil applies each zone file's POSIX TZ
// footer, so DST rules hold for the years after the file's transition table as well.
//
// Only zone names are accepted: components of letters, digits, '_', '-' and '+' separated by
// single '/', naming a file in the database, and not the database's posix/ and right/ copies,
// posixrules or Factory. Paths, "file:" names and Abseil's "Fixed/UTC+hh:mm:ss" names are
// refused, and a name is looked up on disk before Abseil caches it.
// On error: InvalidArgument with field "tz" and the name in the message.
Result<absl::TimeZone> LoadTimeZone(std::string_view name);

}  // namespace taskly
