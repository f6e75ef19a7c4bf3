// `taskly stats`, `analyze`, `workers`, `nodes`: read-only views of the server.
#include <iostream>
#include <memory>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/render.h"

namespace taskly::cli {
namespace {

void AddView(CLI::App& app, Commands& commands, const std::string& name, const std::string& help,
             const std::string& path, void (*print)(std::ostream&, const Json&)) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->callback([&commands, path, print] {
    commands.action = [&commands, path, print]() -> Exit {
      Expected<std::unique_ptr<ApiClient>> api = ApiClient::Create(commands.global);
      if (!api.ok()) return api.exit();
      Expected<Json> answer = (*api)->get(path);
      if (!answer.ok()) return answer.exit();
      if (commands.global.json) {
        PrintJson(std::cout, *answer);
      } else {
        print(std::cout, *answer);
      }
      return Ok();
    };
  });
}

void PrintWorkers(std::ostream& out, const Json& answer) {
  PrintWorkerTable(
      out, answer.is_object() && answer.contains("workers") ? answer["workers"] : Json::array());
}

}  // namespace

void AddInfoCommands(CLI::App& app, Commands& commands) {
  AddView(app, commands, "stats", "Counters and latency percentiles since the server started",
          "/v1/stats", PrintStats);
  AddView(app, commands, "analyze",
          "Schedulability of the periodic schedules: utilization, RMS and EDF verdicts, "
          "schedules at risk",
          "/v1/analysis", PrintAnalysis);
  AddView(app, commands, "workers", "The server's worker slots and what they run", "/v1/workers",
          PrintWorkers);
  AddView(app, commands, "nodes", "The cluster: the leader, its term and the live nodes",
          "/v1/cluster", PrintCluster);
}

}  // namespace taskly::cli
