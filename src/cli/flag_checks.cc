#include "cli/flag_checks.h"

#include <nlohmann/json.hpp>

#include "codec/bounded_json.h"
#include "codec/json_codec.h"
#include "codec/strict_json.h"
#include "taskly/task.h"

namespace taskly::cli {
namespace {

// The validator's error text: the status message (CLI11 puts the flag's name before it).
std::string Message(const Status& s) { return s.ok() ? std::string() : s.message(); }

}  // namespace

CLI::Validator DurationCheck() {
  return CLI::Validator(
      [](std::string& text) { return Message(codec::ParseDuration(text, "").status()); },
      "DURATION", "duration");
}

CLI::Validator PositiveDurationCheck() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        Result<Duration> d = codec::ParseDuration(text, "");
        if (!d.ok()) return Message(d.status());
        if (*d <= Duration::zero()) return "must be a positive duration, not \"" + text + "\"";
        return Message(ValidateDuration(*d, ""));
      },
      "DURATION", "positive duration");
}

CLI::Validator TimeCheck() {
  return CLI::Validator(
      [](std::string& text) { return Message(codec::ParseTime(text, "").status()); }, "TIME",
      "time");
}

CLI::Validator TimeOrOffsetCheck() {
  return CLI::Validator(
      [](std::string& text) { return Message(ParseTimeOrOffset(text, TimePoint{}).status()); },
      "TIME|+DURATION", "time or offset");
}

CLI::Validator NameCheck() {
  return CLI::Validator([](std::string& text) { return Message(ValidateName(text, "")); }, "NAME",
                        "name");
}

CLI::Validator KeyValueCheck() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const size_t eq = text.find('=');
        if (eq == std::string::npos || eq == 0) {
          return "must be KEY=VALUE, not \"" + text + "\"";
        }
        return {};
      },
      "KEY=VALUE", "key=value");
}

codec::StrictJsonOptions PayloadJsonOptions() {
  return {.field = "",
          .max_depth = 64,
          .exact_numbers = codec::StrictJsonOptions::ExactNumbers::kEverywhere};
}

CLI::Validator JsonCheck() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        Result<codec::Json> parsed = codec::ParseStrictJson(text, PayloadJsonOptions());
        if (parsed.ok()) return std::string();
        const Status& s = parsed.status();
        return s.field().empty() ? s.message() : s.field() + ": " + s.message();
      },
      "JSON", "json");
}

Result<TimePoint> ParseTimeOrOffset(const std::string& text, TimePoint now) {
  if (!text.empty() && text.front() == '+') {
    Result<Duration> d = codec::ParseDuration(std::string_view(text).substr(1), "");
    if (!d.ok()) return d.status();
    if (*d > TimePoint::max() - now) {
      return InvalidArgument("", "\"" + text + "\" is too far in the future");
    }
    return now + *d;
  }
  return codec::ParseTime(text, "");
}

std::pair<std::string, std::string> SplitKeyValue(const std::string& text) {
  const size_t eq = text.find('=');
  return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace taskly::cli
