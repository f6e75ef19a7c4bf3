#include "exec/command_json.h"

#include <gtest/gtest.h>

#include <string>

namespace taskly::exec {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(CommandSpecFromJsonTest, ReadsEveryField) {
  Result<CommandSpec> spec = CommandSpecFromJson(Json::parse(R"({
    "argv": ["/usr/bin/tar", "czf", "/tmp/x.tgz"],
    "env": {"LANG": "C", "TZ": "UTC"},
    "cwd": "/var/tmp",
    "timeout": "1h30m",
    "kill_grace": "250ms",
    "limits": {"cpu_seconds": 60, "address_space_bytes": 1073741824, "open_files": 256,
               "processes": 64},
    "output_cap": 4096
  })"));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->argv, (std::vector<std::string>{"/usr/bin/tar", "czf", "/tmp/x.tgz"}));
  EXPECT_EQ(spec->env, (std::map<std::string, std::string>{{"LANG", "C"}, {"TZ", "UTC"}}));
  EXPECT_EQ(spec->cwd, "/var/tmp");
  EXPECT_EQ(spec->timeout, std::chrono::minutes(90));
  EXPECT_EQ(spec->kill_grace, milliseconds(250));
  EXPECT_EQ(spec->limits.cpu_seconds, 60u);
  EXPECT_EQ(spec->limits.address_space_bytes, uint64_t{1} << 30);
  EXPECT_EQ(spec->limits.open_files, 256u);
  EXPECT_EQ(spec->limits.processes, 64u);
  EXPECT_EQ(spec->output_cap, 4096u);
  EXPECT_FALSE(spec->run_as.has_value());
}

TEST(CommandSpecFromJsonTest, AbsentFieldsKeepDefaults) {
  Result<CommandSpec> spec = CommandSpecFromJson(Json::parse(R"({"argv": ["echo"]})"));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const CommandSpec defaults;
  EXPECT_TRUE(spec->env.empty());
  EXPECT_EQ(spec->cwd, "");
  EXPECT_EQ(spec->timeout, defaults.timeout);
  EXPECT_EQ(spec->kill_grace, defaults.kill_grace);
  EXPECT_EQ(spec->output_cap, defaults.output_cap);
  EXPECT_FALSE(spec->limits.cpu_seconds.has_value());
}

// The field CommandSpecFromJson blames for `text`.
std::string BadField(const std::string& text, std::string_view prefix = "payload") {
  Result<CommandSpec> spec = CommandSpecFromJson(Json::parse(text), prefix);
  if (spec.ok()) return "(accepted)";
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  return spec.status().field();
}

TEST(CommandSpecFromJsonTest, IsStrictAndNamesTheField) {
  EXPECT_EQ(BadField(R"(["echo"])"), "payload");
  EXPECT_EQ(BadField(R"({})"), "payload.argv");
  EXPECT_EQ(BadField(R"({"argv": "echo hi"})"), "payload.argv");
  EXPECT_EQ(BadField(R"({"argv": ["echo", 1]})"), "payload.argv[1]");
  EXPECT_EQ(BadField(R"({"argv": []})"), "payload.argv");
  EXPECT_EQ(BadField(R"({"argv": ["bin/echo"]})"), "payload.argv[0]");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "shell": true})"), "payload.shell");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "env": ["A=1"]})"), "payload.env");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "env": {"HOME": 1}})"), "payload.env.HOME");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "env": {"A=B": "x"}})"), "payload.env.A=B");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "cwd": 7})"), "payload.cwd");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "cwd": "tmp"})"), "payload.cwd");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "timeout": 30})"), "payload.timeout");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "timeout": "30 seconds"})"), "payload.timeout");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "kill_grace": "-5s"})"), "payload.kill_grace");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "limits": 5})"), "payload.limits");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "limits": {"memory": 5}})"), "payload.limits.memory");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "limits": {"open_files": -1}})"),
            "payload.limits.open_files");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "limits": {"open_files": 1.5}})"),
            "payload.limits.open_files");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "limits": {"open_files": "64"}})"),
            "payload.limits.open_files");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "limits": {"processes": 0}})"),
            "payload.limits.processes");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "output_cap": true})"), "payload.output_cap");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "output_cap": 1e12})"), "payload.output_cap");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "output_cap": 1000000000000})"), "payload.output_cap");
  EXPECT_EQ(BadField(R"({"argv": ["echo", 2]})", ""), "argv[1]");
  EXPECT_EQ(BadField(R"({"argv": ["echo"], "run_as": "root"})"), "payload.run_as");
}

TEST(CommandSpecToJsonTest, RoundTrips) {
  CommandSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo \"$X\""};
  spec.env = {{"X", "y"}};
  spec.cwd = "/tmp";
  spec.timeout = seconds(90);
  spec.kill_grace = milliseconds(1500);
  spec.limits.open_files = 10;
  spec.limits.cpu_seconds = 3;
  spec.output_cap = 10;
  const Json j = CommandSpecToJson(spec);
  EXPECT_EQ(j["timeout"], "1m30s");
  EXPECT_EQ(j["limits"], Json::parse(R"({"open_files": 10, "cpu_seconds": 3})"));
  Result<CommandSpec> back = CommandSpecFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->argv, spec.argv);
  EXPECT_EQ(back->env, spec.env);
  EXPECT_EQ(back->cwd, spec.cwd);
  EXPECT_EQ(back->timeout, spec.timeout);
  EXPECT_EQ(back->kill_grace, spec.kill_grace);
  EXPECT_EQ(back->limits.open_files, spec.limits.open_files);
  EXPECT_EQ(back->limits.cpu_seconds, spec.limits.cpu_seconds);
  EXPECT_FALSE(back->limits.processes.has_value());
  EXPECT_EQ(back->output_cap, spec.output_cap);

  const Json minimal = CommandSpecToJson(CommandSpec{.argv = {"true"}});
  EXPECT_FALSE(minimal.contains("env"));
  EXPECT_FALSE(minimal.contains("cwd"));
  EXPECT_FALSE(minimal.contains("timeout"));
  EXPECT_FALSE(minimal.contains("limits"));
}

TEST(CommandResultToJsonTest, HasEveryFieldAndValidUtf8) {
  CommandResult r;
  r.exit_code = -1;
  r.signal = 9;
  r.timed_out = true;
  r.stdout_data = "caf\xc3\xa9\n";
  r.stderr_data = "bad \xff\xfe bytes and a cut \xc3";
  r.stderr_truncated = true;
  r.run_time = milliseconds(2250);
  const Json j = CommandResultToJson(r);
  EXPECT_EQ(j, Json::parse(R"({
    "exit_code": -1, "signal": 9, "timed_out": true, "cancelled": false,
    "stdout": "café\n", "stderr": "bad \ufffd\ufffd bytes and a cut \ufffd",
    "stdout_truncated": false, "stderr_truncated": true, "run_time": "2s250ms"})"));
  EXPECT_NO_THROW(j.dump());
}

}  // namespace
}  // namespace taskly::exec
