// How the memory store keeps one task: a compact Record rather than a whole `Task`. A store
// holding a million pending tasks touches every byte of every record at least once, and page
// faults and cache misses, not logic, are most of the cost of an enqueue; so the fields every
// task has are stored in place (names interned, times as plain instants with a sentinel for
// "absent"), and the fields most tasks leave at their defaults live out of line in `Cold`,
// allocated only for the tasks that set one of them.
//
// Thread-safety: plain values; the store's mutex guards them.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/equal_short.h"
#include "taskly/policy.h"
#include "taskly/task.h"

namespace taskly::memory {

struct QueueState;

// "No such instant" for the optional times of a Record.
inline constexpr TimePoint kNever = TimePoint::min();

inline std::optional<TimePoint> Optional(TimePoint t) {
  return t == kNever ? std::nullopt : std::optional<TimePoint>(t);
}

// The task fields most tasks leave at their defaults.
struct Cold {
  std::optional<TimePoint> deadline;
  Backoff backoff;
  std::optional<TimePoint> run_at;
  std::string unique_key;
  Duration unique_ttl = Duration::zero();
  std::map<std::string, std::string> labels;
  Duration period = Duration::zero();
  std::string schedule_id;
  std::optional<TimePoint> tick_due;
  std::string checkpoint;
  std::string result;
  std::string last_error;
};

struct Record {
  static constexpr size_t kIdSize = 15;  // TaskIdGenerator's ids

  // The fields are ordered by use: the first 64 bytes and the two after them (cold and the
  // payload's header) are all that settling a lease and deleting a finished task read or write,
  // and deletion (retention) meets records long out of cache.
  char id[kIdSize] = {};
  TaskState state = TaskState::kPending;
  uint32_t claims = 0;   // the low half of the lease token; 0: never claimed
  uint32_t slot = 0;     // where the record lives (the high half of the lease token)
  uint32_t counter = 0;  // TaskIdGenerator::CounterOf(id), for the store's id index
  int32_t priority = 0;
  QueueState* queue = nullptr;
  const std::string* type = nullptr;  // interned; null: the slot holds no task (see live())
  TimePoint finished_at = kNever;
  uint64_t finish_seq = 0;     // the store's terminal index; valid while terminal
  std::unique_ptr<Cold> cold;  // null: every cold field at its default
  std::string payload;
  int32_t max_attempts = 0;
  int32_t attempts = 0;
  const std::string* worker = nullptr;  // interned; null: never claimed
  uint64_t seq = 0;
  Duration timeout = Duration::zero();
  TimePoint enqueued_at{};
  TimePoint ready_at{};
  TimePoint scheduled_for = kNever;
  TimePoint started_at = kNever;
  TimePoint lease_expires{};  // the store's lease index; valid while active

  // Whether the slot holds a task (slots are reused after retention). Every task has a type, so
  // no flag (and its padding) is needed.
  bool live() const { return type != nullptr; }
  std::string_view id_view() const { return {id, kIdSize}; }
  bool has_id(std::string_view other) const { return EqualShort(other, id_view()); }
  uint64_t lease_token() const { return claims == 0 ? 0 : (uint64_t{slot} << 32) | claims; }
  // A pointer, not an optional: a std::optional built here goes through the stack, and reading
  // it back waited for every store before it (the record's own writes, missing the cache).
  const TimePoint* deadline() const { return cold && cold->deadline ? &*cold->deadline : nullptr; }
  const std::string& unique_key() const;
  Cold& mutable_cold();
  // Sets a cold string field, allocating Cold only for a non-empty value.
  void set_cold(std::string Cold::*field, std::string&& value);
};

inline OrderFields OrderFieldsOf(const Record& r) {
  if (!r.cold) return {r.priority, std::nullopt, Duration::zero(), r.seq, r.ready_at};
  return {r.priority, r.cold->deadline, r.cold->period, r.seq, r.ready_at};
}

// Copies the spec's fields into `r` (type and queue are the caller's interned values).
void SetSpec(Record& r, const TaskSpec& spec, const std::string* type, QueueState* queue);

// The whole task, as the Store contract hands it out. `queue_name` is the record's queue's.
Task ToTask(const Record& r, const std::string& queue_name);
// The same, written over every field of `t` (a fresh Task or one to reuse), so a claim builds
// its Lease in place or over one it is given.
void FillTask(const Record& r, const std::string& queue_name, Task& t);

}  // namespace taskly::memory
