// RunCommand against real processes (/bin/sh, /usr/bin/python3, coreutils). Timeouts are short
// and only outcomes are asserted, never how long something took.
#include "exec/command.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "exec/exec_policy.h"

namespace taskly::exec {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

CommandSpec Sh(const std::string& script) {
  CommandSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.timeout = seconds(20);  // a safety net: no test should get near it
  return spec;
}

CommandSpec Python(const std::string& code) {
  CommandSpec spec;
  spec.argv = {"/usr/bin/python3", "-c", code};
  spec.timeout = seconds(20);
  return spec;
}

CommandResult RunOk(const CommandSpec& spec, std::stop_token stop = {}) {
  Result<CommandResult> r = RunCommand(spec, stop);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : CommandResult{};
}

// This process's open descriptors, but those on /proc: the orphan reaper thread holds one or
// two of those while it scans /proc, whenever this process has a zombie child.
int CountOpenFds() {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (!target.starts_with("/proc")) ++n;
  }
  return n;
}

// True when no process is left in group `pgid` and this process has no child at all (so no
// zombie of the command was left unreaped).
void ExpectGroupGoneAndReaped(pid_t pgid) {
  ASSERT_GT(pgid, 1);
  errno = 0;
  EXPECT_EQ(::kill(-pgid, 0), -1);
  EXPECT_EQ(errno, ESRCH) << "a process of group " << pgid << " is still there";
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD) << "an unreaped child is left";
}

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "taskly-exec-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(RunCommandTest, PassesArgvWithoutAShell) {
  CommandSpec spec;
  spec.argv = {"/usr/bin/printf", "[%s]", "a b; echo x", "$HOME", "*"};
  CommandResult r = RunOk(spec);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "[a b; echo x][$HOME][*]");
}

TEST(RunCommandTest, ReportsExitCodeAndCapturesBothStreams) {
  CommandResult r = RunOk(Sh("echo out; echo err >&2; exit 3"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.stdout_data, "out\n");
  EXPECT_EQ(r.stderr_data, "err\n");
  EXPECT_GT(r.run_time, Duration::zero());
}

TEST(RunCommandTest, ReportsTheKillingSignal) {
  CommandResult r = RunOk(Sh("kill -USR1 $$"));
  EXPECT_EQ(r.signal, SIGUSR1);
  EXPECT_EQ(r.exit_code, -1);
}

TEST(RunCommandTest, ChildLeadsItsOwnSessionAndProcessGroup) {
  CommandResult r = RunOk(Python("import os; print(os.getpid(), os.getpgrp(), os.getsid(0))"));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_data;
  int pid = 0, pgid = 0, sid = 0;
  ASSERT_EQ(std::sscanf(r.stdout_data.c_str(), "%d %d %d", &pid, &pgid, &sid), 3);
  EXPECT_EQ(pgid, pid);
  EXPECT_EQ(sid, pid);
  EXPECT_NE(pgid, ::getpgrp());
}

TEST(RunCommandTest, EnvironmentIsExactlyTheGivenOne) {
  CommandSpec spec;
  spec.argv = {"/usr/bin/env"};
  spec.env = {{"A", "1"}, {"B", "x y=z"}};
  EXPECT_EQ(RunOk(spec).stdout_data, "A=1\nB=x y=z\n");
  spec.env.clear();
  EXPECT_EQ(RunOk(spec).stdout_data, "");
}

TEST(RunCommandTest, LooksUpBareNamesInTheGivenPathOrTheDefault) {
  CommandSpec spec;
  spec.argv = {"env"};
  spec.env = {{"PATH", "/nonexistent:/usr/bin"}};
  EXPECT_EQ(RunOk(spec).stdout_data, "PATH=/nonexistent:/usr/bin\n");

  spec.env.clear();  // kDefaultPath is used for the lookup, and not added to the environment
  CommandResult r = RunOk(spec);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "");
}

TEST(RunCommandTest, RunsInTheGivenDirectory) {
  TempDir dir;
  CommandSpec spec;
  spec.argv = {"/bin/pwd", "-P"};
  spec.cwd = dir.path();
  EXPECT_EQ(RunOk(spec).stdout_data, std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(RunCommandTest, StdinIsDevNullAndOtherDescriptorsAreNotInherited) {
  // A descriptor without O_CLOEXEC, as a careless library might leave one.
  const int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  ASSERT_EQ(::dup2(leaked, 900), 900);
  CommandResult r =
      RunOk(Python("import os\n"
                   "print(os.readlink('/proc/self/fd/0'))\n"
                   "try:\n"
                   "  os.fstat(900)\n"
                   "  print('inherited')\n"
                   "except OSError:\n"
                   "  print('closed')\n"));
  ::close(900);
  ::close(leaked);
  EXPECT_EQ(r.stdout_data, "/dev/null\nclosed\n") << r.stderr_data;
}

TEST(RunCommandTest, MissingExecutableIsNotFound) {
  CommandSpec spec;
  spec.argv = {"/nonexistent/tool", "x"};
  Result<CommandResult> r = RunCommand(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().field(), "argv[0]");
  EXPECT_THAT(r.status().message(), HasSubstr("/nonexistent/tool"));

  spec.argv = {"no-such-taskly-tool"};
  r = RunCommand(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().field(), "argv[0]");
  EXPECT_THAT(r.status().message(), HasSubstr("no-such-taskly-tool"));
}

TEST(RunCommandTest, NonExecutableFileIsFailedPrecondition) {
  CommandSpec spec;
  spec.argv = {"/etc/passwd"};
  Result<CommandResult> r = RunCommand(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().field(), "argv[0]");
}

TEST(RunCommandTest, MissingDirectoryIsNotFound) {
  CommandSpec spec = Sh("true");
  spec.cwd = "/nonexistent/dir";
  Result<CommandResult> r = RunCommand(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().field(), "cwd");
}

TEST(RunCommandTest, InvalidSpecIsRefusedBeforeStarting) {
  CommandSpec spec;
  Result<CommandResult> r = RunCommand(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "argv");
}

TEST(RunCommandTest, TimeoutTerminatesTheCommand) {
  CommandSpec spec = Sh("sleep 30");
  spec.timeout = milliseconds(200);
  CommandResult r = RunOk(spec);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.signal, SIGTERM);
}

TEST(RunCommandTest, TimeoutKillsAGroupThatIgnoresSigterm) {
  // The shell and its background grandchild both ignore SIGTERM: only the SIGKILL after the
  // grace period ends them.
  CommandSpec spec = Sh("trap '' TERM; echo $$; sleep 1000 & echo $!; wait");
  spec.timeout = milliseconds(500);
  spec.kill_grace = milliseconds(200);
  CommandResult r = RunOk(spec);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  int pgid = 0, grandchild = 0;
  ASSERT_EQ(std::sscanf(r.stdout_data.c_str(), "%d %d", &pgid, &grandchild), 2) << r.stdout_data;
  ExpectGroupGoneAndReaped(pgid);
  errno = 0;
  EXPECT_EQ(::kill(grandchild, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(RunCommandTest, LeftoverBackgroundProcessesAreKilledWhenTheLeaderExits) {
  // `sleep` keeps stdout open; RunCommand must neither wait for it nor leave it running.
  CommandResult r = RunOk(Sh("echo $$; sleep 1000 & echo $!"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  int pgid = 0, grandchild = 0;
  ASSERT_EQ(std::sscanf(r.stdout_data.c_str(), "%d %d", &pgid, &grandchild), 2) << r.stdout_data;
  ExpectGroupGoneAndReaped(pgid);
  errno = 0;
  EXPECT_EQ(::kill(grandchild, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

// True once `pid` is neither running nor a zombie (kill(pid, 0) succeeds on a zombie).
bool Gone(pid_t pid) {
  for (int i = 0; i < 500; ++i) {  // 10 s at most
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

TEST(RunCommandTest, ProcessesThatLeftTheGroupAreKilledWhenTheLeaderExits) {
  // The leader's child moves to a process group of its own and starts `sleep` there, then
  // exits: `sleep` is an orphan of another group, but still of the command's session.
  CommandResult r =
      RunOk(Python("import os\n"
                   "if os.fork() == 0:\n"
                   "    os.setpgid(0, 0)\n"
                   "    pid = os.fork()\n"
                   "    if pid == 0: os.execv('/bin/sleep', ['sleep', '1000'])\n"
                   "    print(pid, flush=True)\n"
                   "    os._exit(0)\n"
                   "os.wait()\n"));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_data;
  const pid_t sleeper = std::atoi(r.stdout_data.c_str());
  ASSERT_GT(sleeper, 1) << r.stdout_data;
  EXPECT_TRUE(Gone(sleeper)) << "sleep " << sleeper << " outlived its command";
}

TEST(RunCommandTest, ANewSessionWhoseParentIsAliveIsKilledThroughItsParent) {
  // The leader's child stays; its own child calls setsid() and sleeps.
  CommandResult r =
      RunOk(Python("import os, time\n"
                   "if os.fork() == 0:\n"
                   "    pid = os.fork()\n"
                   "    if pid == 0:\n"
                   "        os.setsid()\n"
                   "        os.execv('/bin/sleep', ['sleep', '1000'])\n"
                   "    print(pid, flush=True)\n"
                   "    time.sleep(1000)\n"
                   "time.sleep(0.2)\n"));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_data;
  const pid_t sleeper = std::atoi(r.stdout_data.c_str());
  ASSERT_GT(sleeper, 1) << r.stdout_data;
  EXPECT_TRUE(Gone(sleeper)) << "sleep " << sleeper << " outlived its command";
}

// What cannot be caught (a new session, then its parent exits): it runs on, and when it exits
// the orphan reaper reaps it, so no zombie is left.
TEST(RunCommandTest, ADaemonThatEscapedIsReapedWhenItExits) {
  CommandResult r =
      RunOk(Python("import os\n"
                   "if os.fork() == 0:\n"
                   "    os.setsid()\n"
                   "    pid = os.fork()\n"
                   "    if pid == 0: os.execv('/bin/sleep', ['sleep', '0.3'])\n"
                   "    print(pid, flush=True)\n"
                   "    os._exit(0)\n"
                   "os.wait()\n"));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_data;
  const pid_t daemon = std::atoi(r.stdout_data.c_str());
  ASSERT_GT(daemon, 1) << r.stdout_data;
  EXPECT_TRUE(Gone(daemon)) << daemon << " was left running or a zombie";
}

TEST(RunCommandTest, StopTokenCancelsTheWholeGroup) {
  TempDir dir;
  const std::string ready = dir.path() + "/ready";
  // The command says it is running by renaming a file into place; only then is stop requested,
  // so the test does not depend on how fast the process starts.
  CommandSpec spec = Sh("trap '' TERM; echo $$; sleep 1000 & echo $$ > " + ready + ".tmp; mv " +
                        ready + ".tmp " + ready + "; wait");
  spec.kill_grace = milliseconds(100);
  std::stop_source stop;
  std::jthread stopper([&] {
    for (int i = 0; i < 2000 && !std::filesystem::exists(ready); ++i) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    stop.request_stop();
  });
  CommandResult r = RunOk(spec, stop.get_token());
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  int pgid = 0;
  ASSERT_EQ(std::sscanf(r.stdout_data.c_str(), "%d", &pgid), 1);
  ExpectGroupGoneAndReaped(pgid);
}

TEST(RunCommandTest, StopRequestedBeforeStartStartsNothing) {
  std::stop_source stop;
  stop.request_stop();
  Result<CommandResult> r = RunCommand(Sh("true"), stop.get_token());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

TEST(RunCommandTest, DrainsBothStreamsConcurrently) {
  // Each stream gets far more than a pipe buffer (64 KiB) while the other is being written, so
  // reading one stream at a time would deadlock.
  CommandResult r =
      RunOk(Python("import sys\n"
                   "for i in range(40):\n"
                   "  sys.stderr.buffer.write(b'e' * 10000); sys.stderr.flush()\n"
                   "  sys.stdout.buffer.write(b'o' * 10000); sys.stdout.flush()\n"));
  EXPECT_EQ(r.exit_code, 0) << r.stderr_data.substr(0, 200);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.stdout_data, std::string(400000, 'o'));
  EXPECT_EQ(r.stderr_data, std::string(400000, 'e'));
  EXPECT_FALSE(r.stdout_truncated);
  EXPECT_FALSE(r.stderr_truncated);
}

TEST(RunCommandTest, CapsOutputWithoutBlockingTheChild) {
  CommandSpec spec = Sh("head -c 300000 /dev/zero | tr '\\0' o; head -c 300000 /dev/zero >&2");
  spec.output_cap = 1000;
  CommandResult r = RunOk(spec);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.stdout_data, std::string(1000, 'o'));
  EXPECT_EQ(r.stderr_data.size(), 1000u);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_TRUE(r.stderr_truncated);

  CommandResult small = RunOk(Sh("echo hi"));
  EXPECT_FALSE(small.stdout_truncated);
}

TEST(RunCommandTest, CpuLimitStopsABusyLoop) {
  CommandSpec spec = Sh("while :; do :; done");
  spec.limits.cpu_seconds = 1;
  CommandResult r = RunOk(spec);
  EXPECT_FALSE(r.timed_out);
  EXPECT_THAT(r.signal, ::testing::AnyOf(SIGXCPU, SIGKILL));
}

TEST(RunCommandTest, OpenFilesLimitIsEnforced) {
  CommandSpec spec =
      Python("import os\nfds = [os.open('/dev/null', os.O_RDONLY) for _ in range(64)]");
  CommandResult unlimited = RunOk(spec);
  EXPECT_EQ(unlimited.exit_code, 0) << unlimited.stderr_data;

  spec.limits.open_files = 32;
  CommandResult limited = RunOk(spec);
  EXPECT_EQ(limited.exit_code, 1);
  EXPECT_THAT(limited.stderr_data, HasSubstr("Too many open files"));
}

TEST(RunCommandTest, AddressSpaceLimitIsEnforced) {
  CommandSpec spec = Python("b = bytearray(16 << 20)");
  spec.limits.address_space_bytes = uint64_t{256} << 20;
  CommandResult small = RunOk(spec);
  EXPECT_EQ(small.exit_code, 0) << small.stderr_data;

  spec.argv[2] = "b = bytearray(512 << 20)";
  CommandResult big = RunOk(spec);
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_THAT(big.stderr_data, HasSubstr("MemoryError"));
}

TEST(RunCommandTest, ProcessesLimitIsEnforced) {
  CommandSpec spec = Sh("/bin/true && echo forked");
  spec.cwd = "/";
  if (::geteuid() == 0) {
    // Root ignores RLIMIT_NPROC: run as an unprivileged user.
    Result<RunAs> nobody = LookupUser("nobody");
    ASSERT_TRUE(nobody.ok()) << nobody.status().ToString();
    spec.run_as = *nobody;
  }
  CommandResult unlimited = RunOk(spec);
  EXPECT_EQ(unlimited.stdout_data, "forked\n") << unlimited.stderr_data;

  // The limit counts every process of the user, and the command itself is one.
  spec.limits.processes = 1;
  CommandResult limited = RunOk(spec);
  EXPECT_NE(limited.exit_code, 0);
  EXPECT_EQ(limited.stdout_data, "");
  EXPECT_THAT(limited.stderr_data, HasSubstr("fork"));
}

TEST(RunCommandTest, RunsAsTheGivenUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  Result<RunAs> nobody = LookupUser("nobody");
  ASSERT_TRUE(nobody.ok()) << nobody.status().ToString();
  CommandSpec spec =
      Python("import os; print(os.getuid(), os.geteuid(), os.getgid(), os.getegid())");
  spec.cwd = "/";
  spec.run_as = *nobody;
  const std::string uid = std::to_string(nobody->uid), gid = std::to_string(nobody->gid);
  EXPECT_EQ(RunOk(spec).stdout_data, uid + " " + uid + " " + gid + " " + gid + "\n");
}

TEST(RunCommandTest, UserSwitchThatIsNotAllowedIsFailedPrecondition) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may switch to any user";
  CommandSpec spec = Sh("true");
  spec.run_as = RunAs{.uid = 0, .gid = 0, .groups = {}};
  Result<CommandResult> r = RunCommand(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

TEST(RunCommandTest, DoesNotLeakDescriptors) {
  // Warm up whatever opens a descriptor once per process (the subreaper call, locale data).
  RunOk(Sh("true"));
  const int before = CountOpenFds();
  RunOk(Sh("echo x; echo y >&2"));
  CommandSpec missing;
  missing.argv = {"/nonexistent/tool"};
  EXPECT_FALSE(RunCommand(missing).ok());
  CommandSpec bad_cwd = Sh("true");
  bad_cwd.cwd = "/nonexistent";
  EXPECT_FALSE(RunCommand(bad_cwd).ok());
  CommandSpec slow = Sh("sleep 30");
  slow.timeout = milliseconds(100);
  EXPECT_TRUE(RunOk(slow).timed_out);
  EXPECT_EQ(CountOpenFds(), before);
}

}  // namespace
}  // namespace taskly::exec
