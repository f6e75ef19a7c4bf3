// The task handlers `taskly server` registers:
//   exec  command tasks (src/exec/): when --allow-exec is off, every exec task fails at once
//         and for good ("exec tasks are disabled (start the server with --allow-exec)"); the
//         API still accepts them, so a server started later with exec on could run them.
//   echo  succeeds at once with its payload as the result: lets people try the server (and
//         tests check the plumbing) without enabling commands.
#pragma once

#include <optional>
#include <string>

#include "cli/exit_codes.h"
#include "exec/exec_handler.h"
#include "exec/exec_policy.h"
#include "taskly/scheduler.h"

namespace taskly::cli {

inline constexpr char kExecDisabled[] =
    "exec tasks are disabled (start the server with --allow-exec)";

// The handler of "exec" tasks under `policy` (the disabled one unless policy.enabled). A usage
// error naming the flag when the policy is refused: a bad --exec-allow entry, an unknown
// --exec-user, or exec enabled for a root server without --exec-user. Called before anything
// is started, so that a bad exec flag changes nothing.
Expected<Handler> MakeExecTaskHandler(const exec::ExecPolicy& policy);

// Registers `exec_handler` as "exec" and the echo handler as "echo" on `scheduler`.
Status RegisterHandlers(Scheduler& scheduler, Handler exec_handler);

}  // namespace taskly::cli
