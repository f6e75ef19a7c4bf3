// JSON forms of exec tasks: the payload of a task of type "exec" is a CommandSpec, its result a
// CommandResult. The same forms are documented for users in docs/.
//
// Payload:
//   {"argv": ["/usr/bin/pg_dump", "-f", "/backup/db.sql"],   required, non-empty
//    "env": {"PGHOST": "db1"},                                the whole environment
//    "cwd": "/var/tmp",
//    "timeout": "30s", "kill_grace": "5s",                   durations (codec::ParseDuration)
//    "limits": {"cpu_seconds": 60, "address_space_bytes": 1073741824, "open_files": 256,
//               "processes": 64},                            positive integers
//    "output_cap": 1048576}                                   bytes kept per stream
// Absent fields keep CommandSpec's defaults. The user a command runs as is not part of the
// payload: the server's ExecPolicy decides it.
//
// Parsing is strict: a payload that is not an object, an unknown field, a field of the wrong
// JSON type, a bad duration or a value ValidateCommandSpec refuses is InvalidArgument whose
// field() is the full path of the bad field, `prefix` included ("payload.argv[1]",
// "payload.env.HOME", "payload.limits.open_files").
//
// Result:
//   {"exit_code": 0, "signal": 0, "timed_out": false, "cancelled": false,
//    "stdout": "...", "stderr": "...", "stdout_truncated": false, "stderr_truncated": false,
//    "run_time": "1s250ms"}
// stdout and stderr are JSON strings: bytes that are not valid UTF-8 (binary output, or a
// character cut by the output cap) are replaced by U+FFFD.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "exec/command.h"
#include "taskly/status.h"

namespace taskly::exec {

using Json = nlohmann::json;

Result<CommandSpec> CommandSpecFromJson(const Json& j, std::string_view prefix = "payload");
// The payload form of `spec` (run_as left out); CommandSpecFromJson reads it back.
Json CommandSpecToJson(const CommandSpec& spec);

Json CommandResultToJson(const CommandResult& result);

// `bytes` with every invalid UTF-8 sequence replaced by U+FFFD, so that it can be put in JSON.
std::string ToValidUtf8(const std::string& bytes);

}  // namespace taskly::exec
