#include "exec/exec_handler.h"

#include <string.h>  // sigabbrev_np

#include <optional>

#include "codec/bounded_json.h"
#include "codec/json_codec.h"
#include "exec/command_json.h"

namespace taskly::exec {
namespace {

std::string HowItEnded(const CommandResult& result) {
  if (result.signal == 0) return "exit code " + std::to_string(result.exit_code);
  const char* name = ::sigabbrev_np(result.signal);
  std::string text = "killed by signal " + std::to_string(result.signal);
  if (name != nullptr) text += std::string(" (SIG") + name + ")";
  return text;
}

bool Retryable(StatusCode code) {
  return code != StatusCode::kInvalidArgument && code != StatusCode::kNotFound &&
         code != StatusCode::kFailedPrecondition && code != StatusCode::kPermissionDenied;
}

}  // namespace

std::string DescribeFailure(const CommandSpec& spec, const CommandResult& result) {
  std::string text;
  if (result.timed_out) {
    text =
        "timed out after " + codec::FormatDuration(spec.timeout) + " (" + HowItEnded(result) + ")";
  } else if (result.cancelled) {
    text = "cancelled (" + HowItEnded(result) + ")";
  } else if (result.signal != 0 || result.exit_code != 0) {
    text = HowItEnded(result);
  } else {
    return text;
  }
  const std::string& err = result.stderr_data;
  if (!err.empty()) {
    const size_t from = err.size() > kStderrTailBytes ? err.size() - kStderrTailBytes : 0;
    text += "; stderr: " + ToValidUtf8(err.substr(from));
  }
  return text;
}

Outcome CommandOutcome(const CommandSpec& spec, const Result<CommandResult>& result) {
  if (!result.ok()) {
    const Status& s = result.status();
    return Retryable(s.code()) ? Outcome::Retry(s.ToString()) : Outcome::Permanent(s.ToString());
  }
  std::string failure = DescribeFailure(spec, *result);
  if (failure.empty()) return Outcome::Success(CommandResultToJson(*result).dump());
  return Outcome::Retry(std::move(failure));
}

Result<Handler> MakeExecHandler(const ExecPolicy& policy) {
  if (Status s = ValidateExecPolicy(policy); !s.ok()) return s;
  std::optional<RunAs> run_as;
  if (policy.run_as_user) {
    Result<RunAs> who = LookupUser(*policy.run_as_user);
    if (!who.ok()) return who.status();
    run_as = *who;
  }
  return Handler([policy, run_as](TaskContext& ctx) {
    const Json payload = codec::ParseBoundedJson(ctx.payload());
    if (payload.is_discarded()) {
      return Outcome::Permanent(InvalidArgument("payload", "is not valid JSON").ToString());
    }
    Result<CommandSpec> spec = CommandSpecFromJson(payload, "payload");
    if (!spec.ok()) return Outcome::Permanent(spec.status().ToString());
    spec->run_as = run_as;
    if (Status s = CheckExecAllowed(policy, *spec); !s.ok()) {
      return Outcome::Permanent(s.ToString());
    }
    return CommandOutcome(*spec, RunCommand(*spec, ctx.stop_token()));
  });
}

}  // namespace taskly::exec
