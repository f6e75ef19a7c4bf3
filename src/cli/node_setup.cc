#include "cli/node_setup.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <thread>

#include "cli/handlers.h"
#include "cli/log_escape.h"
#include "cli/shutdown_signals.h"
#include "codec/json_codec.h"
#include "exec/command.h"

namespace taskly::cli {
namespace {

// A usage error for a Status of Scheduler::Create about option `field` ("queues[1]").
Exit SchedulerOptionError(const Status& s, const std::string& role) {
  std::string flag = s.field().substr(0, s.field().find('['));
  std::replace(flag.begin(), flag.end(), '_', '-');
  if (flag == "slots" && role == "worker") flag = "concurrency";
  return UsageError("--" + flag + ": " + s.message());
}

std::string HostName() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) return "localhost";
  return host.data();
}

}  // namespace

void SetUpLogging(const std::string& level) {
  // Every message goes through EscapingSink, so that no input logged anywhere can start a line
  // of its own or send the terminal an escape sequence (log_escape.h).
  auto logger = std::make_shared<spdlog::logger>(
      "taskly", EscapingSink(std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

Expected<Handler> ExecHandlerFor(const ServerFlags& f) {
  // Processes that commands leave behind are re-parented to this process and reaped by it,
  // instead of init's (exec/command.h).
  if (f.allow_exec) exec::BecomeSubreaper();
  exec::ExecPolicy policy;
  policy.enabled = f.allow_exec;
  policy.allowlist = f.exec_allow.empty() ? std::vector<std::string>{"*"} : f.exec_allow;
  if (!f.exec_user.empty()) policy.run_as_user = f.exec_user;
  policy.max_result_bytes = static_cast<size_t>(f.max_result);
  return MakeExecTaskHandler(policy);
}

Expected<std::unique_ptr<Scheduler>> CreateNodeScheduler(const Commands& commands,
                                                         const ServerFlags& f, OpenedStore& store,
                                                         Handler exec_handler,
                                                         const std::string& role,
                                                         const std::string& api) {
  SchedulerOptions options;
  options.store = store.store.get();
  options.slots = f.slots;
  options.queues = f.queues;
  options.selector = *ParseSelectorKind(f.selector);
  options.prefetch = f.prefetch;
  options.lease = *codec::ParseDuration(f.lease, "");
  options.on_warning = [](const std::string& message) { spdlog::warn("{}", message); };
  options.coordinator = store.coordinator.get();
  options.lead = role == "server";
  options.leader_ttl = *codec::ParseDuration(f.leader_ttl, "");
  options.min_schedule_period = *codec::ParseDuration(f.min_schedule_period, "");
  options.max_result_bytes = static_cast<size_t>(f.max_result);
  options.node.id = f.node_id.empty() ? DefaultNodeId() : f.node_id;
  options.node.role = role;
  options.node.host = HostName();
  options.node.pid = ::getpid();
  options.node.api = api;
  options.node.started_at = RealClock().now();
  Result<std::unique_ptr<Scheduler>> created = Scheduler::Create(options);
  if (!created.ok()) return SchedulerOptionError(created.status(), role);
  std::unique_ptr<Scheduler> scheduler = std::move(*created);

  Status registered = RegisterHandlers(*scheduler, std::move(exec_handler));
  for (const auto& [type, handler] : commands.extra_handlers) {
    if (registered.ok()) registered = scheduler->handle(type, handler);
  }
  if (!registered.ok()) {
    return Exit{ExitCode::kServerError, "cannot register the handlers: " + registered.ToString()};
  }
  return scheduler;
}

void RunUntilShutdown(const sigset_t& signals, const ServerFlags& f,
                      std::unique_ptr<Scheduler>& scheduler, OpenedStore& store,
                      const std::function<void()>& before_stop) {
  const int signal_number = WaitForShutdownSignal(signals);
  const Duration grace = *codec::ParseDuration(f.grace, "");
  spdlog::info("{}: shutting down; running tasks have {} to finish (send it again to exit now)",
               strsignal(signal_number), codec::FormatDuration(grace));
  std::jthread impatient = ExitOnSecondSignal(signals);
  if (before_stop) before_stop();
  scheduler->stop(grace);
  scheduler.reset();
  store.coordinator.reset();
  store.store.reset();
  spdlog::info("stopped");
}

}  // namespace taskly::cli
