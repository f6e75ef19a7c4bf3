#include "cli/task_flags.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <utility>

#include "cli/flag_checks.h"
#include "codec/json_codec.h"
#include "codec/raw_json.h"
#include "exec/command.h"
#include "exec/command_json.h"

namespace taskly::cli {
namespace {

constexpr char kExecGroup[] = "Command tasks (with --exec; the command follows --)";

// Model field (or its first part) -> the flag that sets it.
std::string FlagFor(std::string_view field) {
  static const std::pair<std::string_view, std::string_view> kFlags[] = {
      // TaskSpec.
      {"type", "TYPE"},
      {"payload", "--payload"},
      {"queue", "--queue"},
      {"priority", "--priority"},
      {"deadline", "--deadline"},
      {"timeout", "--timeout"},
      {"max_attempts", "--max-attempts"},
      {"backoff.initial", "--backoff-initial"},
      {"backoff.cap", "--backoff-cap"},
      {"backoff.multiplier", "--backoff-multiplier"},
      {"run_at", "--run-at"},
      {"delay", "--delay"},
      {"unique_key", "--unique-key"},
      {"unique_ttl", "--unique-ttl"},
      {"labels", "--label"},
      // ScheduleSpec.
      {"id", "ID"},
      {"schedule", "--cron/--every/--once"},
      {"cron", "--cron"},
      {"tz", "--tz"},
      {"every", "--every"},
      {"anchor", "--anchor"},
      {"once", "--once"},
      {"misfire.policy", "--misfire"},
      {"misfire.max_catch_up", "--max-catch-up"},
      {"misfire.grace", "--misfire-grace"},
      {"overlap", "--overlap"},
      {"start_within", "--start-within"},
      {"wcet", "--wcet"},
      // QueueConfig.
      {"policy", "--policy"},
      {"aging_step", "--aging-step"},
      {"concurrency", "--concurrency"},
      {"rate", "--rate"},
      {"burst", "--burst"},
      {"weight", "--weight"},
  };
  for (const auto& [name, flag] : kFlags) {
    if (field == name ||
        (field.starts_with(name) && (field[name.size()] == '.' || field[name.size()] == '['))) {
      return std::string(flag);
    }
  }
  return std::string(field);
}

// CommandSpec field -> flag.
std::string ExecFlagFor(std::string_view field) {
  static const std::pair<std::string_view, std::string_view> kFlags[] = {
      {"argv", "the command after --"},
      {"env", "--env"},
      {"cwd", "--cwd"},
      {"timeout", "--command-timeout"},
      {"kill_grace", "--kill-grace"},
      {"limits.cpu_seconds", "--rlimit-cpu"},
      {"limits.address_space_bytes", "--rlimit-as"},
      {"limits.open_files", "--rlimit-nofile"},
      {"limits.processes", "--rlimit-nproc"},
      {"output_cap", "--output-cap"},
  };
  for (const auto& [name, flag] : kFlags) {
    if (field.starts_with(name)) return std::string(flag);
  }
  return std::string(field);
}

Duration DurationOf(const std::string& text) {
  // The flag's validator accepted `text`; empty means the flag was not given.
  return text.empty() ? Duration::zero() : *codec::ParseDuration(text, "");
}

Expected<std::string> ReadPayloadFile(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return UsageError("--payload-file: cannot read \"" + path + "\"");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Expected<std::string> CommandPayload(const TaskFlags& flags, const std::vector<std::string>& argv) {
  exec::CommandSpec command;
  command.argv = argv;
  for (const std::string& kv : flags.env) command.env.insert(SplitKeyValue(kv));
  command.cwd = flags.cwd;
  command.timeout = DurationOf(flags.command_timeout);
  if (!flags.kill_grace.empty()) command.kill_grace = DurationOf(flags.kill_grace);
  command.limits.cpu_seconds = flags.rlimit_cpu;
  command.limits.address_space_bytes = flags.rlimit_as;
  command.limits.open_files = flags.rlimit_nofile;
  command.limits.processes = flags.rlimit_nproc;
  if (flags.output_cap) command.output_cap = *flags.output_cap;
  if (argv.empty()) {
    return UsageError(
        "--exec: give the command after --, e.g. taskly submit --exec -- /bin/echo hi");
  }
  if (Status s = exec::ValidateCommandSpec(command); !s.ok()) {
    return UsageError(ExecFlagFor(s.field()) + ": " + s.message() + " (field payload." + s.field() +
                      ")");
  }
  return exec::CommandSpecToJson(command).dump();
}

}  // namespace

void AddTaskFlags(CLI::App& cmd, TaskFlags& f) {
  auto* payload = cmd.add_option("--payload", f.payload, "payload as JSON (any JSON value)")
                      ->check(JsonCheck());
  auto* text = cmd.add_option("--payload-text", f.payload_text, "payload as plain text");
  auto* file = cmd.add_option("--payload-file", f.payload_file,
                              "payload read from a file as it is (- for stdin)");
  payload->excludes(text)->excludes(file);
  text->excludes(file);
  cmd.add_option("--queue,-q", f.queue, "queue (default: default)")->check(NameCheck());
  cmd.add_option("--priority,-p", f.priority, "higher runs first under the priority policy");
  cmd.add_option("--deadline", f.deadline,
                 "must start by then: an RFC 3339 time or +DURATION from now")
      ->check(TimeOrOffsetCheck());
  cmd.add_option("--timeout", f.timeout, "per attempt, e.g. 30s (default: none)")
      ->check(DurationCheck());
  cmd.add_option("--max-attempts", f.max_attempts, "attempts before the task is dead (default 3)");
  cmd.add_option("--backoff-initial", f.backoff_initial, "first retry delay bound (default 1s)")
      ->check(DurationCheck());
  cmd.add_option("--backoff-cap", f.backoff_cap, "largest retry delay bound (default 10m)")
      ->check(DurationCheck());
  cmd.add_option("--backoff-multiplier", f.backoff_multiplier, "growth per retry (default 2)");
  cmd.add_option("--unique-key", f.unique_key, "deduplicate: one live task per key");
  cmd.add_option("--unique-ttl", f.unique_ttl,
                 "how long the unique key holds (default: while live)")
      ->check(DurationCheck());
  cmd.add_option("--label,-l", f.labels, "KEY=VALUE label (repeatable)")->check(KeyValueCheck());

  auto* exec = cmd.add_flag("--exec", f.exec, "run a command: the arguments after -- are its argv")
                   ->group(kExecGroup);
  exec->excludes(payload)->excludes(text)->excludes(file);
  cmd.add_option("--env", f.env,
                 "KEY=VALUE of the command's environment (repeatable; nothing "
                 "is inherited)")
      ->check(KeyValueCheck())
      ->needs(exec)
      ->group(kExecGroup);
  cmd.add_option("--cwd", f.cwd, "the command's working directory (absolute)")
      ->needs(exec)
      ->group(kExecGroup);
  cmd.add_option("--command-timeout", f.command_timeout,
                 "SIGTERM the command after this long (default: none)")
      ->check(DurationCheck())
      ->needs(exec)
      ->group(kExecGroup);
  cmd.add_option("--kill-grace", f.kill_grace, "SIGKILL this long after SIGTERM (default 5s)")
      ->check(DurationCheck())
      ->needs(exec)
      ->group(kExecGroup);
  cmd.add_option("--rlimit-cpu", f.rlimit_cpu, "CPU seconds")->needs(exec)->group(kExecGroup);
  cmd.add_option("--rlimit-as", f.rlimit_as, "address space bytes")->needs(exec)->group(kExecGroup);
  cmd.add_option("--rlimit-nofile", f.rlimit_nofile, "open files")->needs(exec)->group(kExecGroup);
  cmd.add_option("--rlimit-nproc", f.rlimit_nproc, "processes of the user")
      ->needs(exec)
      ->group(kExecGroup);
  cmd.add_option("--output-cap", f.output_cap, "bytes of stdout and of stderr kept (default 1MiB)")
      ->needs(exec)
      ->group(kExecGroup);
}

Expected<TaskSpec> BuildTaskSpec(const TaskFlags& f, const std::string& type,
                                 const std::vector<std::string>& argv, TimePoint now) {
  TaskSpec spec;
  if (f.exec) {
    spec.type = "exec";
    Expected<std::string> payload = CommandPayload(f, argv);
    if (!payload.ok()) return payload.exit();
    spec.payload = std::move(*payload);
  } else {
    spec.type = type;
    if (!f.payload.empty()) {
      // Checked by JsonCheck.
      spec.payload = codec::CompactJson(*codec::ParseStrictJson(f.payload, PayloadJsonOptions()));
    } else if (!f.payload_text.empty()) {
      spec.payload = f.payload_text;
    } else if (!f.payload_file.empty()) {
      Expected<std::string> bytes = ReadPayloadFile(f.payload_file);
      if (!bytes.ok()) return bytes.exit();
      spec.payload = std::move(*bytes);
    }
  }
  if (!f.queue.empty()) spec.queue = f.queue;
  if (f.priority) spec.priority = *f.priority;
  if (!f.deadline.empty()) spec.deadline = *ParseTimeOrOffset(f.deadline, now);
  spec.timeout = DurationOf(f.timeout);
  if (f.max_attempts) spec.max_attempts = *f.max_attempts;
  if (!f.backoff_initial.empty()) spec.backoff.initial = DurationOf(f.backoff_initial);
  if (!f.backoff_cap.empty()) spec.backoff.cap = DurationOf(f.backoff_cap);
  if (f.backoff_multiplier) spec.backoff.multiplier = *f.backoff_multiplier;
  spec.unique_key = f.unique_key;
  spec.unique_ttl = DurationOf(f.unique_ttl);
  for (const std::string& kv : f.labels) {
    auto [key, value] = SplitKeyValue(kv);
    spec.labels[key] = value;
  }
  if (Status s = ValidateTaskSpec(spec); !s.ok()) return FieldError(s);
  return spec;
}

Exit FieldError(const Status& s, std::string_view prefix) {
  std::string_view field = s.field();
  if (field.starts_with(prefix)) field.remove_prefix(prefix.size());
  std::string flag = FlagFor(field);
  std::string message = flag.empty() ? s.message() : flag + ": " + s.message();
  if (!s.field().empty() && flag != s.field()) message += " (field " + s.field() + ")";
  return UsageError(std::move(message));
}

}  // namespace taskly::cli
