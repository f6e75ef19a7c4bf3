// ValidateCommandSpec and ResolveExecutable: the checks made before any process is started.
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "exec/command.h"
#include "taskly/task.h"

namespace taskly::exec {
namespace {

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

Status CheckLimit(const std::optional<uint64_t>& value, const char* name) {
  if (value && *value == 0) {
    return InvalidArgument(std::string("limits.") + name, "must be at least 1 when given");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateCommandSpec(const CommandSpec& spec) {
  if (spec.argv.empty()) {
    return InvalidArgument("argv", "must name a command: at least one element");
  }
  for (size_t i = 0; i < spec.argv.size(); ++i) {
    if (HasNul(spec.argv[i])) {
      return InvalidArgument("argv[" + std::to_string(i) + "]", "must not contain NUL bytes");
    }
  }
  const std::string& exe = spec.argv[0];
  if (exe.empty()) return InvalidArgument("argv[0]", "must not be empty");
  if (exe.find('/') != std::string::npos && exe.front() != '/') {
    // A relative path would depend on cwd, which the payload chooses: refused so that what
    // runs (and what the allowlist sees) does not depend on it.
    return InvalidArgument("argv[0]",
                           "must be an absolute path or a bare name looked up in PATH, not the "
                           "relative path \"" +
                               exe + "\"");
  }
  for (const auto& [key, value] : spec.env) {
    const std::string field = "env." + key;
    if (key.empty()) return InvalidArgument("env", "variable names must not be empty");
    if (key.find('=') != std::string::npos || HasNul(key)) {
      return InvalidArgument(field, "variable names must not contain '=' or NUL bytes");
    }
    if (HasNul(value)) return InvalidArgument(field, "must not contain NUL bytes");
  }
  if (!spec.cwd.empty() && (spec.cwd.front() != '/' || HasNul(spec.cwd))) {
    return InvalidArgument("cwd", "must be an absolute path without NUL bytes");
  }
  if (Status s = ValidateDuration(spec.timeout, "timeout"); !s.ok()) return s;
  if (spec.kill_grace < Duration::zero() || spec.kill_grace > kMaxDuration) {
    return ValidateDuration(spec.kill_grace, "kill_grace");
  }
  for (Status s : {CheckLimit(spec.limits.cpu_seconds, "cpu_seconds"),
                   CheckLimit(spec.limits.address_space_bytes, "address_space_bytes"),
                   CheckLimit(spec.limits.open_files, "open_files"),
                   CheckLimit(spec.limits.processes, "processes")}) {
    if (!s.ok()) return s;
  }
  if (spec.output_cap > kMaxOutputCap) {
    return InvalidArgument("output_cap",
                           "must be at most " + std::to_string(kMaxOutputCap) + " bytes");
  }
  return Status::Ok();
}

Result<std::string> ResolveExecutable(const CommandSpec& spec) {
  const std::string& name = spec.argv.at(0);
  if (name.front() == '/') return name;
  auto path_var = spec.env.find("PATH");
  const std::string_view path =
      path_var != spec.env.end() ? std::string_view(path_var->second) : kDefaultPath;
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view dir = path.substr(begin, end - begin);
    begin = end + 1;
    // Empty and relative entries would resolve against the server's cwd: skipped.
    if (dir.empty() || dir.front() != '/') continue;
    std::string candidate(dir);
    if (candidate.back() != '/') candidate += '/';
    candidate += name;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return Status(StatusCode::kNotFound,
                "executable \"" + name + "\" not found in PATH \"" + std::string(path) + "\"",
                "argv[0]");
}

}  // namespace taskly::exec
