// RunCommand: one poll(2) loop per run over the child's stdout and stderr, its pidfd and an
// eventfd that the stop token's callback writes to, with the timeout and the kill grace as the
// poll timeouts. Nothing busy-waits.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "exec/child_process.h"
#include "exec/command.h"
#include "exec/reaper.h"

namespace taskly::exec {
namespace {

using SteadyClock = std::chrono::steady_clock;

// One captured stream: keeps the first `cap` bytes, reads and drops the rest so that the child
// never blocks on a full pipe.
struct Stream {
  UniqueFd fd;
  size_t cap;
  std::string* data;
  bool* truncated;

  // Reads once; closes the stream at end of file (or on a read error, which ends it as well).
  // Returns false when there was nothing to read (EAGAIN) or the stream is closed.
  bool ReadOnce() {
    std::array<char, 64 * 1024> buffer;
    ssize_t n;
    do {
      n = ::read(fd.get(), buffer.data(), buffer.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return false;
    if (n <= 0) {
      fd.reset();
      return false;
    }
    const size_t got = static_cast<size_t>(n);
    const size_t keep = std::min(got, cap - data->size());
    data->append(buffer.data(), keep);
    if (keep < got) *truncated = true;
    return true;
  }

  // After every writer is gone: takes what is left in the pipe without waiting (a process
  // that escaped the group could hold the pipe open forever).
  void Drain() {
    if (!fd.valid()) return;
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    while (fd.valid() && ReadOnce()) {
    }
  }
};

int PollTimeoutMs(std::optional<SteadyClock::time_point> next, SteadyClock::time_point now) {
  if (!next) return -1;
  if (*next <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace

Result<CommandResult> RunCommand(const CommandSpec& spec, std::stop_token stop) {
  if (Status s = ValidateCommandSpec(spec); !s.ok()) return s;
  Result<std::string> path = ResolveExecutable(spec);
  if (!path.ok()) return path.status();
  if (stop.stop_requested()) {
    return Status(StatusCode::kCancelled, "cancelled before the command started");
  }
  BecomeSubreaper();

  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) {
    return Status(StatusCode::kResourceExhausted,
                  "eventfd: " + std::generic_category().message(errno));
  }
  // Declared after `wake`, so destroyed (and unregistered) before the descriptor is closed.
  std::stop_callback on_stop(stop, [fd = wake.get()] {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
  });

  const SteadyClock::time_point start = SteadyClock::now();
  Result<ChildProcess> child = SpawnChild(spec, *path);
  if (!child.ok()) return child.status();
  const pid_t pid = child->pid;

  CommandResult result;
  Stream out{std::move(child->stdout_fd), spec.output_cap, &result.stdout_data,
             &result.stdout_truncated};
  Stream err{std::move(child->stderr_fd), spec.output_cap, &result.stderr_data,
             &result.stderr_truncated};
  std::optional<SteadyClock::time_point> timeout_at;
  if (spec.timeout > Duration::zero()) timeout_at = start + spec.timeout;
  std::optional<SteadyClock::time_point> kill_at;  // set when SIGTERM has been sent
  bool killed = false;

  for (;;) {
    const SteadyClock::time_point now = SteadyClock::now();
    if (!kill_at) {
      const bool stopping = stop.stop_requested();
      if (stopping || (timeout_at && now >= *timeout_at)) {
        (stopping ? result.cancelled : result.timed_out) = true;
        SignalGroup(pid, SIGTERM);
        kill_at = now + spec.kill_grace;
      }
    }
    if (kill_at && !killed && now >= *kill_at) {
      SignalGroup(pid, SIGKILL);
      killed = true;
    }
    const std::optional<SteadyClock::time_point> next =
        !kill_at ? timeout_at : (killed ? std::nullopt : kill_at);

    std::array<pollfd, 4> fds{};
    nfds_t count = 0;
    auto watch = [&fds, &count](int fd) {
      fds[count] = {fd, POLLIN, 0};
      return &fds[count++];
    };
    const pollfd* exited = watch(child->pidfd.get());
    // Once signalled, a stop request changes nothing more: the eventfd would only spin.
    if (!kill_at) watch(wake.get());
    const pollfd* out_poll = out.fd.valid() ? watch(out.fd.get()) : nullptr;
    const pollfd* err_poll = err.fd.valid() ? watch(err.fd.get()) : nullptr;

    if (::poll(fds.data(), count, PollTimeoutMs(next, now)) < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      KillAndReapSession(pid);
      return Status(StatusCode::kInternal, "poll: " + std::generic_category().message(error));
    }
    if (out_poll != nullptr && out_poll->revents != 0) out.ReadOnce();
    if (err_poll != nullptr && err_poll->revents != 0) err.ReadOnce();
    if (exited->revents != 0) break;  // the leader has exited (not yet reaped)
  }
  result.run_time = SteadyClock::now() - start;

  const int status = KillAndReapSession(pid);
  out.Drain();
  err.Drain();
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

}  // namespace taskly::exec
