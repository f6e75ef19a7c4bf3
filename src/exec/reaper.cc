#include "exec/reaper.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "exec/command.h"

namespace taskly::exec {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr auto kReapInterval = std::chrono::milliseconds(100);
constexpr auto kKillPatience = std::chrono::seconds(10);

struct Leaders {
  std::mutex mu;
  std::unordered_set<pid_t> pids;  // guarded by mu
};

// Never destroyed: the reaper thread uses it until the process exits.
Leaders& TheLeaders() {
  static auto* leaders = new Leaders;
  return *leaders;
}

// One line of /proc/PID/stat, the fields used here.
struct ProcInfo {
  pid_t pid = 0;
  char state = '?';  // 'Z': a zombie
  pid_t ppid = 0;
  pid_t sid = 0;
  unsigned long long start = 0;  // clock ticks after boot: with the pid, names one process
};

bool ParseInt(std::string_view text, pid_t& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

// /proc/PID/stat of `pid`; false when the process is gone.
bool ReadProc(pid_t pid, ProcInfo& info) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  FILE* file = std::fopen(path, "re");
  if (file == nullptr) return false;
  char buffer[512];
  const size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  buffer[n] = '\0';
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')', so parse after the
  // last ')'.
  const char* close = std::strrchr(buffer, ')');
  if (close == nullptr) return false;
  int ppid = 0, pgrp = 0, sid = 0;
  char state = '?';
  unsigned long long start = 0;
  if (std::sscanf(close + 1,
                  " %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                  &state, &ppid, &pgrp, &sid, &start) != 5) {
    return false;
  }
  info = {pid, state, ppid, sid, start};
  return true;
}

std::vector<ProcInfo> ListProcesses() {
  std::vector<ProcInfo> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    pid_t pid = 0;
    ProcInfo info;
    if (ParseInt(entry->d_name, pid) && ReadProc(pid, info)) out.push_back(info);
  }
  ::closedir(dir);
  return out;
}

// Sends `sig` to the process `seen` describes, unless its pid now names another process: the
// pidfd pins the process, and the start time read after opening it shows it is the one seen.
void SignalIfSame(const ProcInfo& seen, int sig) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, seen.pid, 0));
  if (pidfd < 0) return;
  ProcInfo now;
  if (ReadProc(seen.pid, now) && now.start == seen.start) {
    ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
  }
  ::close(pidfd);
}

// True when `p` descends, through parents that are alive, from a process of session `sid`.
bool DescendsFromSession(const ProcInfo& p, const std::unordered_map<pid_t, ProcInfo>& by_pid,
                         pid_t sid, pid_t self) {
  pid_t parent = p.ppid;
  for (int depth = 0; depth < 4096 && parent > 1 && parent != self; ++depth) {
    auto it = by_pid.find(parent);
    if (it == by_pid.end()) return false;
    if (it->second.sid == sid) return true;
    parent = it->second.ppid;
  }
  return false;
}

struct Leftover {
  ProcInfo info;
  bool member;  // of the session; else a descendant of one that left it
};

// The processes of session `leader` but the leader, and their descendants, as /proc shows them.
std::vector<Leftover> FindLeftovers(pid_t leader, pid_t self) {
  const std::vector<ProcInfo> all = ListProcesses();
  std::unordered_map<pid_t, ProcInfo> by_pid;
  for (const ProcInfo& p : all) by_pid.emplace(p.pid, p);
  std::vector<Leftover> out;
  for (const ProcInfo& p : all) {
    if (p.pid == leader) continue;
    const bool member = p.sid == leader;
    if (member || DescendsFromSession(p, by_pid, leader, self)) out.push_back({p, member});
  }
  return out;
}

// Reaps the zombie children of this process that no running command owns.
void ReapOrphans() {
  siginfo_t info{};
  if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
  const pid_t self = ::getpid();
  std::vector<ProcInfo> zombies;
  for (const ProcInfo& p : ListProcesses()) {
    if (p.ppid == self && p.state == 'Z') zombies.push_back(p);
  }
  Leaders& leaders = TheLeaders();
  std::lock_guard lock(leaders.mu);
  for (const ProcInfo& z : zombies) {
    if (leaders.pids.contains(z.pid) || leaders.pids.contains(z.sid)) continue;
    ::waitpid(z.pid, nullptr, WNOHANG);
  }
}

}  // namespace

std::unique_lock<std::mutex> LockLeaders() { return std::unique_lock(TheLeaders().mu); }

void AddLeader(pid_t leader, const std::unique_lock<std::mutex>& /*lock*/) {
  TheLeaders().pids.insert(leader);
}

void RemoveLeader(pid_t leader) {
  Leaders& leaders = TheLeaders();
  std::lock_guard lock(leaders.mu);
  leaders.pids.erase(leader);
}

void BecomeSubreaper() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    std::thread([] {
      for (;;) {
        ReapOrphans();
        std::this_thread::sleep_for(kReapInterval);
      }
    }).detach();
  });
}

int KillAndReapSession(pid_t leader) {
  const pid_t self = ::getpid();
  // Stopped first, killed after: a process killed before its children were found would hand
  // them to this process (the subreaper) with no trace of where they came from. A stopped
  // process can neither fork nor exit. Each one stopped is killed below even if, its parent
  // gone, it can no longer be traced to the session.
  std::vector<ProcInfo> stopped;
  for (int round = 0; round < 10; ++round) {
    bool more = false;
    for (const Leftover& l : FindLeftovers(leader, self)) {
      const char state = l.info.state;
      if (state == 'Z' || state == 'X') continue;
      stopped.push_back(l.info);
      if (state == 'T' || state == 't') continue;
      SignalIfSame(l.info, SIGSTOP);
      more = true;
    }
    if (!more) break;
  }
  ::kill(-leader, SIGKILL);  // the group, the leader included: one call for the common case
  for (const ProcInfo& p : stopped) SignalIfSame(p, SIGKILL);
  const SteadyClock::time_point give_up = SteadyClock::now() + kKillPatience;
  for (;;) {
    bool left = false;
    bool reaped = false;
    for (const Leftover& l : FindLeftovers(leader, self)) {
      if (l.info.state != 'Z') {
        SignalIfSame(l.info, SIGKILL);
        left = true;
      }
      if (!l.member) continue;  // left the session: killed, and reaped by the orphan reaper
      if (l.info.ppid == self && ::waitpid(l.info.pid, nullptr, WNOHANG) == l.info.pid) {
        reaped = true;
      } else {
        left = true;  // dying, or the zombie of a dying member: it comes to this process
      }
    }
    if (!left || SteadyClock::now() >= give_up) break;
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int status = 0;
  while (::waitpid(leader, &status, 0) < 0 && errno == EINTR) {
  }
  RemoveLeader(leader);
  return status;
}

}  // namespace taskly::exec
