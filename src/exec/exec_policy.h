// Who may run which commands: the server's exec policy, checked before every exec task.
//
// - Off by default: a server runs `exec` tasks only when started with exec enabled.
// - Allowlist: the executable argv[0] resolves to (ResolveExecutable: an absolute argv[0] as
//   given, a bare name through the PATH of the task's env) must be listed by absolute path, or
//   the list must hold "*". Matching the resolved path, not the name, means a task cannot
//   reach an unlisted program by bringing its own PATH. An empty list allows nothing.
// - Never root by accident: when this process runs as root (euid 0), exec tasks are refused
//   unless the policy names the user to run them as (--exec-user); the command then runs as
//   that user (CommandSpec::run_as, from LookupUser).
//
// Refusals are PermissionDenied with a message saying what to change.
//
// Thread-safety: values and pure functions, except that ResolveExecutable and LookupUser read
// the file system and the user database (thread-safe calls).
#pragma once

#include <unistd.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exec/command.h"
#include "taskly/status.h"

namespace taskly::exec {

struct ExecPolicy {
  bool enabled = false;
  // Absolute paths of the executables tasks may run, or "*" for any.
  std::vector<std::string> allowlist;
  // The user commands run as; required when the server runs as root.
  std::optional<std::string> run_as_user;
  // The largest result a command task stores (the scheduler's max_result_bytes): captured
  // output is cut so that the result's JSON fits.
  size_t max_result_bytes = size_t{1} << 20;
};

// OK, or InvalidArgument naming the bad field: "allowlist[i]" (neither "*" nor an absolute
// path), "run_as_user" (empty). For the server to check its flags at startup.
Status ValidateExecPolicy(const ExecPolicy& policy);

// Whether `spec` may run under `policy` in a process whose effective uid is `euid`: OK, or
// PermissionDenied when exec is disabled, when euid is 0 and no run_as_user is set, or when
// the resolved executable is not allowlisted (the message names argv[0] and the resolved path);
// NotFound (field "argv[0]") when argv[0] resolves to nothing. REQUIRES: ValidateCommandSpec
// is OK. The caller sets spec.run_as from run_as_user (see MakeExecHandler).
Status CheckExecAllowed(const ExecPolicy& policy, const CommandSpec& spec,
                        uid_t euid = ::geteuid());

// The uid, primary gid and supplementary groups of user `name` (getpwnam_r, getgrouplist).
// NotFound when there is no such user.
Result<RunAs> LookupUser(std::string_view name);

}  // namespace taskly::exec
