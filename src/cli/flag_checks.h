// CLI11 validators that check a flag's text with the model's own parsers, so that a bad value
// is a usage error (exit 2) whose message names the flag: "--timeout: ...". They check only;
// commands convert the (then valid) text themselves.
//
// Thread-safety: the validators are values; their checks are pure functions.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <utility>

#include "codec/strict_json.h"
#include "taskly/clock.h"
#include "taskly/status.h"

namespace taskly::cli {

// A duration as codec::ParseDuration reads it ("90s", "1h30m").
CLI::Validator DurationCheck();
// A positive duration.
CLI::Validator PositiveDurationCheck();
// An RFC 3339 instant (codec::ParseTime).
CLI::Validator TimeCheck();
// An RFC 3339 instant, or "+" and a duration meaning that long from now ("+10m").
CLI::Validator TimeOrOffsetCheck();
// A queue, type or label name (ValidateName).
CLI::Validator NameCheck();
// "KEY=VALUE" with a non-empty KEY.
CLI::Validator KeyValueCheck();
// A JSON payload, parsed as the server parses one (codec::ParseStrictJson with
// PayloadJsonOptions()): no duplicate keys, numbers that come back as written.
CLI::Validator JsonCheck();
codec::StrictJsonOptions PayloadJsonOptions();

// The instant of a value TimeOrOffsetCheck accepted, relative to `now`.
Result<TimePoint> ParseTimeOrOffset(const std::string& text, TimePoint now);
// Splits "KEY=VALUE" at the first '='. REQUIRES: KeyValueCheck accepted it.
std::pair<std::string, std::string> SplitKeyValue(const std::string& text);

}  // namespace taskly::cli
