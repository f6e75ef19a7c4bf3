// The `taskly` command as a function: parses the command line (CLI11), runs the chosen
// subcommand, and turns its outcome into the documented exit code (exit_codes.h, docs/cli.md).
// main() is one call of it; a program that embeds the server (a test's, say) passes handlers
// that `taskly server` registers beside its own.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "taskly/scheduler.h"

namespace taskly::cli {

// Returns the process's exit code. `extra_handlers` (type, handler) are registered by the
// `server` and `worker` commands after the built-in exec and echo handlers.
int RunCli(int argc, char** argv, std::vector<std::pair<std::string, Handler>> extra_handlers = {});

}  // namespace taskly::cli
