// Internal to src/exec: this process as the reaper of everything its commands leave behind.
//
// BecomeSubreaper (command.h) makes the process a child subreaper, so that an orphaned
// descendant of a command is re-parented to it rather than to init, and starts the orphan
// reaper thread: a process that adopts orphans must also reap them, or each one that exits
// stays a zombie. Every child of this process is reaped by exactly one party:
// - a command's leader (started by SpawnChild with setsid(), so its pid is also its session
//   and group id), and every process of its session, by the RunCommand that started it
//   (KillAndReapSession), which needs the leader's exit status and must know that the pids it
//   signals are not reused under it;
// - every other child (a descendant that left its command's session with setsid(), or any
//   orphan) by the orphan reaper, about every 100 ms.
// A leader is registered while the registry's lock is held across fork() (LockLeaders), so the
// reaper never sees it unregistered, and it is unregistered only once it has been reaped.
//
// Thread-safety: all functions may be called from any thread.
#pragma once

#include <sys/types.h>

#include <mutex>

namespace taskly::exec {

// The registry's lock; SpawnChild holds it from before fork() until AddLeader.
std::unique_lock<std::mutex> LockLeaders();
// Registers `leader`, a child just forked. REQUIRES: `lock` is LockLeaders()'s.
void AddLeader(pid_t leader, const std::unique_lock<std::mutex>& lock);
// Unregisters `leader` once it has been reaped.
void RemoveLeader(pid_t leader);

// Stops (SIGSTOP), then SIGKILLs, the group and the session led by `leader` and every process
// descending from one of them (found through /proc), reaps every process of the session that
// is (or becomes, through the subreaper) a child of this process, then reaps the leader and
// unregisters it. Returns the
// leader's wait status. Descendants that left the session are killed but left to the orphan
// reaper. Gives up waiting for processes that do not die after 10 s (a process in
// uninterruptible sleep), leaving them to the orphan reaper.
// REQUIRES: `leader` is registered and has not been reaped (so its pid, which is the group and
// session id, cannot be reused).
int KillAndReapSession(pid_t leader);

}  // namespace taskly::exec
