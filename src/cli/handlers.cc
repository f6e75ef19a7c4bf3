#include "cli/handlers.h"

#include <unistd.h>

namespace taskly::cli {

Expected<Handler> MakeExecTaskHandler(const exec::ExecPolicy& policy) {
  if (!policy.enabled) {
    return Handler([](TaskContext&) { return Outcome::Permanent(kExecDisabled); });
  }
  if (::geteuid() == 0 && !policy.run_as_user) {
    return UsageError(
        "--allow-exec: this server runs as root; name the user commands run as with "
        "--exec-user USER");
  }
  Result<Handler> handler = exec::MakeExecHandler(policy);
  if (!handler.ok()) {
    const Status& s = handler.status();
    const std::string flag = s.field().starts_with("allowlist") ? "--exec-allow" : "--exec-user";
    return UsageError(flag + ": " + s.message());
  }
  return std::move(*handler);
}

Status RegisterHandlers(Scheduler& scheduler, Handler exec_handler) {
  if (Status s = scheduler.handle("exec", std::move(exec_handler)); !s.ok()) return s;
  return scheduler.handle("echo", [](TaskContext& ctx) { return Outcome::Success(ctx.payload()); });
}

}  // namespace taskly::cli
