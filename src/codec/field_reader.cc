#include "codec/field_reader.h"

#include <algorithm>
#include <utility>

#include "codec/raw_json.h"
#include "codec/text.h"

namespace taskly::codec::internal {
namespace {

// The path of the object itself: the prefix without its trailing dot.
std::string SelfPath(std::string_view prefix) {
  if (!prefix.empty() && prefix.back() == '.') prefix.remove_suffix(1);
  return std::string(prefix);
}

}  // namespace

FieldReader::FieldReader(const Json& j, std::string prefix)
    : object_(&j), prefix_(std::move(prefix)), status_(&own_status_) {
  if (!j.is_object()) {
    object_ = nullptr;
    own_status_ = InvalidArgument(SelfPath(prefix_), "must be an object");
  }
}

FieldReader::FieldReader(const Json* object, std::string prefix, Status* status)
    : object_(object), prefix_(std::move(prefix)), status_(status) {}

std::string FieldReader::Path(std::string_view name) const { return prefix_ + std::string(name); }

void FieldReader::Fail(std::string_view name, std::string message) {
  if (ok()) *status_ = InvalidArgument(Path(name), std::move(message));
}

void FieldReader::Record(Status s) {
  if (ok()) *status_ = std::move(s);
}

void FieldReader::RejectUnknown(std::initializer_list<std::string_view> known) {
  if (!ok() || object_ == nullptr) return;
  for (const auto& [key, value] : object_->items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      // The key goes into a field path that is written as JSON: keep it serializable.
      Fail(Text(key).get<std::string>(), "unknown field");
      return;
    }
  }
}

void FieldReader::Require(std::string_view name) {
  if (ok() && !Has(name)) Fail(name, "is required");
}

const Json* FieldReader::Get(std::string_view name) const {
  if (!ok() || object_ == nullptr) return nullptr;
  auto it = object_->find(name);
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

FieldReader FieldReader::Object(std::string_view name) {
  const Json* v = Get(name);
  if (v != nullptr && !v->is_object()) {
    Fail(name, "must be an object");
    v = nullptr;
  }
  return FieldReader(v, Path(name) + ".", status_);
}

void FieldReader::ReadString(std::string_view name, std::string* out) {
  const Json* v = Get(name);
  if (v == nullptr) return;
  if (!v->is_string()) return Fail(name, "must be a string");
  *out = v->get<std::string>();
}

void FieldReader::ReadBool(std::string_view name, bool* out) {
  const Json* v = Get(name);
  if (v == nullptr) return;
  if (!v->is_boolean()) return Fail(name, "must be a boolean");
  *out = v->get<bool>();
}

void FieldReader::ReadNumber(std::string_view name, double* out) {
  const Json* v = Get(name);
  if (v == nullptr) return;
  if (!v->is_number()) return Fail(name, "must be a number");
  *out = v->get<double>();
}

std::optional<int64_t> FieldReader::Integer(std::string_view name, int64_t min, int64_t max) {
  const Json* v = Get(name);
  if (v == nullptr) return std::nullopt;
  const std::string range =
      "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
  // A number with a fraction or an exponent is a float to nlohmann::json, even 3.0.
  if (!v->is_number_integer()) {
    Fail(name,
         v->is_number() ? "must be an integer (no fraction or exponent)" : "must be an integer");
    return std::nullopt;
  }
  // Non-negative numbers parse as unsigned; compare before converting (max >= 0 here).
  bool in_range;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    in_range = u <= static_cast<uint64_t>(max) && static_cast<int64_t>(u) >= min;
  } else {
    const int64_t i = v->get<int64_t>();
    in_range = i >= min && i <= max;
  }
  if (!in_range) {
    Fail(name, range);
    return std::nullopt;
  }
  return v->get<int64_t>();
}

void FieldReader::ReadInt32(std::string_view name, int32_t* out, int32_t min, int32_t max) {
  if (std::optional<int64_t> v = Integer(name, min, max)) *out = static_cast<int32_t>(*v);
}

void FieldReader::ReadUint64(std::string_view name, uint64_t* out) {
  const Json* v = Get(name);
  if (v == nullptr) return;
  if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<int64_t>() < 0)) {
    return Fail(name, "must be an integer from 0 to 18446744073709551615");
  }
  *out = v->get<uint64_t>();
}

void FieldReader::ReadDuration(std::string_view name, Duration* out) {
  const Json* v = Get(name);
  if (v == nullptr) return;
  if (!v->is_string()) {
    return Fail(name, "must be a string holding a duration such as \"90s\" or \"1h30m\"");
  }
  Result<Duration> d = ParseDuration(v->get_ref<const std::string&>(), Path(name));
  if (!d.ok()) return Record(d.status());
  *out = *d;
}

void FieldReader::ReadTime(std::string_view name, TimePoint* out) {
  const Json* v = Get(name);
  if (v == nullptr) return;
  if (!v->is_string()) {
    return Fail(name,
                "must be a string holding an RFC 3339 time such as \"2026-03-08T02:30:00-05:00\"");
  }
  Result<TimePoint> t = ParseTime(v->get_ref<const std::string&>(), Path(name));
  if (!t.ok()) return Record(t.status());
  *out = *t;
}

void FieldReader::ReadTime(std::string_view name, std::optional<TimePoint>* out) {
  if (!Has(name)) return;
  TimePoint t{};
  ReadTime(name, &t);
  if (ok()) *out = t;
}

void FieldReader::ReadStringMap(std::string_view name, std::map<std::string, std::string>* out) {
  const Json* v = Get(name);
  if (v == nullptr) return;
  if (!v->is_object()) return Fail(name, "must be an object");
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : v->items()) {
    if (!value.is_string()) {
      return Fail(std::string(name) + "." + Text(key).get<std::string>(), "must be a string");
    }
    values.emplace(key, value.get<std::string>());
  }
  *out = std::move(values);
}

void FieldReader::ReadBytes(std::string_view name, std::string* out, bool json_values) {
  const std::string format_name = std::string(name) + "_format";
  std::string format(json_values ? kFormatJson : kFormatText);
  ReadString(format_name, &format);
  if (!ok()) return;
  if (format != kFormatText && format != kFormatBase64 && (!json_values || format != kFormatJson)) {
    return Fail(format_name, "unknown value " + Quote(format) + " (expected " +
                                 (json_values ? "json, text or base64)" : "text or base64)"));
  }
  const Json* v = Get(name);
  if (v == nullptr) return;
  if (format == kFormatJson) {
    // A Json built in C++ (not parsed) may hold invalid UTF-8, which dump() refuses.
    try {
      *out = CompactJson(*v);
    } catch (const Json::type_error&) {
      Fail(name, "must be valid UTF-8");
    }
    return;
  }
  if (!v->is_string()) {
    return Fail(name, "must be a string (" + format_name + " is " + format + ")");
  }
  if (format == kFormatText) {
    *out = v->get<std::string>();
    return;
  }
  std::optional<std::string> bytes = Base64Decode(v->get_ref<const std::string&>());
  if (!bytes) return Fail(name, "is not valid base64 (RFC 4648, with padding)");
  *out = std::move(*bytes);
}

Status Prefixed(Status s, std::string_view prefix) {
  if (s.ok() || prefix.empty()) return s;
  std::string field = s.field().empty() ? SelfPath(prefix) : std::string(prefix) + s.field();
  return Status(s.code(), s.message(), std::move(field));
}

}  // namespace taskly::codec::internal
