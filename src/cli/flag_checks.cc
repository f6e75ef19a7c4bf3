#include "cli/flag_checks.h"

#include <nlohmann/json.hpp>

#include "codec/bounded_json.h"
#include "codec/json_codec.h"
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
        return {};
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

CLI::Validator JsonCheck() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (!codec::JsonDepthWithin(text)) {
          return "nests arrays and objects more than " + std::to_string(codec::kMaxJsonDepth) +
                 " levels deep";
        }
        try {
          [[maybe_unused]] const nlohmann::json parsed = nlohmann::json::parse(text);
          return std::string();
        } catch (const nlohmann::json::parse_error& e) {
          return std::string("is not valid JSON: ") + e.what();
        }
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
