// Internal to src/exec: starting a command's process, signalling and reaping its process group.
// RunCommand (command.h) builds on these; the contracts there apply.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "exec/command.h"
#include "taskly/status.h"

namespace taskly::exec {

// Owns one file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A started child: the leader of its own session and process group (sid == pgid == pid), not
// yet reaped, registered as a leader (reaper.h).
struct ChildProcess {
  pid_t pid = -1;
  UniqueFd pidfd;      // pidfd_open(pid): readable once the leader has exited
  UniqueFd stdout_fd;  // read ends of the child's stdout and stderr pipes (O_CLOEXEC)
  UniqueFd stderr_fd;
};

// Forks and execs `path` with spec's argv, env, cwd, limits and run_as (see command.h). Returns
// once execve() has succeeded in the child, or with the Status describing the step that failed
// (the failed child is reaped). REQUIRES: ValidateCommandSpec(spec) is OK, `path` is absolute.
Result<ChildProcess> SpawnChild(const CommandSpec& spec, const std::string& path);

// Sends `sig` to every process in group `pgid`; a group already gone is not an error.
void SignalGroup(pid_t pgid, int sig);

}  // namespace taskly::exec
