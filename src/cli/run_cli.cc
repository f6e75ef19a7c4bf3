#include "cli/run_cli.h"

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.h"
#include "cli/config_file.h"
#include "cli/exit_codes.h"
#include "cli/flag_checks.h"
#include "cli/secrets.h"

namespace {

constexpr char kFooter[] =
    "Exit codes: 0 ok; 1 the server answered with an error (or the server could not start); "
    "2 usage error; 3 the server could not be reached; 4 --wait: the task ended dead, "
    "cancelled or expired; 5 --wait-timeout passed.\n"
    "Options also come from TASKLY_<OPTION> environment variables (TASKLY_SERVER, "
    "TASKLY_TOKEN, TASKLY_DATA_DIR, TASKLY_LISTEN...) and --config FILE; flags win over the "
    "environment, the environment over the file. Secrets are never taken from the command line: "
    "the token comes from TASKLY_TOKEN, --token-file or the config file, a Redis password from "
    "TASKLY_STORE, TASKLY_STORE_PASSWORD, --store-password-file or the config file.";

void AddGlobalOptions(CLI::App& app, taskly::cli::GlobalOptions& g) {
  app.add_option("--server", g.server, "URL of the taskly server")
      ->envname("TASKLY_SERVER")
      ->capture_default_str();
  // Only TASKLY_TOKEN and the config file's `token` set it: RefuseSecretsInArgv (secrets.h)
  // refuses the flag on the command line, where every local user could read it.
  app.add_option("--token", g.token, "")->envname("TASKLY_TOKEN")->group("");
  app.add_option("--token-file", g.token_file,
                 "file holding the API token, mode 0600 (or set TASKLY_TOKEN; default: the "
                 "token file in the data dir)")
      ->envname("TASKLY_TOKEN_FILE");
  app.add_option("--data-dir", g.data_dir, "the server's data dir (database and token file)")
      ->envname("TASKLY_DATA_DIR")
      ->capture_default_str();
  app.add_option("--request-timeout", g.request_timeout, "give up on one HTTP request after this")
      ->envname("TASKLY_REQUEST_TIMEOUT")
      ->check(taskly::cli::PositiveDurationCheck())
      ->capture_default_str();
  app.add_flag("--json", g.json, "print JSON (the API's documents) instead of tables");
}

}  // namespace

namespace taskly::cli {

int RunCli(int argc, char** argv, std::vector<std::pair<std::string, Handler>> extra_handlers) {
  using taskly::cli::ExitCode;
  taskly::cli::Commands commands;
  commands.extra_handlers = std::move(extra_handlers);
  if (argc > 0 && std::string(argv[0]).find('/') != std::string::npos) commands.program = argv[0];

  CLI::App app("taskly: background jobs, cron and schedulability analysis", "taskly");
  app.fallthrough();  // global options may follow the subcommand; set before adding them
  app.require_subcommand(1);
  app.footer(kFooter);
  app.set_version_flag("--version", "taskly 0.1.0");
  app.config_formatter(std::make_shared<taskly::cli::EnvFirstConfig>(&app));
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.set_config("--config", "",
                 "read options from a TOML or INI file ([server] and [worker] "
                 "sections for their options)");
  AddGlobalOptions(app, commands.global);
  taskly::cli::AddServerCommand(app, commands);
  taskly::cli::AddWorkerCommand(app, commands);
  taskly::cli::AddTaskCommands(app, commands);
  taskly::cli::AddScheduleCommands(app, commands);
  taskly::cli::AddQueueCommands(app, commands);
  taskly::cli::AddInfoCommands(app, commands);
  taskly::cli::AddCronCommand(app, commands);
  taskly::cli::AddBackupCommand(app, commands);

  if (Exit refused = RefuseSecretsInArgv(argc, argv); refused.code != ExitCode::kOk) {
    std::cerr << "taskly: " << refused.message << '\n';
    return static_cast<int>(refused.code);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string message = e.what();
    // CLI11 words an unknown config file key as a parse failure.
    constexpr std::string_view kExtra = "INI was not able to parse ";
    if (message.starts_with(kExtra)) {
      message = "config file: unknown option \"" + message.substr(kExtra.size()) + "\"";
    }
    // CLI11 reports a missing subcommand before the word it could not use as one.
    CLI::App* deepest = &app;
    while (!deepest->get_subcommands().empty()) deepest = deepest->get_subcommands().front();
    // (Unused words may be left with the subcommand or, with fallthrough, with the app.)
    std::vector<std::string> unused = deepest->remaining();
    if (unused.empty()) unused = app.remaining();
    if (e.get_name() == "RequiredError" && deepest->get_require_subcommand_min() > 0 &&
        !unused.empty()) {
      message = "unknown command \"" + unused.front() + "\"";
    }
    std::cerr << "taskly: " << message << "\nRun with --help for more information.\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  if (!commands.action) {  // a command group without its subcommand
    std::cerr << "taskly: a command is required\nRun with --help for more information.\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  taskly::cli::Exit exit;
  try {
    exit = commands.action();
  } catch (const std::exception& e) {
    exit = {ExitCode::kServerError, std::string("internal error: ") + e.what()};
  }
  if (!exit.message.empty()) std::cerr << "taskly: " << exit.message << '\n';
  return static_cast<int>(exit.code);
}

}  // namespace taskly::cli
