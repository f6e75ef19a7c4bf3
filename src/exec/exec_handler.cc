#include "exec/exec_handler.h"

#include <string.h>  // sigabbrev_np

#include <optional>

#include "codec/bounded_json.h"
#include "codec/json_codec.h"
#include "codec/strict_json.h"
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

std::optional<std::string> FittedResultJson(CommandResult result, size_t max_bytes) {
  // A raw byte takes at least one byte of the JSON text, so a stream longer than the limit is
  // cut to it at once. Then the longer stream is cut to the longest prefix that fits, found by
  // bisection, and, if the other stream alone is still too long, so is that one.
  auto truncated = [&](const std::string* data) -> bool& {
    return data == &result.stdout_data ? result.stdout_truncated : result.stderr_truncated;
  };
  for (std::string* data : {&result.stdout_data, &result.stderr_data}) {
    if (data->size() > max_bytes) {
      data->resize(max_bytes);
      truncated(data) = true;
    }
  }
  while (true) {
    std::string text = CommandResultToJson(result).dump();
    if (text.size() <= max_bytes) return text;
    std::string& data = result.stdout_data.size() >= result.stderr_data.size() ? result.stdout_data
                                                                               : result.stderr_data;
    if (data.empty()) return std::nullopt;
    const std::string full = std::move(data);
    size_t fits = 0;  // the longest prefix known to fit (0 when none is known)
    size_t too_long = full.size();
    while (fits + 1 < too_long) {
      const size_t mid = fits + (too_long - fits) / 2;
      data = full.substr(0, mid);
      (CommandResultToJson(result).dump().size() <= max_bytes ? fits : too_long) = mid;
    }
    data = full.substr(0, fits);
    truncated(&data) = true;
  }
}

Outcome CommandOutcome(const CommandSpec& spec, const Result<CommandResult>& result,
                       size_t max_result_bytes) {
  if (!result.ok()) {
    const Status& s = result.status();
    return Retryable(s.code()) ? Outcome::Retry(s.ToString()) : Outcome::Permanent(s.ToString());
  }
  std::string failure = DescribeFailure(spec, *result);
  if (failure.empty()) {
    std::optional<std::string> text = FittedResultJson(*result, max_result_bytes);
    if (!text) {
      return Outcome::Permanent("the command's result does not fit in " +
                                std::to_string(max_result_bytes) + " bytes even without output");
    }
    return Outcome::Success(std::move(*text));
  }
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
    // Strict: a key given twice is refused, not decided by its last value.
    Result<Json> payload = codec::ParseStrictJson(ctx.payload(), {.field = "payload"});
    if (!payload.ok()) {
      const Status& s = payload.status();
      const std::string field = s.field() == "payload" ? s.field() : "payload." + s.field();
      return Outcome::Permanent(InvalidArgument(field, s.message()).ToString());
    }
    Result<CommandSpec> spec = CommandSpecFromJson(*payload, "payload");
    if (!spec.ok()) return Outcome::Permanent(spec.status().ToString());
    spec->run_as = run_as;
    if (Status s = CheckExecAllowed(policy, *spec); !s.ok()) {
      return Outcome::Permanent(s.ToString());
    }
    return CommandOutcome(*spec, RunCommand(*spec, ctx.stop_token()), policy.max_result_bytes);
  });
}

}  // namespace taskly::exec
