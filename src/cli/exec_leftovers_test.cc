// What a command task leaves behind in a real `taskly server`: processes that moved out of the
// command's process group are killed when the task ends, a daemon that escaped its session is
// reaped by the server when it exits, and the server keeps no zombie.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/cli_test_util.h"

namespace taskly::cli::testing {
namespace {

constexpr char kToken[] = "leftovers-test-token-0123456789";

// The zombie children of `parent`.
std::vector<pid_t> Zombies(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadFile(entry.path() / "stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = '?';
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid == parent && state == 'Z') out.push_back(std::atoi(name.c_str()));
  }
  return out;
}

// Neither running nor a zombie (kill(pid, 0) succeeds on a zombie).
bool Gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// Runs `code` with python3 as a command task and returns the pid it printed.
pid_t RunPython(const Server& server, const std::string& code) {
  CliRun r =
      RunTaskly({"--json", "submit", "--wait", "--exec", "--", "/usr/bin/python3", "-c", code},
                {{"TASKLY_SERVER", server.url()}, {"TASKLY_TOKEN", kToken}});
  EXPECT_EQ(r.code, 0) << r;
  if (r.code != 0) return -1;
  const Json task = r.json();
  return std::atoi(task["result"]["stdout"].get<std::string>().c_str());
}

TEST(ExecLeftovers, NothingACommandLeftOutsideItsGroupOutlivesTheTask) {
  TempDir dir;
  std::vector<std::string> args = {"--store", "memory"};
  for (const std::string& flag : ExecFlags()) args.push_back(flag);
  Server server(dir.path(), args, {{"TASKLY_TOKEN", kToken}});
  ASSERT_TRUE(server.Start());

  // A double fork into a process group of its own: killed when the task ends.
  const pid_t sleeper = RunPython(server,
                                  "import os\n"
                                  "if os.fork() == 0:\n"
                                  "    os.setpgid(0, 0)\n"
                                  "    pid = os.fork()\n"
                                  "    if pid == 0: os.execv('/bin/sleep', ['sleep', '1000'])\n"
                                  "    print(pid, flush=True)\n"
                                  "    os._exit(0)\n"
                                  "os.wait()\n");
  ASSERT_GT(sleeper, 1);
  EXPECT_TRUE(PollUntil([&] { return Gone(sleeper); }, 10s))
      << "sleep " << sleeper << " outlived its task";

  // A daemon (setsid, then a double fork) escapes the kill, but when it exits the server
  // reaps it.
  const pid_t daemon = RunPython(server,
                                 "import os\n"
                                 "if os.fork() == 0:\n"
                                 "    os.setsid()\n"
                                 "    pid = os.fork()\n"
                                 "    if pid == 0: os.execv('/bin/sleep', ['sleep', '0.3'])\n"
                                 "    print(pid, flush=True)\n"
                                 "    os._exit(0)\n"
                                 "os.wait()\n");
  ASSERT_GT(daemon, 1);
  EXPECT_TRUE(PollUntil([&] { return Gone(daemon); }, 10s))
      << daemon << " is still running or a zombie";
  EXPECT_TRUE(PollUntil([&] { return Zombies(server.pid()).empty(); }, 10s))
      << "the server has zombie children";
}

}  // namespace
}  // namespace taskly::cli::testing
