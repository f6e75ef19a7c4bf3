#include "taskly/task.h"

#include <array>

namespace taskly {
namespace {

constexpr std::array<std::string_view, 7> kStateNames = {
    "scheduled", "pending", "active", "succeeded", "dead", "cancelled", "expired"};

// The characters a name may use, [A-Za-z0-9_.:-]: every enqueue checks two names.
constexpr std::array<bool, 256> kNameChars = [] {
  std::array<bool, 256> ok{};
  for (int c = 0; c < 256; ++c) {
    ok[static_cast<size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                 (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
                                 c == '-';
  }
  return ok;
}();

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!kNameChars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

}  // namespace

std::string_view TaskStateName(TaskState s) { return kStateNames[static_cast<size_t>(s)]; }

Result<TaskState> ParseTaskState(std::string_view name, std::string_view field) {
  for (size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<TaskState>(i);
  }
  return InvalidArgument(std::string(field),
                         "unknown task state '" + std::string(name) +
                             "' (expected scheduled, pending, active, succeeded, dead, "
                             "cancelled or expired)");
}

Status ValidateName(std::string_view name, std::string_view field) {
  if (IsValidName(name)) return Status();
  return InvalidArgument(std::string(field), "'" + std::string(name.substr(0, 64)) +
                                                 "' is not 1-128 characters of [A-Za-z0-9_.:-]");
}

Status ValidateDuration(Duration d, std::string_view field) {
  if (d < Duration::zero()) return InvalidArgument(std::string(field), "must not be negative");
  if (d > kMaxDuration) {
    return InvalidArgument(std::string(field), "must be at most 36500d (about 100 years)");
  }
  return Status();
}

Status ValidateTime(TimePoint t, std::string_view field) {
  if (t < kMinTime) {
    return InvalidArgument(std::string(field), "must not be before 1970-01-01T00:00:00Z");
  }
  return Status();
}

Status ValidateTaskSpec(const TaskSpec& spec) {
  // Names are checked as booleans first: a Status is only built for a bad one.
  if (!IsValidName(spec.type)) return ValidateName(spec.type, "type");
  if (!IsValidName(spec.queue)) return ValidateName(spec.queue, "queue");
  if (spec.timeout < Duration::zero() || spec.timeout > kMaxDuration) {
    return ValidateDuration(spec.timeout, "timeout");
  }
  if (spec.max_attempts < 1) return InvalidArgument("max_attempts", "must be at least 1");
  if (Status s = ValidateDuration(spec.backoff.initial, "backoff.initial"); !s.ok()) return s;
  if (Status s = ValidateDuration(spec.backoff.cap, "backoff.cap"); !s.ok()) return s;
  if (spec.backoff.cap < spec.backoff.initial) {
    return InvalidArgument("backoff.cap", "must not be less than backoff.initial");
  }
  if (!(spec.backoff.multiplier >= 1.0 && spec.backoff.multiplier <= 1000.0)) {
    return InvalidArgument("backoff.multiplier", "must be between 1 and 1000");
  }
  if (spec.unique_ttl < Duration::zero() || spec.unique_ttl > kMaxDuration) {
    return ValidateDuration(spec.unique_ttl, "unique_ttl");
  }
  if (spec.unique_key.size() > 1024) {
    return InvalidArgument("unique_key", "must be at most 1024 bytes");
  }
  if (spec.period < Duration::zero() || spec.period > kMaxDuration) {
    return ValidateDuration(spec.period, "period");
  }
  if (spec.deadline && *spec.deadline < kMinTime) return ValidateTime(*spec.deadline, "deadline");
  if (spec.run_at && *spec.run_at < kMinTime) return ValidateTime(*spec.run_at, "run_at");
  if (spec.tick_due && *spec.tick_due < kMinTime) return ValidateTime(*spec.tick_due, "tick_due");
  if (spec.tick_due.has_value() && spec.schedule_id.empty()) {
    return InvalidArgument("schedule_id", "is required with tick_due");
  }
  for (const auto& [key, value] : spec.labels) {
    if (Status s = ValidateName(key, "labels." + key); !s.ok()) return s;
    if (value.size() > 1024) return InvalidArgument("labels." + key, "must be at most 1024 bytes");
  }
  return Status();
}

}  // namespace taskly
