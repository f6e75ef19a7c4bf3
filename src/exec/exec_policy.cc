#include "exec/exec_policy.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

namespace taskly::exec {

Status ValidateExecPolicy(const ExecPolicy& policy) {
  for (size_t i = 0; i < policy.allowlist.size(); ++i) {
    const std::string& entry = policy.allowlist[i];
    if (entry != "*" && (entry.empty() || entry.front() != '/')) {
      return InvalidArgument(
          "allowlist[" + std::to_string(i) + "]",
          "must be \"*\" or the absolute path of an executable, not \"" + entry + "\"");
    }
  }
  if (policy.run_as_user && policy.run_as_user->empty()) {
    return InvalidArgument("run_as_user", "must name a user when given");
  }
  return Status::Ok();
}

Status CheckExecAllowed(const ExecPolicy& policy, const CommandSpec& spec, uid_t euid) {
  if (!policy.enabled) {
    return PermissionDenied(
        "exec tasks are disabled on this server (start it with --allow-exec to enable them)");
  }
  if (euid == 0 && !policy.run_as_user) {
    return PermissionDenied(
        "refusing to run commands as root: start the server with --exec-user=USER to name the "
        "user exec tasks run as");
  }
  Result<std::string> path = ResolveExecutable(spec);
  if (!path.ok()) return path.status();
  const auto& list = policy.allowlist;
  if (std::find(list.begin(), list.end(), "*") == list.end() &&
      std::find(list.begin(), list.end(), *path) == list.end()) {
    return PermissionDenied("command \"" + spec.argv[0] + "\" (" + *path +
                            ") is not in the exec allowlist");
  }
  return Status::Ok();
}

Result<RunAs> LookupUser(std::string_view name) {
  const std::string user(name);
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(1024);
  int error;
  while ((error = ::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found)) ==
         ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  if (error != 0) {
    return Status(StatusCode::kUnavailable,
                  "looking up user \"" + user + "\": " + std::generic_category().message(error));
  }
  if (found == nullptr) return NotFound("no such user \"" + user + "\"");

  RunAs who{.uid = entry.pw_uid, .gid = entry.pw_gid, .groups = std::vector<gid_t>(16)};
  int count = static_cast<int>(who.groups.size());
  while (::getgrouplist(user.c_str(), who.gid, who.groups.data(), &count) < 0) {
    // `count` now holds the number needed.
    who.groups.resize(std::max(static_cast<size_t>(count), who.groups.size() * 2));
    count = static_cast<int>(who.groups.size());
  }
  who.groups.resize(static_cast<size_t>(count));
  return who;
}

}  // namespace taskly::exec
