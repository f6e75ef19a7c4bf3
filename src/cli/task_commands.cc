// `taskly submit`, `ls`, `show`, `cancel`, `retry`.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/flag_checks.h"
#include "cli/render.h"
#include "cli/task_flags.h"
#include "codec/json_codec.h"
#include "taskly/task.h"

namespace taskly::cli {
namespace {

struct SubmitFlags {
  std::vector<std::string> words;  // TYPE, or the command's argv with --exec
  TaskFlags task;
  std::string run_at;
  std::string delay;
  bool wait = false;
  std::string wait_timeout;
};

bool IsTerminalState(const std::string& state) {
  return state == "succeeded" || state == "dead" || state == "cancelled" || state == "expired";
}

// Polls the task until it is terminal: short polls at first (most tasks are quick), then up
// to one a second. `timeout` zero waits for ever.
Expected<Json> WaitForTask(ApiClient& api, const std::string& id, Duration timeout) {
  using std::chrono::steady_clock;
  const auto start = steady_clock::now();
  auto pause = std::chrono::milliseconds(20);
  while (true) {
    Expected<Json> task = api.get("/v1/tasks/" + PathSegment(id));
    if (!task.ok() || IsTerminalState(Field(*task, "state"))) return task;
    const auto waited = steady_clock::now() - start;
    if (timeout > Duration::zero() && waited >= timeout) {
      return Exit{ExitCode::kWaitTimeout, "task " + id + " is still " + Field(*task, "state") +
                                              " after --wait-timeout " +
                                              codec::FormatDuration(timeout)};
    }
    auto sleep = std::chrono::duration_cast<Duration>(pause);
    if (timeout > Duration::zero()) sleep = std::min(sleep, timeout - waited);
    std::this_thread::sleep_for(sleep);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

Exit RunSubmit(const GlobalOptions& global, const SubmitFlags& f) {
  std::string type;
  if (!f.task.exec) {
    if (f.words.size() != 1) {
      return UsageError(f.words.empty() ? "TYPE is required (or --exec -- COMMAND...)"
                                        : "unexpected arguments after TYPE (a command needs "
                                          "--exec -- COMMAND...)");
    }
    type = f.words.front();
  }
  const TimePoint now = RealClock().now();
  Expected<TaskSpec> spec = BuildTaskSpec(f.task, type, f.words, now);
  if (!spec.ok()) return spec.exit();
  if (!f.run_at.empty()) spec->run_at = *ParseTimeOrOffset(f.run_at, now);
  Json body = codec::TaskSpecToJson(*spec);
  // The server adds the delay to its own clock.
  if (!f.delay.empty()) body["delay"] = f.delay;

  Expected<std::unique_ptr<ApiClient>> api = ApiClient::Create(global);
  if (!api.ok()) return api.exit();
  Expected<Json> created = (*api)->post("/v1/tasks", body);
  if (!created.ok()) return created.exit();
  const std::string id = Field(*created, "id", "");
  if (!f.wait) {
    if (global.json) {
      PrintJson(std::cout, *created);
    } else if (created->value("created", true)) {
      std::cout << "submitted " << id << '\n';
    } else {
      std::cout << "already submitted: " << id << " (same unique key)\n";
    }
    return Ok();
  }
  const Duration timeout =
      f.wait_timeout.empty() ? Duration::zero() : *codec::ParseDuration(f.wait_timeout, "");
  Expected<Json> task = WaitForTask(**api, id, timeout);
  if (!task.ok()) return task.exit();
  if (global.json) {
    PrintJson(std::cout, *task);
  } else {
    PrintTask(std::cout, *task);
  }
  const std::string state = Field(*task, "state");
  if (state == "succeeded") return Ok();
  return Exit{ExitCode::kTaskFailed, "task " + id + " ended " + state};
}

void AddSubmit(CLI::App& app, Commands& commands) {
  auto flags = std::make_shared<SubmitFlags>();
  CLI::App* cmd = app.add_subcommand("submit", "Submit a task (or a command with --exec)");
  cmd->add_option("TYPE", flags->words, "the task type (its handler); with --exec: the command")
      ->type_name("TYPE | -- COMMAND...");
  AddTaskFlags(*cmd, flags->task);
  auto* run_at = cmd->add_option("--run-at", flags->run_at,
                                 "start no earlier than: an RFC 3339 time or +DURATION")
                     ->check(TimeOrOffsetCheck());
  cmd->add_option("--delay", flags->delay, "start no earlier than this long from now")
      ->check(DurationCheck())
      ->excludes(run_at);
  auto* wait = cmd->add_flag("--wait,-w", flags->wait,
                             "wait until the task ends and print it (exit 4 unless it succeeded)");
  cmd->add_option("--wait-timeout", flags->wait_timeout, "give up waiting after this long (exit 5)")
      ->check(PositiveDurationCheck())
      ->needs(wait);
  cmd->callback([&commands, flags] {
    commands.action = [&commands, flags] { return RunSubmit(commands.global, *flags); };
  });
}

struct ListFlags {
  std::string state, queue, type, label, after;
  int32_t limit = 0;
  bool all = false;
};

Exit RunList(const GlobalOptions& global, const ListFlags& f) {
  QueryParams query;
  if (!f.state.empty()) query.emplace_back("state", f.state);
  if (!f.queue.empty()) query.emplace_back("queue", f.queue);
  if (!f.type.empty()) query.emplace_back("type", f.type);
  if (!f.label.empty()) {
    auto [key, value] = SplitKeyValue(f.label);
    query.emplace_back("label", key + ":" + value);
  }
  if (f.limit > 0) query.emplace_back("limit", std::to_string(f.limit));
  Expected<std::unique_ptr<ApiClient>> api = ApiClient::Create(global);
  if (!api.ok()) return api.exit();

  Json tasks = Json::array();
  std::string next = f.after;
  do {
    QueryParams page = query;
    if (!next.empty()) page.emplace_back("after", next);
    Expected<Json> answer = (*api)->get("/v1/tasks", page);
    if (!answer.ok()) return answer.exit();
    if (answer->contains("tasks") && (*answer)["tasks"].is_array()) {
      for (Json& t : (*answer)["tasks"]) tasks.push_back(std::move(t));
    }
    next = Field(*answer, "next", "");
  } while (f.all && !next.empty());

  if (global.json) {
    Json out = {{"tasks", std::move(tasks)}};
    if (!next.empty()) out["next"] = next;
    PrintJson(std::cout, out);
    return Ok();
  }
  if (tasks.empty()) {
    std::cout << "no tasks\n";
  } else {
    PrintTaskTable(std::cout, tasks);
  }
  if (!next.empty()) std::cerr << "more: taskly ls --after " << next << " (or --all)\n";
  return Ok();
}

void AddList(CLI::App& app, Commands& commands) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* cmd = app.add_subcommand("ls", "List tasks, oldest first");
  cmd->add_option("--state,-s", flags->state,
                  "scheduled|pending|active|succeeded|dead|cancelled|expired")
      ->check(CLI::Validator(
          [](std::string& s) {
            Result<TaskState> state = ParseTaskState(s, "");
            return state.ok() ? std::string() : state.status().message();
          },
          "STATE", "state"));
  cmd->add_option("--queue,-q", flags->queue, "only this queue")->check(NameCheck());
  cmd->add_option("--type,-t", flags->type, "only this type")->check(NameCheck());
  cmd->add_option("--label,-l", flags->label, "only tasks with this KEY=VALUE label")
      ->check(KeyValueCheck());
  cmd->add_option("--limit,-n", flags->limit, "tasks per page (1-1000, default 100)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--after", flags->after, "the cursor printed by the previous page");
  cmd->add_flag("--all,-a", flags->all, "follow every page");
  cmd->callback([&commands, flags] {
    commands.action = [&commands, flags] { return RunList(commands.global, *flags); };
  });
}

// show, cancel and retry: one task id, one request, the task printed.
void AddTaskAction(CLI::App& app, Commands& commands, const std::string& name,
                   const std::string& help, const std::string& verb) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("ID", *id, "the task's id")->required();
  cmd->callback([&commands, id, name, verb] {
    commands.action = [&commands, id, name, verb]() -> Exit {
      Expected<std::unique_ptr<ApiClient>> api = ApiClient::Create(commands.global);
      if (!api.ok()) return api.exit();
      const std::string path = "/v1/tasks/" + PathSegment(*id);
      Expected<Json> task = name == "show" ? (*api)->get(path) : (*api)->post(path + "/" + name);
      if (!task.ok()) return task.exit();
      if (commands.global.json) {
        PrintJson(std::cout, *task);
      } else if (name == "show") {
        PrintTask(std::cout, *task);
      } else {
        std::cout << verb << ' ' << *id << " (now " << Field(*task, "state") << ")\n";
      }
      return Ok();
    };
  });
}

}  // namespace

void AddTaskCommands(CLI::App& app, Commands& commands) {
  AddSubmit(app, commands);
  AddList(app, commands);
  AddTaskAction(app, commands, "show", "Show one task in detail", "");
  AddTaskAction(app, commands, "cancel", "Cancel a task (stops a running attempt)", "cancelled");
  AddTaskAction(app, commands, "retry", "Run a dead, cancelled or expired task again", "retried");
}

}  // namespace taskly::cli
