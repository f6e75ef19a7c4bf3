#include "exec/command_json.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "codec/json_codec.h"

namespace taskly::exec {
namespace {

std::string Join(std::string_view prefix, std::string_view name) {
  std::string out(prefix);
  if (!out.empty()) out += '.';
  out += name;
  return out;
}

Status ParseString(const Json& j, const std::string& field, std::string& out) {
  if (!j.is_string()) return InvalidArgument(field, "must be a string");
  out = j.get<std::string>();
  return Status::Ok();
}

Status ParseUnsigned(const Json& j, const std::string& field, uint64_t& out) {
  if (!j.is_number_unsigned()) return InvalidArgument(field, "must be a non-negative integer");
  out = j.get<uint64_t>();
  return Status::Ok();
}

Status ParseDurationField(const Json& j, const std::string& field, Duration& out) {
  if (!j.is_string()) {
    return InvalidArgument(field, "must be a duration string such as \"30s\" or \"1h30m\"");
  }
  Result<Duration> d = codec::ParseDuration(j.get<std::string>(), field);
  if (!d.ok()) return d.status();
  out = *d;
  return Status::Ok();
}

Status ParseArgv(const Json& j, const std::string& field, std::vector<std::string>& out) {
  if (!j.is_array()) return InvalidArgument(field, "must be an array of strings");
  for (size_t i = 0; i < j.size(); ++i) {
    std::string arg;
    if (Status s = ParseString(j[i], field + "[" + std::to_string(i) + "]", arg); !s.ok()) {
      return s;
    }
    out.push_back(std::move(arg));
  }
  return Status::Ok();
}

Status ParseEnv(const Json& j, const std::string& field, std::map<std::string, std::string>& out) {
  if (!j.is_object()) return InvalidArgument(field, "must be an object of strings");
  for (const auto& [key, value] : j.items()) {
    if (Status s = ParseString(value, Join(field, key), out[key]); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ParseLimits(const Json& j, const std::string& field, RLimits& out) {
  if (!j.is_object()) return InvalidArgument(field, "must be an object");
  for (const auto& [key, value] : j.items()) {
    std::optional<uint64_t>* target = key == "cpu_seconds"           ? &out.cpu_seconds
                                      : key == "address_space_bytes" ? &out.address_space_bytes
                                      : key == "open_files"          ? &out.open_files
                                      : key == "processes"           ? &out.processes
                                                                     : nullptr;
    const std::string name = Join(field, key);
    if (target == nullptr) return InvalidArgument(name, "unknown field");
    uint64_t n = 0;
    if (Status s = ParseUnsigned(value, name, n); !s.ok()) return s;
    *target = n;
  }
  return Status::Ok();
}

Status ParseField(const std::string& key, const Json& value, const std::string& field,
                  CommandSpec& spec) {
  if (key == "argv") return ParseArgv(value, field, spec.argv);
  if (key == "env") return ParseEnv(value, field, spec.env);
  if (key == "cwd") return ParseString(value, field, spec.cwd);
  if (key == "timeout") return ParseDurationField(value, field, spec.timeout);
  if (key == "kill_grace") return ParseDurationField(value, field, spec.kill_grace);
  if (key == "limits") return ParseLimits(value, field, spec.limits);
  if (key == "output_cap") {
    uint64_t cap = 0;
    if (Status s = ParseUnsigned(value, field, cap); !s.ok()) return s;
    spec.output_cap = cap;
    return Status::Ok();
  }
  return InvalidArgument(field, "unknown field");
}

}  // namespace

Result<CommandSpec> CommandSpecFromJson(const Json& j, std::string_view prefix) {
  if (!j.is_object()) {
    return InvalidArgument(std::string(prefix), "must be a JSON object with at least \"argv\"");
  }
  CommandSpec spec;
  for (const auto& [key, value] : j.items()) {
    if (Status s = ParseField(key, value, Join(prefix, key), spec); !s.ok()) return s;
  }
  if (!j.contains("argv")) return InvalidArgument(Join(prefix, "argv"), "is required");
  if (Status s = ValidateCommandSpec(spec); !s.ok()) {
    return InvalidArgument(Join(prefix, s.field()), s.message());
  }
  return spec;
}

Json CommandSpecToJson(const CommandSpec& spec) {
  Json j = {{"argv", spec.argv},
            {"kill_grace", codec::FormatDuration(spec.kill_grace)},
            {"output_cap", spec.output_cap}};
  if (!spec.env.empty()) j["env"] = spec.env;
  if (!spec.cwd.empty()) j["cwd"] = spec.cwd;
  if (spec.timeout != Duration::zero()) j["timeout"] = codec::FormatDuration(spec.timeout);
  Json limits = Json::object();
  if (spec.limits.cpu_seconds) limits["cpu_seconds"] = *spec.limits.cpu_seconds;
  if (spec.limits.address_space_bytes) {
    limits["address_space_bytes"] = *spec.limits.address_space_bytes;
  }
  if (spec.limits.open_files) limits["open_files"] = *spec.limits.open_files;
  if (spec.limits.processes) limits["processes"] = *spec.limits.processes;
  if (!limits.empty()) j["limits"] = std::move(limits);
  return j;
}

Json CommandResultToJson(const CommandResult& result) {
  return {{"exit_code", result.exit_code},
          {"signal", result.signal},
          {"timed_out", result.timed_out},
          {"cancelled", result.cancelled},
          {"stdout", ToValidUtf8(result.stdout_data)},
          {"stderr", ToValidUtf8(result.stderr_data)},
          {"stdout_truncated", result.stdout_truncated},
          {"stderr_truncated", result.stderr_truncated},
          {"run_time", codec::FormatDuration(result.run_time)}};
}

std::string ToValidUtf8(const std::string& bytes) {
  // nlohmann's serializer knows how to replace invalid UTF-8; a round trip through it yields a
  // string that any later dump() accepts (a plain dump() of invalid UTF-8 throws).
  const std::string quoted = Json(bytes).dump(-1, ' ', false, Json::error_handler_t::replace);
  return Json::parse(quoted).get<std::string>();
}

}  // namespace taskly::exec
