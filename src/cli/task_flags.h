// The flags that describe a task, shared by `taskly submit` and `taskly schedule add` (where
// they describe each tick's task), and the TaskSpec they build. `--exec -- ARGV...` makes the
// task a command task: type "exec", payload the CommandSpec of src/exec/command_json.h.
//
// Values are checked twice before anything is sent: each flag's text by its CLI11 validator,
// then the whole spec by the model's own validation (ValidateTaskSpec, ValidateCommandSpec),
// whose field names are translated back to flags ("backoff.cap" -> "--backoff-cap"). Both are
// usage errors (exit 2).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/exit_codes.h"
#include "taskly/clock.h"
#include "taskly/status.h"
#include "taskly/task.h"

namespace taskly::cli {

struct TaskFlags {
  std::string payload;       // --payload JSON
  std::string payload_text;  // --payload-text TEXT
  std::string payload_file;  // --payload-file PATH ("-": stdin)
  std::string queue;
  std::optional<int32_t> priority;
  std::string deadline;  // TIME or +DURATION
  std::string timeout;
  std::optional<int32_t> max_attempts;
  std::string backoff_initial;
  std::string backoff_cap;
  std::optional<double> backoff_multiplier;
  std::string unique_key;
  std::string unique_ttl;
  std::vector<std::string> labels;  // KEY=VALUE

  // Command tasks.
  bool exec = false;
  std::vector<std::string> env;  // KEY=VALUE: the command's whole environment
  std::string cwd;
  std::string command_timeout;
  std::string kill_grace;
  std::optional<uint64_t> rlimit_cpu;
  std::optional<uint64_t> rlimit_as;
  std::optional<uint64_t> rlimit_nofile;
  std::optional<uint64_t> rlimit_nproc;
  std::optional<uint64_t> output_cap;
};

// Adds the flags to `cmd`, writing into `flags` (which must outlive parsing).
void AddTaskFlags(CLI::App& cmd, TaskFlags& flags);

// The spec the flags describe: type `type` (ignored with --exec, where the type is "exec" and
// `argv` the command), relative times (--deadline +10m) resolved against `now`. A usage error
// naming the flag when the model refuses a value or --payload-file cannot be read.
Expected<TaskSpec> BuildTaskSpec(const TaskFlags& flags, const std::string& type,
                                 const std::vector<std::string>& argv, TimePoint now);

// A usage error for `s` (an InvalidArgument from the model), naming the flag that sets its
// field: "backoff.cap" -> "--backoff-cap: ...". `prefix` is stripped from the field first
// ("task." for a schedule's template).
Exit FieldError(const Status& s, std::string_view prefix = "");

}  // namespace taskly::cli
