// Internal to the codec: reads the members of one JSON object into model values, checking JSON
// types and ranges, and keeps the first error (InvalidArgument naming the member's full path).
// After an error every further read does nothing, so a parser reads all its fields in order and
// checks status() once at the end:
//
//   FieldReader r(j, prefix);
//   r.RejectUnknown({"policy", "weight"});
//   r.ReadInt32("weight", &config.weight, 1);
//   if (!r.ok()) return r.status();
//
// A member whose value is null counts as absent. Nested objects get a child reader that shares
// the parent's error, so the first error anywhere wins.
//
// Thread-safety: a reader is used by one thread; it refers to `j`, which must outlive it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "codec/json_codec.h"

namespace taskly::codec::internal {

class FieldReader {
 public:
  // Reads `j`, which must be a JSON object (else the error names `prefix` without its trailing
  // dot: "tasks[2]" or, at the top level, ""). `prefix` is prepended to every member name.
  FieldReader(const Json& j, std::string prefix);
  FieldReader(const FieldReader&) = delete;
  FieldReader& operator=(const FieldReader&) = delete;

  bool ok() const { return status_->ok(); }
  const Status& status() const { return *status_; }

  // The full path of member `name` ("tasks[2]." + "queue").
  std::string Path(std::string_view name) const;
  // Records InvalidArgument(Path(name), message) unless an error is already recorded.
  void Fail(std::string_view name, std::string message);
  // Records `s` (an error whose field is already a full path) unless one is already recorded.
  void Record(Status s);

  // Fails with "unknown field" on the first member (in key order) not in `known`.
  void RejectUnknown(std::initializer_list<std::string_view> known);
  // Fails with "is required" when `name` is absent.
  void Require(std::string_view name);
  // The member `name`, or nullptr when it is absent or null or an error is recorded.
  const Json* Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }

  // A reader of the object `name` (a reader with no members when it is absent; "must be an
  // object" when it is something else), sharing this reader's error. Prefix: Path(name) + ".".
  FieldReader Object(std::string_view name);

  // Each Read* leaves *out unchanged when the member is absent or on error.
  void ReadString(std::string_view name, std::string* out);
  void ReadBool(std::string_view name, bool* out);
  void ReadNumber(std::string_view name, double* out);
  void ReadInt32(std::string_view name, int32_t* out,
                 int32_t min = std::numeric_limits<int32_t>::min(),
                 int32_t max = std::numeric_limits<int32_t>::max());
  void ReadUint64(std::string_view name, uint64_t* out);
  void ReadDuration(std::string_view name, Duration* out);
  void ReadTime(std::string_view name, TimePoint* out);
  void ReadTime(std::string_view name, std::optional<TimePoint>* out);
  // An object of string values; a bad value is named "<name>.<key>".
  void ReadStringMap(std::string_view name, std::map<std::string, std::string>* out);
  // A byte string written by WriteBytes (text.h), with its "<name>_format" member.
  void ReadBytes(std::string_view name, std::string* out, bool json_values);
  // A string naming an enum value, parsed by `parse` (e.g. ParseOverlapPolicy), whose error
  // names the full path.
  template <typename E>
  void ReadEnum(std::string_view name, E* out,
                Result<E> (*parse)(std::string_view, std::string_view)) {
    std::string text;
    if (!Has(name)) return;
    ReadString(name, &text);
    if (!ok()) return;
    Result<E> value = parse(text, Path(name));
    if (!value.ok()) return Record(value.status());
    *out = *value;
  }

 private:
  FieldReader(const Json* object, std::string prefix, Status* status);
  // Checks that `name` is an integer within [min, max]; the message names the range.
  std::optional<int64_t> Integer(std::string_view name, int64_t min, int64_t max);

  const Json* object_;  // nullptr: no members (absent, or not an object)
  std::string prefix_;
  Status own_status_;  // the root reader's error; children point at their root's
  Status* status_;
};

// `s` with `prefix` prepended to its field, for errors of the model's validation
// ("task.queue" -> "schedules[0].task.queue"). An OK status is returned as it is.
Status Prefixed(Status s, std::string_view prefix);

}  // namespace taskly::codec::internal
