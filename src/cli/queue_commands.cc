// `taskly queue ls|pause|resume|limit`.
#include <iostream>
#include <memory>
#include <optional>

#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/flag_checks.h"
#include "cli/render.h"
#include "cli/task_flags.h"
#include "codec/json_codec.h"
#include "taskly/policy.h"

namespace taskly::cli {
namespace {

struct LimitFlags {
  std::string name;
  std::optional<int32_t> concurrency, burst, weight;
  std::optional<double> rate;
  std::string policy, aging_step;
};

Exit RunLimit(const GlobalOptions& global, const LimitFlags& f) {
  Json patch = Json::object();
  if (f.concurrency) patch["concurrency"] = *f.concurrency;
  if (f.rate) patch["rate"] = *f.rate;
  if (f.burst) patch["burst"] = *f.burst;
  if (f.weight) patch["weight"] = *f.weight;
  if (!f.policy.empty()) patch["policy"] = f.policy;
  if (!f.aging_step.empty()) patch["aging_step"] = f.aging_step;
  if (patch.empty()) {
    return UsageError(
        "give at least one of --concurrency, --rate, --burst, --weight, --policy, --aging-step");
  }
  // The model's checks here, so that a bad value names its flag; the server checks again.
  if (Result<QueueConfig> c = codec::QueueConfigFromJson(patch, QueueConfig{}); !c.ok()) {
    return FieldError(c.status());
  }
  Expected<std::unique_ptr<ApiClient>> api = ApiClient::Create(global);
  if (!api.ok()) return api.exit();
  Expected<Json> info = (*api)->patch("/v1/queues/" + PathSegment(f.name), patch);
  if (!info.ok()) return info.exit();
  if (global.json) {
    PrintJson(std::cout, *info);
  } else {
    PrintQueueTable(std::cout, Json::array({*info}));
  }
  return Ok();
}

void AddLimit(CLI::App& queue, Commands& commands) {
  auto f = std::make_shared<LimitFlags>();
  CLI::App* cmd =
      queue.add_subcommand("limit", "Set a queue's limits and policy (creates the queue if new)");
  cmd->add_option("NAME", f->name, "the queue")->required()->check(NameCheck());
  cmd->add_option("--concurrency,-c", f->concurrency, "most active tasks at once (0: unlimited)");
  cmd->add_option("--rate,-r", f->rate, "tasks started per second (0: unlimited)");
  cmd->add_option("--burst", f->burst, "token bucket size (0: max(1, ceil(rate)))");
  cmd->add_option("--weight", f->weight, "share under the weighted selector (>= 1)");
  cmd->add_option("--policy", f->policy, "fifo, priority, edf or rms")
      ->check(CLI::Validator(
          [](std::string& s) {
            Result<OrderingPolicy> p = ParseOrderingPolicy(s, "");
            return p.ok() ? std::string() : p.status().message();
          },
          "POLICY", "policy"));
  cmd->add_option("--aging-step", f->aging_step, "priority: one level gained per this long")
      ->check(DurationCheck());
  cmd->callback([&commands, f] {
    commands.action = [&commands, f] { return RunLimit(commands.global, *f); };
  });
}

void AddAction(CLI::App& queue, Commands& commands, const std::string& name,
               const std::string& help) {
  auto queue_name = std::make_shared<std::string>();
  CLI::App* cmd = queue.add_subcommand(name, help);
  if (name != "ls")
    cmd->add_option("NAME", *queue_name, "the queue")->required()->check(NameCheck());
  cmd->callback([&commands, queue_name, name] {
    commands.action = [&commands, queue_name, name]() -> Exit {
      Expected<std::unique_ptr<ApiClient>> api = ApiClient::Create(commands.global);
      if (!api.ok()) return api.exit();
      Expected<Json> answer =
          name == "ls" ? (*api)->get("/v1/queues")
                       : (*api)->post("/v1/queues/" + PathSegment(*queue_name) + "/" + name);
      if (!answer.ok()) return answer.exit();
      if (commands.global.json) {
        PrintJson(std::cout, *answer);
      } else if (name == "ls") {
        PrintQueueTable(std::cout, (*answer)["queues"]);
      } else {
        std::cout << (name == "pause" ? "paused" : "resumed") << " queue " << *queue_name << '\n';
      }
      return Ok();
    };
  });
}

}  // namespace

void AddQueueCommands(CLI::App& app, Commands& commands) {
  CLI::App* queue = app.add_subcommand("queue", "Queues: stats, pause/resume, limits");
  queue->require_subcommand(1);
  AddAction(*queue, commands, "ls", "List queues with their task counts and limits");
  AddAction(*queue, commands, "pause", "Pause a queue (it accepts tasks but hands none out)");
  AddAction(*queue, commands, "resume", "Resume a paused queue");
  AddLimit(*queue, commands);
}

}  // namespace taskly::cli
