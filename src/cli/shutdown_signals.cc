#include "cli/shutdown_signals.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

#include "cli/exit_codes.h"

namespace taskly::cli {

sigset_t BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return set;
}

int WaitForShutdownSignal(const sigset_t& signals) {
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  return signal_number;
}

std::jthread ExitOnSecondSignal(const sigset_t& signals) {
  return std::jthread([signals, first = std::chrono::steady_clock::now()](std::stop_token stop) {
    constexpr auto kDuplicateWindow = std::chrono::milliseconds(500);
    const timespec tick{0, 100'000'000};
    while (!stop.stop_requested()) {
      if (sigtimedwait(&signals, nullptr, &tick) <= 0) continue;
      if (std::chrono::steady_clock::now() - first < kDuplicateWindow) {
        spdlog::info("a repeated signal right after the first: still shutting down gracefully");
        continue;
      }
      spdlog::warn("second signal: exiting without waiting for running tasks");
      std::_Exit(static_cast<int>(ExitCode::kServerError));
    }
  });
}

}  // namespace taskly::cli
