// Running one command in a child process, for `exec` tasks.
//
//   CommandSpec spec{.argv = {"/usr/bin/tar", "czf", "/backup/db.tgz", "/var/lib/db"},
//                    .env = {{"LANG", "C.UTF-8"}},
//                    .timeout = std::chrono::minutes(10)};
//   Result<CommandResult> r = RunCommand(spec, ctx.stop_token());
//
// What RunCommand guarantees:
// - No shell: argv is passed to execve() as is. argv[0] is an absolute path, or a bare name
//   looked up in the PATH of `env` (or kDefaultPath when `env` has no PATH); only absolute
//   PATH entries are searched.
// - The environment is exactly `env`: nothing is inherited and nothing is added (not even PATH,
//   HOME or USER).
// - The child runs in its own session and process group (setsid(): no controlling terminal),
//   with stdin from /dev/null, stdout and stderr captured, every other file descriptor closed,
//   all signals unblocked and at their default disposition, the rlimits of `limits`, in `cwd`,
//   and as `run_as` when set.
// - On timeout or when `stop` is requested the whole group gets SIGTERM, and SIGKILL
//   `kill_grace` later if the leader has not exited. When the leader exits (for any reason),
//   everything the command left behind is SIGKILLed: every process of its session (background
//   jobs, and descendants that moved to another process group with setpgid()), and every
//   process that descends from one of them through living parents (found in /proc). RunCommand
//   returns only after every process of the session has been reaped. The first RunCommand
//   calls BecomeSubreaper, so grandchildren that outlive their parent are re-parented to this
//   process and reaped, whoever they are.
//   What cannot be caught: a descendant that calls setsid() (a new session) and whose parent
//   exits before the command ends, as a daemon's double fork does. It is re-parented to this
//   process with no trace of where it came from, keeps running after the task, and is reaped
//   by the orphan reaper when it exits (no zombie stays). A descendant that calls setsid()
//   while its parent is still alive is caught through its parent, unless it forks between
//   the scan of /proc and the kill.
// - stdout and stderr are drained concurrently for the whole run, so a child writing a lot to
//   both never blocks; up to `output_cap` bytes of each are kept, the rest is read and dropped
//   and the stream is marked truncated.
//
// Errors: a spec that fails ValidateCommandSpec is InvalidArgument naming the field. A command
// that cannot be started is a Status, not an exit code (there is no 127 convention): NotFound
// with field "argv[0]" (no such executable) or "cwd" (no such directory); FailedPrecondition for
// permission errors, a user switch the process may not make, or an rlimit it may not set;
// ResourceExhausted when fork(), a pipe or a pidfd cannot be had; Cancelled when `stop` was
// already requested (nothing is started). Once the command has started, RunCommand returns a
// CommandResult whatever the command did.
//
// Time: timeouts are measured with std::chrono::steady_clock, not an injected Clock, because
// the waits are poll(2) calls on real processes that a simulated clock cannot drive.
//
// Thread-safety: RunCommand may be called from many threads at once. It is fork-safe in a
// multi-threaded process: everything the child needs (argv, envp, limits, user) is prepared
// before fork(), and between fork() and execve() the child makes only async-signal-safe calls
// (raw system calls; no allocation, no locks). Requires Linux >= 5.11 (pidfd_open,
// close_range with CLOSE_RANGE_CLOEXEC) and SIGCHLD not set to SIG_IGN in the process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "taskly/clock.h"
#include "taskly/status.h"

namespace taskly::exec {

// Where bare command names are looked up when `env` has no PATH.
inline constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";
// The largest output_cap a spec may ask for (per stream), so one task cannot make the server
// hold an unbounded amount of output.
inline constexpr size_t kMaxOutputCap = size_t{64} << 20;

// Resource limits set in the child before execve() (setrlimit, soft = hard). Absent: inherited
// from this process. A value above this process's hard limit is lowered to that limit (a
// process cannot raise its hard limits), so the command never gets more than asked for.
struct RLimits {
  // RLIMIT_CPU, seconds of CPU time: SIGXCPU at N seconds, SIGKILL at N + 1.
  std::optional<uint64_t> cpu_seconds;
  // RLIMIT_AS, bytes of virtual memory: allocations beyond it fail (malloc returns null).
  std::optional<uint64_t> address_space_bytes;
  // RLIMIT_NOFILE: the highest file descriptor number + 1; stdin, stdout and stderr count.
  std::optional<uint64_t> open_files;
  // RLIMIT_NPROC: Linux counts it per real user id across the whole machine, not per command,
  // so it is meaningful with a dedicated run-as user; root and CAP_SYS_RESOURCE ignore it.
  std::optional<uint64_t> processes;
};

// The identity the child takes before execve(): setgroups(groups), setresgid(gid),
// setresuid(uid). See LookupUser (exec_policy.h) to build one from a user name.
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
};

struct CommandSpec {
  std::vector<std::string> argv;           // argv[0]: absolute path, or bare name found in PATH
  std::map<std::string, std::string> env;  // the child's whole environment
  std::string cwd;                         // absolute; empty: this process's cwd
  Duration timeout = Duration::zero();     // zero: none
  Duration kill_grace = std::chrono::seconds(5);  // SIGTERM -> this long -> SIGKILL; zero: at once
  RLimits limits;
  size_t output_cap = size_t{1} << 20;  // bytes kept per stream
  std::optional<RunAs> run_as;          // absent: this process's identity
};

struct CommandResult {
  int exit_code = -1;      // the leader's exit status; -1 when it was killed by a signal
  int signal = 0;          // the signal that killed the leader; 0 when it exited
  bool timed_out = false;  // `timeout` passed and the group was signalled
  bool cancelled = false;  // `stop` was requested and the group was signalled
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;  // more than output_cap bytes were written and dropped
  bool stderr_truncated = false;
  Duration run_time = Duration::zero();  // from start until the leader exited
};

// OK, or InvalidArgument naming the first bad field: "argv" (empty), "argv[i]" (NUL byte),
// "argv[0]" (empty, or a relative path containing '/'), "env.KEY" (empty name, '=' or NUL in
// the name, NUL in the value), "cwd" (not absolute, NUL), "timeout" / "kill_grace" (negative),
// "limits.cpu_seconds" etc. (zero), "output_cap" (above kMaxOutputCap).
Status ValidateCommandSpec(const CommandSpec& spec);

// The absolute path execve() will run for a valid spec: argv[0] itself when absolute, else the
// first executable regular file named argv[0] in the PATH of `env` (or kDefaultPath). NotFound
// with field "argv[0]" when there is none. Reads the file system; thread-safe.
Result<std::string> ResolveExecutable(const CommandSpec& spec);

// Runs `spec` to completion as described at the top of this file.
Result<CommandResult> RunCommand(const CommandSpec& spec, std::stop_token stop = {});

// Makes this process a child subreaper (prctl PR_SET_CHILD_SUBREAPER; process-wide, permanent)
// and starts a detached thread that reaps, about every 100 ms, every zombie child that no
// running command owns: orphans re-parented to this process. Once; later calls do nothing.
// RunCommand calls it; a server calls it at start. After it, the process must not wait for
// children of its own (anything not started by RunCommand): the reaper may take them.
void BecomeSubreaper();

}  // namespace taskly::exec
