// How the Redis store writes values into hash fields and index members (keys.h): T8 numbers,
// decimals, and whole tasks and queues as field lists.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "taskly/clock.h"
#include "taskly/status.h"
#include "taskly/store.h"
#include "taskly/task.h"

namespace taskly::redis {

// 8 bytes, big endian, sign bit flipped: byte order is numeric order.
std::string T8(int64_t value);
inline std::string T8(TimePoint t) { return T8(t.time_since_epoch().count()); }
inline std::string T8(Duration d) { return T8(d.count()); }
// The inverse; nullopt unless `bytes` has exactly 8 bytes.
std::optional<int64_t> FromT8(std::string_view bytes);

// A flat list of hash fields and values, as HGETALL returns it and HSET takes it.
using Fields = std::vector<std::pair<std::string, std::string>>;

// The spec's fields of a new task hash (everything the store does not change later). Priority,
// timeout and backoff are left out while they hold TaskSpec's defaults, which DecodeTask()
// starts from: fewer fields for every script that reads, copies and returns the hash.
Fields SpecFields(const TaskSpec& spec);

// A whole task from its hash. InvalidArgument naming the field when one cannot be decoded (a
// hash taskly did not write).
Result<Task> DecodeTask(const Fields& fields);

// A queue's config, paused flag and counts from its hash.
Result<QueueInfo> DecodeQueue(std::string name, const Fields& fields);

}  // namespace taskly::redis
