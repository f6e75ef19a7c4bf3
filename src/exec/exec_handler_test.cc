#include "exec/exec_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "exec/command_json.h"

namespace taskly::exec {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(DescribeFailureTest, SaysHowTheCommandEnded) {
  CommandSpec spec;
  spec.timeout = std::chrono::seconds(2);
  CommandResult r;
  r.exit_code = 0;
  EXPECT_EQ(DescribeFailure(spec, r), "");

  r.exit_code = 3;
  EXPECT_EQ(DescribeFailure(spec, r), "exit code 3");

  r.exit_code = -1;
  r.signal = SIGKILL;
  EXPECT_EQ(DescribeFailure(spec, r), "killed by signal 9 (SIGKILL)");

  r.signal = SIGTERM;
  r.timed_out = true;
  EXPECT_EQ(DescribeFailure(spec, r), "timed out after 2s (killed by signal 15 (SIGTERM))");

  // A command that handles SIGTERM and exits 0 still failed: it did not finish in time.
  r.signal = 0;
  r.exit_code = 0;
  EXPECT_EQ(DescribeFailure(spec, r), "timed out after 2s (exit code 0)");

  r.timed_out = false;
  r.cancelled = true;
  r.exit_code = 143;
  EXPECT_EQ(DescribeFailure(spec, r), "cancelled (exit code 143)");
}

TEST(DescribeFailureTest, EndsWithTheTailOfStderr) {
  CommandResult r;
  r.exit_code = 1;
  r.stderr_data = std::string(1000, 'x') + "fatal: no such file\n";
  const std::string text = DescribeFailure(CommandSpec{}, r);
  EXPECT_THAT(text, StartsWith("exit code 1; stderr: "));
  EXPECT_THAT(text, HasSubstr("fatal: no such file\n"));
  EXPECT_EQ(text.size(), std::string("exit code 1; stderr: ").size() + kStderrTailBytes);
}

TEST(CommandOutcomeTest, MapsResultsAndStartFailures) {
  CommandSpec spec;
  CommandResult ok;
  ok.exit_code = 0;
  ok.stdout_data = "done\n";
  Outcome success = CommandOutcome(spec, ok);
  EXPECT_EQ(success.kind(), Outcome::Kind::kSuccess);
  EXPECT_EQ(Json::parse(success.text()), CommandResultToJson(ok));

  CommandResult failed;
  failed.exit_code = 2;
  Outcome retry = CommandOutcome(spec, failed);
  EXPECT_EQ(retry.kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(retry.text(), "exit code 2");

  Outcome missing =
      CommandOutcome(spec, Status(StatusCode::kNotFound, "executable not found", "argv[0]"));
  EXPECT_EQ(missing.kind(), Outcome::Kind::kPermanent);
  EXPECT_THAT(missing.text(), HasSubstr("executable not found"));

  Outcome busy = CommandOutcome(spec, Status(StatusCode::kResourceExhausted, "fork: EAGAIN"));
  EXPECT_EQ(busy.kind(), Outcome::Kind::kRetry);
}

class ExecHandlerTest : public ::testing::Test {
 protected:
  // Enabled for /bin/sh only, and as "nobody" when the tests run as root.
  static ExecPolicy Policy() {
    ExecPolicy policy;
    policy.enabled = true;
    policy.allowlist = {"/bin/sh"};
    if (::geteuid() == 0) policy.run_as_user = "nobody";
    return policy;
  }

  Outcome Handle(const ExecPolicy& policy, const std::string& payload, std::stop_token stop = {}) {
    Result<Handler> handler = MakeExecHandler(policy);
    EXPECT_TRUE(handler.ok()) << handler.status().ToString();
    if (!handler.ok()) return Outcome::Permanent("no handler");
    Task task;
    task.spec.type = "exec";
    task.spec.payload = payload;
    TaskContext ctx(task, stop, std::nullopt, nullptr, Duration::zero());
    return (*handler)(ctx);
  }
};

TEST_F(ExecHandlerTest, RunsThePayloadAndReturnsTheResult) {
  Outcome o = Handle(Policy(), R"({"argv": ["/bin/sh", "-c", "echo hi"], "cwd": "/"})");
  ASSERT_EQ(o.kind(), Outcome::Kind::kSuccess) << o.text();
  const Json result = Json::parse(o.text());
  EXPECT_EQ(result["stdout"], "hi\n");
  EXPECT_EQ(result["exit_code"], 0);
}

TEST_F(ExecHandlerTest, RunsAsThePolicyUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  Outcome o = Handle(Policy(), R"({"argv": ["/bin/sh", "-c", "id -un"], "cwd": "/",
                                "env": {"PATH": "/usr/bin"}})");
  ASSERT_EQ(o.kind(), Outcome::Kind::kSuccess) << o.text();
  EXPECT_EQ(Json::parse(o.text())["stdout"], "nobody\n");
}

TEST_F(ExecHandlerTest, FailedCommandIsRetried) {
  Outcome o = Handle(Policy(), R"({"argv": ["/bin/sh", "-c", "echo oops >&2; exit 4"]})");
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(o.text(), "exit code 4; stderr: oops\n");
}

TEST_F(ExecHandlerTest, PayloadAndPolicyErrorsArePermanent) {
  Outcome o = Handle(Policy(), "not json");
  EXPECT_EQ(o.kind(), Outcome::Kind::kPermanent);
  EXPECT_THAT(o.text(), HasSubstr("payload"));

  o = Handle(Policy(), R"({"argv": ["/bin/sh", 1]})");
  EXPECT_EQ(o.kind(), Outcome::Kind::kPermanent);
  EXPECT_THAT(o.text(), HasSubstr("payload.argv[1]"));

  o = Handle(Policy(), R"({"argv": ["/bin/echo", "hi"]})");
  EXPECT_EQ(o.kind(), Outcome::Kind::kPermanent);
  EXPECT_THAT(o.text(), HasSubstr("allowlist"));

  ExecPolicy disabled = Policy();
  disabled.enabled = false;
  o = Handle(disabled, R"({"argv": ["/bin/sh", "-c", "true"]})");
  EXPECT_EQ(o.kind(), Outcome::Kind::kPermanent);
  EXPECT_THAT(o.text(), HasSubstr("disabled"));
}

TEST_F(ExecHandlerTest, RefusesToRunAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "only refused when the server runs as root";
  ExecPolicy policy = Policy();
  policy.run_as_user.reset();
  Outcome o = Handle(policy, R"({"argv": ["/bin/sh", "-c", "true"]})");
  EXPECT_EQ(o.kind(), Outcome::Kind::kPermanent);
  EXPECT_THAT(o.text(), HasSubstr("--exec-user"));
}

TEST_F(ExecHandlerTest, StopTokenCancelsTheCommand) {
  std::stop_source stop;
  stop.request_stop();  // already requested: nothing is started, and the attempt is retried
  Outcome o = Handle(Policy(), R"({"argv": ["/bin/sh", "-c", "sleep 30"]})", stop.get_token());
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_THAT(o.text(), HasSubstr("cancelled"));
}

TEST(MakeExecHandlerTest, RejectsABadPolicy) {
  ExecPolicy policy;
  policy.run_as_user = "no-such-taskly-user";
  Result<Handler> h = MakeExecHandler(policy);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kNotFound);

  policy.run_as_user.reset();
  policy.allowlist = {"sh"};
  h = MakeExecHandler(policy);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().field(), "allowlist[0]");
}

}  // namespace
}  // namespace taskly::exec

namespace taskly::exec {
namespace {

TEST_F(ExecHandlerTest, ADuplicateKeyInThePayloadIsRefused) {
  Outcome o = Handle(Policy(), R"({"argv": ["/bin/sh", "-c", "true"], "argv": ["/bin/false"]})");
  EXPECT_EQ(o.kind(), Outcome::Kind::kPermanent);
  EXPECT_THAT(o.text(), HasSubstr("payload.argv"));
  EXPECT_THAT(o.text(), HasSubstr("duplicate key"));
}

TEST_F(ExecHandlerTest, ControlBytesAreCutSoTheResultFitsTheLimit) {
  // 4 MiB of control bytes: 24 MiB once escaped in JSON, far over a 64 KiB result limit.
  ExecPolicy policy = Policy();
  policy.max_result_bytes = 64 << 10;
  Outcome o = Handle(policy, R"({"argv": ["/bin/sh", "-c",
      "head -c 4194304 /dev/zero; echo err >&2"], "output_cap": 8388608})");
  ASSERT_EQ(o.kind(), Outcome::Kind::kSuccess) << o.text().substr(0, 200);
  EXPECT_LE(o.text().size(), size_t{64} << 10);
  EXPECT_GT(o.text().size(), size_t{60} << 10);  // cut to fit, not far below
  const Json result = Json::parse(o.text());
  EXPECT_EQ(result["stdout_truncated"], true);
  EXPECT_EQ(result["stderr"], "err\n");
  EXPECT_EQ(result["stderr_truncated"], false);
}

TEST(FittedResultJsonTest, CutsTheLongerStreamAndSaysSo) {
  CommandResult r;
  r.stdout_data = std::string(1000, '\x01');  // 6 bytes each in JSON
  r.stderr_data = std::string(100, 'e');
  std::optional<std::string> text = FittedResultJson(r, 1000);
  ASSERT_TRUE(text.has_value());
  EXPECT_LE(text->size(), 1000u);
  const Json j = Json::parse(*text);
  EXPECT_EQ(j["stdout_truncated"], true);
  EXPECT_EQ(j["stderr"], std::string(100, 'e'));
  // Small enough already: unchanged.
  r.stdout_data = "ok";
  EXPECT_EQ(FittedResultJson(r, 1000), CommandResultToJson(r).dump());
  // Not even the fields fit.
  EXPECT_FALSE(FittedResultJson(r, 10).has_value());
}

}  // namespace
}  // namespace taskly::exec
