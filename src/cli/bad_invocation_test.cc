// Bad command lines, environment variables and config files: each is refused with exit 2 and a
// message naming the flag or field (or, for what only the server can judge, exit 1 with the
// server's 4xx naming the field), and nothing is done.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_test_util.h"

namespace taskly::cli::testing {
namespace {

using ::testing::HasSubstr;

struct BadCase {
  std::vector<std::string> args;
  int code;
  std::string names;  // what the message must name
  Env env = {};
  std::string config;  // when not empty: written to a file passed with --config
};

class BadInvocations : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new Server(dir_->path(), {"--max-payload", "1KiB"});
    ASSERT_TRUE(server_->Start());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  // Runs each case against the server (so that a usage error that slipped through would show
  // as exit 1 from the server, not pass) and checks that the task list did not change.
  static void Check(const std::vector<BadCase>& cases) {
    const std::string before = Tasks();
    for (const BadCase& c : cases) {
      TempDir work;  // the working directory: a server that started by mistake writes here
      std::vector<std::string> args = c.args;
      if (!c.config.empty()) {
        WriteFile(work / "taskly.toml", c.config);
        args.insert(args.begin(), {"--config", work / "taskly.toml"});
      }
      Env env = server_->client_env();
      env.insert(c.env.begin(), c.env.end());
      CliRun r = RunTaskly(args, env, work.path(), std::chrono::seconds(20));
      EXPECT_EQ(r.code, c.code) << ::testing::PrintToString(c.args) << '\n' << r;
      EXPECT_THAT(r.err, HasSubstr(c.names)) << ::testing::PrintToString(c.args);
      EXPECT_TRUE(r.out.empty()) << ::testing::PrintToString(c.args) << '\n' << r;
    }
    EXPECT_EQ(Tasks(), before);
  }

  static std::string Tasks() {
    CliRun r = RunTaskly({"--json", "ls", "--all"}, server_->client_env());
    EXPECT_EQ(r.code, 0) << r;
    return r.out;
  }

  static TempDir* dir_;
  static Server* server_;
};

TempDir* BadInvocations::dir_ = nullptr;
Server* BadInvocations::server_ = nullptr;

TEST_F(BadInvocations, ClientCommandsAreUsageErrors) {
  Check({
      {{"submit"}, 2, "TYPE"},
      {{"submit", "echo", "extra"}, 2, "--exec"},
      {{"submit", "echo", "--timeout", "abc"}, 2, "--timeout"},
      {{"submit", "echo", "--timeout", "1.5s"}, 2, "--timeout"},
      {{"submit", "echo", "--payload", "{bad json"}, 2, "--payload"},
      {{"submit", "echo", "--payload", "1", "--payload-text", "x"}, 2, "--payload"},
      {{"submit", "echo", "--payload-file", "/nonexistent/file"}, 2, "--payload-file"},
      {{"submit", "echo", "--priority", "high"}, 2, "--priority"},
      {{"submit", "echo", "--priority", "99999999999"}, 2, "--priority"},
      {{"submit", "echo", "--max-attempts", "0"}, 2, "--max-attempts"},
      {{"submit", "echo", "--backoff-multiplier", "0.5"}, 2, "--backoff-multiplier"},
      {{"submit", "echo", "--backoff-initial", "1m", "--backoff-cap", "1s"}, 2, "--backoff-cap"},
      {{"submit", "echo", "--label", "novalue"}, 2, "--label"},
      {{"submit", "echo", "--label", "bad key=v"}, 2, "--label"},
      {{"submit", "echo", "--queue", "bad queue"}, 2, "--queue"},
      {{"submit", "bad type!"}, 2, "TYPE"},
      {{"submit", "echo", "--deadline", "tomorrow"}, 2, "--deadline"},
      {{"submit", "echo", "--run-at", "2026-03-08 02:30"}, 2, "--run-at"},
      {{"submit", "echo", "--run-at", "+1h", "--delay", "1m"}, 2, "--delay"},
      {{"submit", "echo", "--wait-timeout", "5s"}, 2, "--wait"},
      {{"submit", "echo", "--wait", "--wait-timeout", "0s"}, 2, "--wait-timeout"},
      {{"submit", "echo", "--env", "A=1"}, 2, "--env"},
      {{"submit", "--exec"}, 2, "--exec"},
      {{"submit", "--exec", "--", "bin/relative"}, 2, "argv[0]"},
      {{"submit", "--exec", "--cwd", "relative", "--", "/bin/true"}, 2, "--cwd"},
      {{"submit", "--exec", "--rlimit-nofile", "0", "--", "/bin/true"}, 2, "--rlimit-nofile"},
      {{"submit", "--exec", "--env", "=x", "--", "/bin/true"}, 2, "--env"},
      {{"submit", "--exec", "--payload", "{}", "--", "/bin/true"}, 2, "--payload"},
      {{"ls", "--state", "bogus"}, 2, "--state"},
      {{"ls", "--limit", "0"}, 2, "--limit"},
      {{"ls", "--label", "x"}, 2, "--label"},
      {{"show"}, 2, "ID"},
      {{"schedule"}, 2, "subcommand"},
      {{"schedule", "add", "s1", "--type", "echo"}, 2, "--cron/--every/--once"},
      {{"schedule", "add", "s1", "--type", "echo", "--cron", "61 * * * *"}, 2, "cron.minute"},
      {{"schedule", "add", "s1", "--type", "echo", "--cron", "0 0 30 2 *"}, 2, "--cron"},
      {{"schedule", "add", "s1", "--type", "echo", "--cron", "* * * * *", "--tz", "Mars/Base"},
       2,
       "--tz"},
      {{"schedule", "add", "s1", "--type", "echo", "--every", "0s"}, 2, "--every"},
      {{"schedule", "add", "s1", "--type", "echo", "--every", "1m", "--cron", "* * * * *"},
       2,
       "--cron"},
      {{"schedule", "add", "s1", "--type", "echo", "--tz", "UTC", "--every", "1m"}, 2, "--tz"},
      {{"schedule", "add", "s1", "--type", "echo", "--every", "1m", "--misfire", "sometimes"},
       2,
       "--misfire"},
      {{"schedule", "add", "s1", "--type", "echo", "--every", "1m", "--overlap", "maybe"},
       2,
       "--overlap"},
      {{"schedule", "add", "s1", "--type", "echo", "--every", "1m", "--misfire", "catch_up",
        "--max-catch-up", "0"},
       2,
       "--max-catch-up"},
      {{"schedule", "add", "s1", "--every", "1m"}, 2, "--type"},
      {{"schedule", "add", "bad id!", "--type", "echo", "--every", "1m"}, 2, "ID"},
      {{"queue", "limit", "q"}, 2, "--concurrency"},
      {{"queue", "limit", "q", "--rate", "-1"}, 2, "--rate"},
      {{"queue", "limit", "q", "--weight", "0"}, 2, "--weight"},
      {{"queue", "limit", "q", "--policy", "lifo"}, 2, "--policy"},
      {{"queue", "pause"}, 2, "NAME"},
      {{"cron", "next", "61 * * * *"}, 2, "cron.minute"},
      {{"cron", "next", "* * * * *", "--count", "0"}, 2, "--count"},
      {{"cron", "next", "* * * * *", "--tz", "Nowhere/City"}, 2, "--tz"},
      {{"cron", "next", "* * * * *", "--from", "yesterday"}, 2, "--from"},
      {{"bogus"}, 2, "bogus"},
      {{"ls", "--bogus"}, 2, "--bogus"},
      {{"--server", "ftp://example.org", "ls"}, 2, "--server"},
      {{"--request-timeout", "0s", "ls"}, 2, "--request-timeout"},
  });
}

TEST_F(BadInvocations, ServerFlagsEnvironmentAndConfigAreUsageErrors) {
  Check({
      {{"server", "--listen", "localhost"}, 2, "--listen"},
      {{"server", "--listen", "127.0.0.1:99999"}, 2, "--listen"},
      {{"server", "--slots", "-1"}, 2, "--slots"},
      {{"server", "--slots", "many"}, 2, "--slots"},
      {{"server", "--queues", "a,bad queue"}, 2, "--queues"},
      {{"server", "--selector", "random"}, 2, "--selector"},
      {{"server", "--prefetch", "0"}, 2, "--prefetch"},
      {{"server", "--store", "postgres://db"}, 2, "--store"},
      {{"server", "--store", "sqlite:"}, 2, "--store"},
      {{"server", "--lease", "0s"}, 2, "--lease"},
      {{"server", "--grace", "soon"}, 2, "--grace"},
      {{"server", "--max-body", "lots"}, 2, "--max-body"},
      {{"server", "--exec-allow", "/bin/echo"}, 2, "--allow-exec"},
      {{"server", "--allow-exec", "--exec-allow", "echo"}, 2, "--exec-allow"},
      {{"server", "--allow-exec", "--exec-user", "no-such-user-here"}, 2, "--exec-user"},
      {{"server", "--log-level", "loud"}, 2, "--log-level"},
      {{"server"}, 2, "--slots", {{"TASKLY_SLOTS", "abc"}}},
      {{"server"}, 2, "--selector", {{"TASKLY_SELECTOR", "nope"}}},
      {{"server"}, 2, "nonsense", {}, "nonsense = 1\n"},
      {{"server"}, 2, "--slots", {}, "[server]\nslots = \"x\"\n"},
      {{"server"}, 2, "server.colour", {}, "[server]\ncolour = \"blue\"\n"},
      {{"server", "--config", "/nonexistent.toml"}, 2, "/nonexistent.toml"},
  });
}

TEST_F(BadInvocations, ExecAsRootNeedsAUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "only a root server refuses exec without --exec-user";
  Check({{{"server", "--allow-exec"}, 2, "--exec-user"}});
}

TEST_F(BadInvocations, ServerSideErrorsExitOneNamingTheField) {
  const std::string big(2000, 'x');
  Check({
      {{"show", "NO-SUCH-TASK"}, 1, "field \"id\""},
      {{"cancel", "NO-SUCH-TASK"}, 1, "404"},
      {{"retry", "NO-SUCH-TASK"}, 1, "not_found"},
      {{"schedule", "rm", "no-such-schedule"}, 1, "404"},
      {{"schedule", "pause", "no-such-schedule"}, 1, "not_found"},
      {{"submit", "echo", "--payload-text", big}, 1, "payload"},
  });
  // A duplicate schedule id is refused by the server: 409, nothing changed.
  ASSERT_EQ(RunTaskly({"schedule", "add", "dup", "--every", "1h", "--type", "echo"},
                      server_->client_env())
                .code,
            0);
  CliRun again = RunTaskly({"schedule", "add", "dup", "--every", "2h", "--type", "echo"},
                           server_->client_env());
  EXPECT_EQ(again.code, 1) << again;
  EXPECT_THAT(again.err, HasSubstr("409"));
  EXPECT_THAT(again.err, HasSubstr("already_exists"));
  Json dup =
      Json::parse(RunTaskly({"--json", "schedule", "show", "dup"}, server_->client_env()).out);
  EXPECT_EQ(dup["every"], "1h");
}

}  // namespace
}  // namespace taskly::cli::testing
