// fork() + execve() for commands. The process is multi-threaded, so the child may only make
// async-signal-safe calls until execve(): SpawnChild prepares every string, pointer array and
// limit beforehand, and the child code below only calls thin system-call wrappers (no
// allocation, no locks, no stdio). A failing step is reported to the parent through a
// close-on-exec pipe: the parent reads either a ChildError or, once execve() has closed the
// pipe, end of file.
#include "exec/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <system_error>
#include <vector>

#include "exec/reaper.h"

namespace taskly::exec {
namespace {

using Resource = decltype(RLIMIT_CPU);

// The step of the child's setup that failed.
enum class Stage : int32_t {
  kSetsid,
  kStdio,
  kSetGroups,
  kSetGid,
  kSetUid,
  kChdir,
  kRlimit,  // detail: index into ChildPlan::limits
  kCloseFds,
  kExec,
};

struct ChildError {
  Stage stage;
  int32_t error;   // errno
  int32_t detail;  // stage-specific
};

struct Limit {
  Resource resource;
  rlimit value;
  const char* field;  // "limits.cpu_seconds", for errors
};

// Everything the child reads; built before fork() so the child allocates nothing.
struct ChildPlan {
  const char* path = nullptr;
  std::vector<char*> argv;  // null-terminated
  std::vector<char*> envp;  // null-terminated
  const char* cwd = nullptr;
  std::vector<Limit> limits;
  const RunAs* run_as = nullptr;
  int stdout_w = -1;
  int stderr_w = -1;
  int status_w = -1;
};

[[noreturn]] void ChildFail(const ChildPlan& plan, Stage stage, int32_t detail = 0) {
  const ChildError e{stage, errno, detail};
  // Nothing to do if this fails: the parent then sees end of file, takes the command as
  // started, and reports its exit code 127.
  [[maybe_unused]] ssize_t n = ::write(plan.status_w, &e, sizeof e);
  ::_exit(127);
}

// Runs in the child, between fork() and execve(): async-signal-safe calls only.
[[noreturn]] void RunChild(const ChildPlan& plan) {
  // A session of its own, led by the child (so also its own process group, with no controlling
  // terminal): every descendant keeps this session id unless it calls setsid() itself, which
  // is how KillAndReapSession finds the ones that left the group.
  if (::setsid() < 0) ChildFail(plan, Stage::kSetsid);

  // Handlers would run the parent's code in the child, and ignored signals stay ignored across
  // execve(): every disposition goes back to the default. (All signals are blocked here: the
  // parent blocked them around fork().) Signals glibc reserves fail with EINVAL: harmless.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }

  // The pipe ends are >= 3 (MakePipe), so these never clobber one another.
  if (::dup2(plan.stdout_w, STDOUT_FILENO) < 0 || ::dup2(plan.stderr_w, STDERR_FILENO) < 0) {
    ChildFail(plan, Stage::kStdio);
  }
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0) ChildFail(plan, Stage::kStdio);
  if (null_fd != STDIN_FILENO) {
    if (::dup2(null_fd, STDIN_FILENO) < 0) ChildFail(plan, Stage::kStdio);
    ::close(null_fd);
  }

  if (plan.run_as != nullptr) {
    // Raw system calls: glibc's setgroups/setresgid/setresuid change every thread of the
    // process through a signal broadcast; the child has one thread, and must not take locks.
    const RunAs& who = *plan.run_as;
    if (::syscall(SYS_setgroups, who.groups.size(), who.groups.data()) != 0) {
      ChildFail(plan, Stage::kSetGroups);
    }
    if (::syscall(SYS_setresgid, who.gid, who.gid, who.gid) != 0) ChildFail(plan, Stage::kSetGid);
    if (::syscall(SYS_setresuid, who.uid, who.uid, who.uid) != 0) ChildFail(plan, Stage::kSetUid);
  }
  // After the user switch, so that the directory is entered with the command's permissions.
  if (plan.cwd != nullptr && ::chdir(plan.cwd) != 0) ChildFail(plan, Stage::kChdir);

  // Also after the user switch: with RLIMIT_NPROC already low, setresuid() would mark the
  // process as over its limit and execve() would then fail with EAGAIN.
  for (size_t i = 0; i < plan.limits.size(); ++i) {
    if (::setrlimit(plan.limits[i].resource, &plan.limits[i].value) != 0) {
      ChildFail(plan, Stage::kRlimit, static_cast<int32_t>(i));
    }
  }

  // Every inherited descriptor but 0-2 closes at execve(), including ones other threads opened
  // without O_CLOEXEC. The status pipe is already close-on-exec, so it stays usable until then.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) ChildFail(plan, Stage::kCloseFds);

  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(plan.path, plan.argv.data(), plan.envp.data());
  ChildFail(plan, Stage::kExec);
}

std::string ErrnoText(int err) { return std::generic_category().message(err); }

// A close-on-exec pipe whose ends are >= 3, so that the child's dup2() onto 0-2 cannot collide
// with them even if this process runs with a standard descriptor closed.
Status MakePipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Status(StatusCode::kResourceExhausted, "pipe: " + ErrnoText(errno));
  }
  UniqueFd ends[2] = {UniqueFd(fds[0]), UniqueFd(fds[1])};
  for (UniqueFd& end : ends) {
    if (end.get() < 3) {
      const int moved = ::fcntl(end.get(), F_DUPFD_CLOEXEC, 3);
      if (moved < 0) {
        return Status(StatusCode::kResourceExhausted,
                      "fcntl(F_DUPFD_CLOEXEC): " + ErrnoText(errno));
      }
      end.reset(moved);
    }
  }
  read_end = std::move(ends[0]);
  write_end = std::move(ends[1]);
  return Status::Ok();
}

// Limits as setrlimit wants them: never above this process's hard limit (which an unprivileged
// process cannot raise); for CPU the hard limit is one second later, so SIGXCPU comes first.
std::vector<Limit> PlanLimits(const RLimits& limits) {
  std::vector<Limit> out;
  auto add = [&out](const std::optional<uint64_t>& value, Resource resource, const char* field,
                    rlim_t hard_extra) {
    if (!value) return;
    rlimit current{};
    ::getrlimit(resource, &current);
    const rlim_t max = current.rlim_max;
    const rlim_t soft = std::min<rlim_t>(*value, max);
    const rlim_t hard = soft < max - hard_extra ? soft + hard_extra : max;
    out.push_back({resource, {soft, hard}, field});
  };
  add(limits.cpu_seconds, RLIMIT_CPU, "limits.cpu_seconds", 1);
  add(limits.address_space_bytes, RLIMIT_AS, "limits.address_space_bytes", 0);
  add(limits.open_files, RLIMIT_NOFILE, "limits.open_files", 0);
  add(limits.processes, RLIMIT_NPROC, "limits.processes", 0);
  return out;
}

Status ChildErrorStatus(const ChildError& e, const ChildPlan& plan) {
  const std::string why = ErrnoText(e.error);
  switch (e.stage) {
    case Stage::kExec:
      if (e.error == ENOENT || e.error == ENOTDIR) {
        return Status(StatusCode::kNotFound,
                      "executable \"" + std::string(plan.path) + "\" not found", "argv[0]");
      }
      if (e.error == E2BIG) {
        return InvalidArgument("argv", "argv and env are too long for execve: " + why);
      }
      if (e.error == ENOMEM || e.error == EAGAIN) {
        return Status(StatusCode::kResourceExhausted, "execve: " + why);
      }
      return Status(StatusCode::kFailedPrecondition,
                    "cannot execute \"" + std::string(plan.path) + "\": " + why, "argv[0]");
    case Stage::kChdir:
      if (e.error == ENOENT || e.error == ENOTDIR) {
        return Status(StatusCode::kNotFound,
                      "no such directory \"" + std::string(plan.cwd) + "\": " + why, "cwd");
      }
      return Status(StatusCode::kFailedPrecondition,
                    "cannot enter \"" + std::string(plan.cwd) + "\": " + why, "cwd");
    case Stage::kSetGroups:
    case Stage::kSetGid:
    case Stage::kSetUid:
      return Status(StatusCode::kFailedPrecondition,
                    "cannot switch to uid " + std::to_string(plan.run_as->uid) + " gid " +
                        std::to_string(plan.run_as->gid) + ": " + why);
    case Stage::kRlimit: {
      const Limit& limit = plan.limits.at(static_cast<size_t>(e.detail));
      return Status(StatusCode::kFailedPrecondition,
                    "cannot set the limit to " + std::to_string(limit.value.rlim_cur) + ": " + why,
                    limit.field);
    }
    case Stage::kSetsid:
    case Stage::kStdio:
    case Stage::kCloseFds:
      break;
  }
  return Status(StatusCode::kInternal, "setting up the child process failed (step " +
                                           std::to_string(static_cast<int>(e.stage)) + "): " + why);
}

// Reads what the child reported: true with `e` filled on a setup failure, false when execve()
// succeeded (end of file).
bool ReadChildError(int fd, ChildError& e) {
  size_t got = 0;
  auto* bytes = reinterpret_cast<char*>(&e);
  while (got < sizeof e) {
    const ssize_t n = ::read(fd, bytes + got, sizeof e - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return got == sizeof e;
}

}  // namespace

void SignalGroup(pid_t pgid, int sig) { ::kill(-pgid, sig); }

Result<ChildProcess> SpawnChild(const CommandSpec& spec, const std::string& path) {
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env;
  env.reserve(spec.env.size());
  for (const auto& [key, value] : spec.env) env.push_back(key + "=" + value);

  ChildPlan plan;
  plan.path = path.c_str();
  for (std::string& arg : argv) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);
  for (std::string& var : env) plan.envp.push_back(var.data());
  plan.envp.push_back(nullptr);
  plan.cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  plan.limits = PlanLimits(spec.limits);
  plan.run_as = spec.run_as ? &*spec.run_as : nullptr;

  ChildProcess child;
  UniqueFd stdout_w, stderr_w, status_r, status_w;
  for (Status s : {MakePipe(child.stdout_fd, stdout_w), MakePipe(child.stderr_fd, stderr_w),
                   MakePipe(status_r, status_w)}) {
    if (!s.ok()) return s;
  }
  plan.stdout_w = stdout_w.get();
  plan.stderr_w = stderr_w.get();
  plan.status_w = status_w.get();

  // Blocked in this thread across fork() so that no handler of this process runs in the child
  // before it has reset the dispositions; the child unblocks everything right before execve().
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  // Registered before the lock is released, so the orphan reaper never takes the child's exit
  // status from us (reaper.h). The child never touches its copy of the locked mutex.
  std::unique_lock<std::mutex> leaders = LockLeaders();
  const pid_t pid = ::fork();
  if (pid == 0) RunChild(plan);
  const int fork_error = errno;
  if (pid > 0) AddLeader(pid, leaders);
  leaders.unlock();
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    return Status(StatusCode::kResourceExhausted, "fork: " + ErrnoText(fork_error));
  }
  stdout_w.reset();
  stderr_w.reset();
  status_w.reset();

  ChildError error{};
  if (ReadChildError(status_r.get(), error)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    RemoveLeader(pid);
    return ChildErrorStatus(error, plan);
  }
  child.pid = pid;
  // A raw system call: Debian 12's <sys/pidfd.h> lacks extern "C", so its wrapper cannot be
  // linked from C++.
  child.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!child.pidfd.valid()) {
    const int err = errno;
    KillAndReapSession(pid);
    return Status(StatusCode::kResourceExhausted, "pidfd_open: " + ErrnoText(err));
  }
  return child;
}

}  // namespace taskly::exec
