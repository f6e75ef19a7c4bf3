// `taskly backup FILE`: an online backup of the server's SQLite store (GET /v1/backup) into a new
// file. The copy holds every acknowledged write; restoring it is replacing the database with it
// (docs/operations.md).
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/api_client.h"
#include "cli/command.h"

namespace taskly::cli {

void AddBackupCommand(CLI::App& app, Commands& commands) {
  auto file = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("backup", "Copy the server's database, while it runs, into a new file");
  cmd->add_option("FILE", *file, "the new file (never overwritten)")->required();
  cmd->callback([&commands, file] {
    commands.action = [&commands, file]() -> Exit {
      std::error_code error;
      if (std::filesystem::exists(std::filesystem::symlink_status(*file, error))) {
        return UsageError("FILE: " + *file + " already exists (a backup never overwrites)");
      }
      Expected<std::unique_ptr<ApiClient>> api = ApiClient::Create(commands.global);
      if (!api.ok()) return api.exit();
      Expected<int64_t> bytes = (*api)->download("/v1/backup", *file);
      if (!bytes.ok()) return bytes.exit();
      if (commands.global.json) {
        std::cout << Json{{"file", *file}, {"bytes", *bytes}}.dump() << '\n';
      } else {
        std::cout << "backed up to " << *file << " (" << *bytes << " bytes)\n";
      }
      return Ok();
    };
  });
}

}  // namespace taskly::cli
