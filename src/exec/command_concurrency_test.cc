// RunCommand from many threads at once: each run gets its own output, and timeouts in some
// runs do not disturb the others. Also run under ThreadSanitizer.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "exec/command.h"

namespace taskly::exec {
namespace {

TEST(RunCommandConcurrencyTest, ManyThreadsRunCommandsAtOnce) {
  constexpr int kThreads = 8;
  constexpr int kRunsPerThread = 6;
  std::atomic<int> good{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &good] {
      for (int i = 0; i < kRunsPerThread; ++i) {
        const std::string tag = std::to_string(t) + "-" + std::to_string(i);
        CommandSpec spec;
        const bool slow = i % 3 == 2;
        spec.argv = {"/bin/sh", "-c", slow ? "exec sleep 30" : "echo $1; echo $1 >&2", "sh", tag};
        spec.timeout = slow ? std::chrono::milliseconds(100) : std::chrono::seconds(20);
        Result<CommandResult> r = RunCommand(spec);
        if (!r.ok()) {
          ADD_FAILURE() << tag << ": " << r.status().ToString();
          continue;
        }
        const bool ok = slow ? r->timed_out && r->signal == SIGTERM
                             : !r->timed_out && r->exit_code == 0 && r->stdout_data == tag + "\n" &&
                                   r->stderr_data == tag + "\n";
        EXPECT_TRUE(ok) << tag << ": exit " << r->exit_code << " out " << r->stdout_data;
        if (ok) good.fetch_add(1);
      }
    });
  }
  threads.clear();
  EXPECT_EQ(good.load(), kThreads * kRunsPerThread);
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace taskly::exec
