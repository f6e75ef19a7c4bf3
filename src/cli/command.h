// What every subcommand of `taskly` shares: the global options and the way a subcommand hands
// its work back to main().
//
// Each Add*Command function adds its subcommand(s) to the CLI11 app. When the user picks one,
// its CLI11 callback (run after parsing succeeded) stores the command's work in
// `Commands::action`; main() then runs it and turns its Exit into the process's exit code. So
// parsing errors (exit 2) are all raised before anything is done.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cli/exit_codes.h"
#include "taskly/scheduler.h"

namespace taskly::cli {

// Options of the top-level app; CLI11's fallthrough lets them follow the subcommand too.
struct GlobalOptions {
  std::string server = "http://127.0.0.1:8080";  // --server, TASKLY_SERVER
  std::string token;                     // TASKLY_TOKEN or the config file (never argv: secrets.h)
  std::string token_file;                // --token-file, TASKLY_TOKEN_FILE
  std::string data_dir = "taskly-data";  // --data-dir, TASKLY_DATA_DIR
  bool json = false;                     // --json
  std::string request_timeout = "30s";   // --request-timeout
};

struct Commands {
  GlobalOptions global;
  std::string program = "taskly";  // how the user invoked us (argv[0]), for printed examples
  std::function<Exit()> action;    // set by the chosen subcommand's callback
  // Handlers `server` and `worker` register beside exec and echo (see run_cli.h).
  std::vector<std::pair<std::string, Handler>> extra_handlers;
};

void AddServerCommand(CLI::App& app, Commands& commands);
void AddWorkerCommand(CLI::App& app, Commands& commands);
void AddTaskCommands(CLI::App& app, Commands& commands);  // submit, ls, show, cancel, retry
void AddScheduleCommands(CLI::App& app, Commands& commands);
void AddQueueCommands(CLI::App& app, Commands& commands);
void AddInfoCommands(CLI::App& app, Commands& commands);  // stats, analyze, workers, nodes
void AddCronCommand(CLI::App& app, Commands& commands);
void AddBackupCommand(CLI::App& app, Commands& commands);

}  // namespace taskly::cli
