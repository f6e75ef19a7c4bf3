// File: taskly/task.h
//
// The task model: what a producer submits (`TaskSpec`), what a store keeps
// (`Task`), and the states a task moves through:
//
//   scheduled --(run_at reached)--> pending --(claimed)--> active --> succeeded
//       ^                                                   |  |  \-> cancelled
//       +-------------(failed attempt, retry_at)------------+  +----> dead (attempts spent or
//                                                                      permanent error)
//   pending/scheduled --(deadline passed before start)--> expired
//   any non-terminal --(cancel)--> cancelled
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "taskly/clock.h"
#include "taskly/status.h"

namespace taskly {

using TaskId = std::string;

enum class TaskState : uint8_t {
  kScheduled,  // waiting for run_at or for a retry
  kPending,    // ready to be claimed
  kActive,     // claimed under a lease
  kSucceeded,  // terminal
  kDead,       // terminal: attempts spent, permanent error, or quarantined
  kCancelled,  // terminal
  kExpired,    // terminal: its deadline passed before it could start
};

std::string_view TaskStateName(TaskState s);
// Parses "pending" etc.; InvalidArgument naming `field` otherwise.
Result<TaskState> ParseTaskState(std::string_view name, std::string_view field = "state");
inline bool IsTerminal(TaskState s) { return s >= TaskState::kSucceeded; }

// Exponential backoff with full jitter: the delay before retry n (n = 1 after the first failed
// attempt) is uniform in [0, min(cap, initial * multiplier^(n-1))].
struct Backoff {
  Duration initial = std::chrono::seconds(1);
  Duration cap = std::chrono::minutes(10);
  double multiplier = 2.0;

  bool operator==(const Backoff&) const = default;
};

// What a producer submits. Defaults are what a user gets by leaving a field out.
struct TaskSpec {
  std::string type;                     // handler name; required; "exec" for commands
  std::string payload;                  // opaque bytes, JSON by convention
  std::string queue = "default";        // [A-Za-z0-9_.:-]{1,128}
  int32_t priority = 0;                 // higher runs first under the `priority` policy
  std::optional<TimePoint> deadline;    // absolute: the task must *start* by then
  Duration timeout = Duration::zero();  // per attempt; zero means none
  int32_t max_attempts = 3;             // >= 1
  Backoff backoff;
  std::optional<TimePoint> run_at;         // delayed start; absent or past means now
  std::string unique_key;                  // dedup key; empty means none
  Duration unique_ttl = Duration::zero();  // how long unique_key holds; zero: while not terminal
  std::map<std::string, std::string> labels;

  // Set by schedules: the schedule's period orders tasks under `rms`; the tick's (schedule id,
  // due) pair is its idempotency key so a tick is enqueued at most once.
  Duration period = Duration::zero();
  std::string schedule_id;
  std::optional<TimePoint> tick_due;

  // Field by field (payload bytes included).
  bool operator==(const TaskSpec&) const = default;
};

// Checks a queue, type or label name: 1-128 characters of [A-Za-z0-9_.:-]. InvalidArgument
// naming `field` otherwise.
Status ValidateName(std::string_view name, std::string_view field);

// Checks a duration field: from zero to kMaxDuration (clock.h). InvalidArgument naming `field`
// otherwise ("must not be negative", "must be at most 36500d (about 100 years)").
Status ValidateDuration(Duration d, std::string_view field);
// Checks a time field: not before kMinTime (the Unix epoch). InvalidArgument naming `field`.
Status ValidateTime(TimePoint t, std::string_view field);

// Checks a spec's fields; InvalidArgument naming the first bad field. Durations (timeout,
// backoff.initial, backoff.cap, unique_ttl, period) are checked by ValidateDuration, times
// (deadline, run_at, tick_due) by ValidateTime.
Status ValidateTaskSpec(const TaskSpec& spec);

// A task as a store keeps it.
struct Task {
  TaskId id;
  TaskSpec spec;
  TaskState state = TaskState::kPending;
  uint64_t seq = 0;          // enqueue sequence within the store; breaks policy ties
  int32_t attempts = 0;      // attempts started (counted at claim)
  uint64_t lease_token = 0;  // increases on every claim (fencing token)
  TimePoint enqueued_at{};
  TimePoint ready_at{};                    // when it last became pending (enqueue-to-start latency)
  std::optional<TimePoint> scheduled_for;  // when scheduled: when it becomes pending
  std::optional<TimePoint> started_at;     // last claim
  std::optional<TimePoint> finished_at;    // reaching a terminal state
  std::string checkpoint;  // written by a yielding handler, given to the next attempt
  std::string result;      // on success: the handler's result
  std::string last_error;  // the last failed attempt's error, or why the store moved the task
                           // (lease expired, deadline passed)
  std::string worker;      // the worker holding or last holding the lease
};

}  // namespace taskly
