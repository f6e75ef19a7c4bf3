// `taskly worker`: a node that only runs tasks. It serves --queues from the cluster's shared
// store (Redis) with --concurrency slots, sends the cluster its heartbeat, never leads (no
// schedules, no maintenance) and has no API. It registers the same handlers as the server.
//
// Shutdown is the server's (shutdown_signals.h): on SIGTERM or SIGINT it stops claiming, hands
// back prefetched tasks that did not start, lets running ones finish for --grace, then stops
// them, leaves the cluster and exits with 0.
//
// While Redis is unreachable the workers keep retrying with backoff (src/core/worker.cc); their
// tasks' leases run out and the leader redelivers them, so nothing is lost.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/node_setup.h"
#include "cli/open_store.h"
#include "cli/secrets.h"
#include "cli/server_flags.h"
#include "cli/shutdown_signals.h"

namespace taskly::cli {
namespace {

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

Exit RunWorker(const Commands& commands, const ServerFlags& f) {
  if (!f.store.starts_with("redis://")) {
    return UsageError("--store: a worker needs the cluster's shared store, redis://HOST:PORT/DB (" +
                      f.store.substr(0, f.store.find(':')) +
                      " stores belong to one server: run `taskly server` instead)");
  }
  const sigset_t signals = BlockShutdownSignals();
  SetUpLogging(f.log_level);
  Expected<Handler> exec_handler = ExecHandlerFor(f);
  if (!exec_handler.ok()) return exec_handler.exit();

  Expected<std::string> store_spec = StoreWithPassword(f.store, f.store_password_file);
  if (!store_spec.ok()) return store_spec.exit();
  Expected<OpenedStore> store = OpenStore(*store_spec, RetentionPolicy{});
  if (!store.ok()) return store.exit();
  Expected<std::unique_ptr<Scheduler>> scheduler =
      CreateNodeScheduler(commands, f, *store, std::move(*exec_handler), "worker", "");
  if (!scheduler.ok()) return scheduler.exit();
  if (Status s = (*scheduler)->start(); !s.ok()) {
    return Exit{ExitCode::kServerError, "cannot start the workers: " + s.ToString()};
  }
  const std::string node = f.node_id.empty() ? DefaultNodeId() : f.node_id;
  const size_t slots = (*scheduler)->workers().size();
  spdlog::info("worker node {} running {} slot(s) on {} (store {})", node, slots, Join(f.queues),
               store->description);
  std::cout << "taskly worker is running\n"
            << "  node:      " << node << '\n'
            << "  store:     " << store->description << '\n'
            << "  queues:    " << Join(f.queues) << '\n'
            << "  slots:     " << slots << '\n'
            << "  exec:      "
            << (f.allow_exec ? "enabled" : "disabled (start with --allow-exec to run commands)")
            << '\n'
            << "Stop with Ctrl-C (or SIGTERM): running tasks get --grace to finish.\n"
            << std::flush;

  RunUntilShutdown(signals, f, *scheduler, *store);
  return Ok();
}

}  // namespace

void AddWorkerCommand(CLI::App& app, Commands& commands) {
  auto flags = std::make_shared<ServerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "worker", "Run workers only (no API, never leads) over a cluster's shared Redis store");
  AddWorkerFlags(*cmd, *flags);
  cmd->callback([&commands, flags] {
    commands.action = [&commands, flags] { return RunWorker(commands, *flags); };
  });
}

}  // namespace taskly::cli
