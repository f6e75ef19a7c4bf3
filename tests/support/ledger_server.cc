// `taskly` with one more task type for the crash tests: "ledger" appends its payload and a
// newline to the file named by TASKLY_TEST_LEDGER, a record of every execution kept outside the
// store. The write reaches the kernel before the handler returns, so it survives a SIGKILL of
// this process; everything else is the real `taskly server`.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli/run_cli.h"

namespace {

taskly::Outcome AppendToLedger(taskly::TaskContext& ctx) {
  const char* path = std::getenv("TASKLY_TEST_LEDGER");
  if (path == nullptr) return taskly::Outcome::Permanent("TASKLY_TEST_LEDGER is not set");
  const std::string line = std::string(ctx.payload()) + "\n";
  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return taskly::Outcome::Retry(std::string("open ledger: ") + std::strerror(errno));
  // One write with O_APPEND: lines from concurrent workers never interleave.
  const ssize_t n = ::write(fd, line.data(), line.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) return taskly::Outcome::Retry("short ledger write");
  return taskly::Outcome::Success();
}

}  // namespace

int main(int argc, char** argv) {
  return taskly::cli::RunCli(argc, argv, {{"ledger", AppendToLedger}});
}
