// What `taskly server` and `taskly worker` share once their flags are parsed: the log, and the
// Scheduler that makes the process one node of the cluster (its store's coordinator, its node
// description, the built-in handlers and the embedder's extra ones).
#pragma once

#include <signal.h>

#include <functional>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/open_store.h"
#include "cli/server_flags.h"
#include "taskly/scheduler.h"

namespace taskly::cli {

// Logs to stderr at `level` (as --log-level accepted it), every message escaped by
// EscapingSink (log_escape.h).
void SetUpLogging(const std::string& level);

// The exec handler for the exec flags of `f` (see handlers.h); a usage error naming the flag.
Expected<Handler> ExecHandlerFor(const ServerFlags& f);

// A scheduler (not started) over `store` for this node: role "server" (leads when it can; `api`
// is its URL) or "worker" (never leads, no API). Registers exec, echo and
// `commands.extra_handlers`. Usage errors name the flag of a refused option.
Expected<std::unique_ptr<Scheduler>> CreateNodeScheduler(const Commands& commands,
                                                         const ServerFlags& f, OpenedStore& store,
                                                         Handler exec_handler,
                                                         const std::string& role,
                                                         const std::string& api);

// The node's graceful shutdown, on the main thread: waits for SIGTERM or SIGINT on `signals`
// (BlockShutdownSignals), runs `before_stop` (the server stops its API there), then stops the
// scheduler with the --grace of `f` (a second signal exits at once), and closes the scheduler,
// the coordinator and the store in that order.
void RunUntilShutdown(const sigset_t& signals, const ServerFlags& f,
                      std::unique_ptr<Scheduler>& scheduler, OpenedStore& store,
                      const std::function<void()>& before_stop = {});

}  // namespace taskly::cli
