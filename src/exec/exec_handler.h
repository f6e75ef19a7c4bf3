// The handler of tasks of type "exec", and how the end of a command maps to the task's outcome.
//
// Outcome mapping (CommandOutcome):
// - The command ran and exited with code 0 (not timed out, not cancelled): Success; the task's
//   result is CommandResultToJson (exit code, stdout, stderr, flags, run time).
// - It ran and failed: Retry (the task's retry policy applies), with an error that says how,
//   from DescribeFailure: "exit code 3", "killed by signal 9 (SIGKILL)",
//   "timed out after 2s (killed by signal 15 (SIGTERM))", "cancelled (exit code 143)"; then,
//   when stderr is not empty, "; stderr: " and its last kStderrTailBytes bytes, since a failed
//   attempt keeps only its error text.
// - It could not start: Permanent when retrying cannot help (InvalidArgument: a bad payload;
//   NotFound: no such executable or cwd; PermissionDenied: refused by the exec policy;
//   FailedPrecondition: a permission error), Retry otherwise (ResourceExhausted, Cancelled,
//   Internal). The error is the Status's ToString().
//
// Thread-safety: pure functions; the handler may run on many worker threads at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "exec/command.h"
#include "exec/exec_policy.h"
#include "taskly/scheduler.h"
#include "taskly/status.h"

namespace taskly::exec {

inline constexpr size_t kStderrTailBytes = 512;

// Why a command that ran did not succeed; empty if it succeeded (exit code 0, not timed out,
// not cancelled).
std::string DescribeFailure(const CommandSpec& spec, const CommandResult& result);

// On success the result is CommandResultToJson's text, at most `max_result_bytes` long: when the
// captured output makes it longer (each control byte takes 6 bytes as a JSON escape), the end of
// the longer stream is cut until it fits, and that stream is marked truncated.
Outcome CommandOutcome(const CommandSpec& spec, const Result<CommandResult>& result,
                       size_t max_result_bytes = size_t{1} << 20);

// The JSON text of `result` in at most `max_bytes` (see CommandOutcome), or nullopt when even
// without any output it does not fit.
std::optional<std::string> FittedResultJson(CommandResult result, size_t max_bytes);

// The handler for type "exec": parses the task's payload (CommandSpecFromJson, prefix
// "payload"), checks it with CheckExecAllowed(policy), runs it as policy.run_as_user with the
// attempt's stop token (so the task's own timeout, a cancel or a shutdown stop the command like
// the payload's timeout does, reported as "cancelled"), and returns CommandOutcome. Payload and
// policy errors are Permanent. Fails with InvalidArgument when ValidateExecPolicy does, and
// NotFound when run_as_user names no user.
Result<Handler> MakeExecHandler(const ExecPolicy& policy);

}  // namespace taskly::exec
