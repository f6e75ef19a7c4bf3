// `taskly schedule add|ls|show|rm|pause|resume`.
#include <iostream>
#include <memory>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/flag_checks.h"
#include "cli/render.h"
#include "cli/task_flags.h"
#include "codec/json_codec.h"
#include "taskly/schedule.h"

namespace taskly::cli {
namespace {

struct AddFlags {
  std::string id;
  std::vector<std::string> argv;  // with --exec: the command
  std::string type;
  std::string cron, tz, every, anchor, once;
  std::string misfire, misfire_grace, overlap, start_within, wcet;
  std::optional<int32_t> max_catch_up;
  bool paused = false;
  TaskFlags task;
};

template <typename Parse>
CLI::Validator EnumCheck(Parse parse, const std::string& names) {
  return CLI::Validator(
      [parse](std::string& text) {
        auto parsed = parse(text, "");
        return parsed.ok() ? std::string() : parsed.status().message();
      },
      names, names);
}

Duration DurationOf(const std::string& text) {
  return text.empty() ? Duration::zero() : *codec::ParseDuration(text, "");
}

Expected<ScheduleSpec> BuildSchedule(const AddFlags& f, TimePoint now) {
  ScheduleSpec spec;
  spec.id = f.id;
  const std::vector<std::string>& argv = f.argv;
  if (!f.task.exec) {
    if (!argv.empty()) {
      return UsageError("unexpected arguments after ID (a command needs --exec -- COMMAND...)");
    }
    if (f.type.empty()) return UsageError("--type is required (or --exec -- COMMAND...)");
  }
  Expected<TaskSpec> task = BuildTaskSpec(f.task, f.type, argv, now);
  if (!task.ok()) return task.exit();
  spec.task = std::move(*task);
  if (!f.cron.empty()) spec.cron = f.cron;
  if (!f.tz.empty()) spec.tz = f.tz;
  spec.every = DurationOf(f.every);
  if (!f.anchor.empty()) spec.anchor = *ParseTimeOrOffset(f.anchor, now);
  if (!f.once.empty()) spec.once = *ParseTimeOrOffset(f.once, now);
  if (!f.misfire.empty()) spec.misfire.policy = *ParseMisfirePolicy(f.misfire);
  if (f.max_catch_up) spec.misfire.max_catch_up = *f.max_catch_up;
  if (!f.misfire_grace.empty()) spec.misfire.grace = DurationOf(f.misfire_grace);
  if (!f.overlap.empty()) spec.overlap = *ParseOverlapPolicy(f.overlap);
  spec.start_within = DurationOf(f.start_within);
  spec.wcet = DurationOf(f.wcet);
  spec.paused = f.paused;
  if (Status s = ValidateScheduleSpec(spec); !s.ok()) {
    if (s.field() == "task.type") return UsageError("--type: " + s.message());
    return FieldError(s, "task.");
  }
  return spec;
}

Exit RunAdd(const GlobalOptions& global, const AddFlags& f) {
  Expected<ScheduleSpec> spec = BuildSchedule(f, RealClock().now());
  if (!spec.ok()) return spec.exit();
  Expected<std::unique_ptr<ApiClient>> api = ApiClient::Create(global);
  if (!api.ok()) return api.exit();
  Expected<Json> info = (*api)->post("/v1/schedules", codec::ScheduleSpecToJson(*spec));
  if (!info.ok()) return info.exit();
  if (global.json) {
    PrintJson(std::cout, *info);
  } else {
    std::cout << "added schedule " << spec->id << " (next due " << Field(*info, "next_due", "never")
              << ")\n";
  }
  return Ok();
}

void AddAdd(CLI::App& schedule, Commands& commands) {
  auto f = std::make_shared<AddFlags>();
  CLI::App* cmd = schedule.add_subcommand("add", "Add a schedule: cron, every or once");
  cmd->add_option("ID", f->id, "the schedule's id")->required();
  cmd->add_option("COMMAND", f->argv, "with --exec: -- and the command");
  cmd->add_option("--type,-t", f->type, "the type of each tick's task")->check(NameCheck());
  auto* cron = cmd->add_option("--cron", f->cron, "cron expression (5 or 6 fields, or @daily...)");
  auto* every =
      cmd->add_option("--every", f->every, "fixed rate, e.g. 5m")->check(PositiveDurationCheck());
  auto* once = cmd->add_option("--once", f->once, "one tick at an RFC 3339 time or +DURATION")
                   ->check(TimeOrOffsetCheck());
  cron->excludes(every)->excludes(once);
  every->excludes(once);
  cmd->add_option("--tz", f->tz, "IANA time zone of --cron (default UTC)")->needs(cron);
  cmd->add_option("--anchor", f->anchor, "--every ticks are due at anchor + k*period")
      ->check(TimeOrOffsetCheck())
      ->needs(every);
  cmd->add_option("--misfire", f->misfire, "fire_once (default), skip or catch_up")
      ->check(EnumCheck(ParseMisfirePolicy, "fire_once|skip|catch_up"));
  cmd->add_option("--max-catch-up", f->max_catch_up, "catch_up: most misfired ticks fired");
  cmd->add_option("--misfire-grace", f->misfire_grace, "a tick this late is on time (default 1s)")
      ->check(DurationCheck());
  cmd->add_option("--overlap", f->overlap, "allow (default), forbid or replace")
      ->check(EnumCheck(ParseOverlapPolicy, "allow|forbid|replace"));
  cmd->add_option("--start-within", f->start_within,
                  "each tick's task must start within this long of its due time")
      ->check(DurationCheck());
  cmd->add_option("--wcet", f->wcet, "worst-case execution time, for taskly analyze")
      ->check(DurationCheck());
  cmd->add_flag("--paused", f->paused, "add it paused");
  AddTaskFlags(*cmd, f->task);
  cmd->callback(
      [&commands, f] { commands.action = [&commands, f] { return RunAdd(commands.global, *f); }; });
}

// ls, show, rm, pause, resume.
void AddAction(CLI::App& schedule, Commands& commands, const std::string& name,
               const std::string& help) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = schedule.add_subcommand(name, help);
  if (name != "ls") cmd->add_option("ID", *id, "the schedule's id")->required();
  cmd->callback([&commands, id, name] {
    commands.action = [&commands, id, name]() -> Exit {
      Expected<std::unique_ptr<ApiClient>> api = ApiClient::Create(commands.global);
      if (!api.ok()) return api.exit();
      const std::string path = "/v1/schedules/" + PathSegment(*id);
      Expected<Json> answer = name == "ls"     ? (*api)->get("/v1/schedules")
                              : name == "show" ? (*api)->get(path)
                              : name == "rm"   ? (*api)->del(path)
                                               : (*api)->post(path + "/" + name);
      if (!answer.ok()) return answer.exit();
      if (name == "rm") {
        if (commands.global.json) {
          PrintJson(std::cout, {{"id", *id}, {"removed", true}});
        } else {
          std::cout << "removed schedule " << *id << '\n';
        }
      } else if (commands.global.json) {
        PrintJson(std::cout, *answer);
      } else if (name == "ls") {
        const Json& schedules = (*answer)["schedules"];
        if (schedules.empty()) {
          std::cout << "no schedules\n";
        } else {
          PrintScheduleTable(std::cout, schedules);
        }
      } else if (name == "show") {
        PrintSchedule(std::cout, *answer);
      } else {
        std::cout << (name == "pause" ? "paused" : "resumed") << " schedule " << *id
                  << " (next due " << Field(*answer, "next_due", "none") << ")\n";
      }
      return Ok();
    };
  });
}

}  // namespace

void AddScheduleCommands(CLI::App& app, Commands& commands) {
  CLI::App* schedule = app.add_subcommand("schedule", "Recurring tasks: cron, every, once");
  schedule->require_subcommand(1);
  AddAdd(*schedule, commands);
  AddAction(*schedule, commands, "ls", "List schedules with their next due times");
  AddAction(*schedule, commands, "show", "Show one schedule");
  AddAction(*schedule, commands, "rm", "Remove a schedule (its enqueued tasks stay)");
  AddAction(*schedule, commands, "pause", "Pause a schedule (no ticks until resumed)");
  AddAction(*schedule, commands, "resume", "Resume a paused schedule");
}

}  // namespace taskly::cli
