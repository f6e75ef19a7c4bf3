// Every client command of `taskly` against a real `taskly server` (sqlite store, exec enabled)
// over HTTP on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_test_util.h"
#include "taskly/sqlite_store.h"

namespace taskly::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ClientCommands : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // The 100 ms schedule below is shorter than the default minimum period.
    std::vector<std::string> args = {
        "--slots", "2", "--queues", "default,held,other", "--min-schedule-period", "100ms"};
    for (const std::string& flag : ExecFlags()) args.push_back(flag);
    server_ = new Server(dir_->path(), args);
    ASSERT_TRUE(server_->Start());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static CliRun Taskly(std::vector<std::string> args) {
    return RunTaskly(args, server_->client_env());
  }
  // Runs with --json (first: what follows "--" is a command's argv), expecting success, and
  // returns the parsed output.
  static Json TasklyJson(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    CliRun r = Taskly(args);
    EXPECT_EQ(r.code, 0) << r;
    return r.json();
  }
  static std::string Submit(std::vector<std::string> args) {
    args.insert(args.begin(), "submit");
    Json j = TasklyJson(args);
    EXPECT_TRUE(j.contains("id")) << j;
    return j.value("id", "");
  }
  static Json Show(const std::string& id) { return TasklyJson({"show", id}); }
  static bool StateIs(const std::string& id, const std::string& state) {
    return Show(id).value("state", "") == state;
  }

  static TempDir* dir_;
  static Server* server_;
};

TempDir* ClientCommands::dir_ = nullptr;
Server* ClientCommands::server_ = nullptr;

TEST_F(ClientCommands, SubmitWaitRunsAnExecTaskAndPrintsItsResult) {
  CliRun r = Taskly({"submit", "--wait", "--exec", "--", "/bin/echo", "hello", "a b; echo x"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("succeeded"));
  EXPECT_THAT(r.out, HasSubstr("hello a b; echo x"));

  Json task = TasklyJson({"submit", "--wait", "--exec", "--", "/bin/echo", "-n", "json"});
  EXPECT_EQ(task["state"], "succeeded");
  EXPECT_EQ(task["type"], "exec");
  EXPECT_EQ(task["result"]["exit_code"], 0);
  EXPECT_EQ(task["result"]["stdout"], "json");
  EXPECT_EQ(task["payload"]["argv"], Json::array({"/bin/echo", "-n", "json"}));
}

TEST_F(ClientCommands, SubmitWaitExitsFourWhenTheTaskDies) {
  CliRun r = Taskly({"submit", "nohandler", "--max-attempts", "1", "--wait"});
  EXPECT_EQ(r.code, 4) << r;
  EXPECT_THAT(r.out, HasSubstr("dead"));
  EXPECT_THAT(r.out, HasSubstr("no handler registered"));
  EXPECT_THAT(r.err, HasSubstr("ended dead"));

  CliRun failing = Taskly({"submit", "--max-attempts", "1", "--wait", "--exec", "--", "/bin/sh",
                           "-c", "echo oops >&2; exit 3"});
  EXPECT_EQ(failing.code, 4) << failing;
  EXPECT_THAT(failing.out, HasSubstr("exit code 3"));
  EXPECT_THAT(failing.out, HasSubstr("oops"));
}

TEST_F(ClientCommands, SubmitWaitTimeoutExitsFive) {
  CliRun r = Taskly({"submit", "echo", "--delay", "1h", "--wait", "--wait-timeout", "200ms"});
  EXPECT_EQ(r.code, 5) << r;
  EXPECT_THAT(r.err, HasSubstr("still scheduled"));
}

TEST_F(ClientCommands, SubmitSetsEveryTaskField) {
  const std::string id = Submit({"echo",
                                 "--payload",
                                 R"({"n": [1, 2]})",
                                 "--queue",
                                 "other",
                                 "--priority",
                                 "7",
                                 "--deadline",
                                 "2099-01-02T03:04:05Z",
                                 "--timeout",
                                 "1m30s",
                                 "--max-attempts",
                                 "5",
                                 "--backoff-initial",
                                 "2s",
                                 "--backoff-cap",
                                 "1h",
                                 "--backoff-multiplier",
                                 "3",
                                 "--run-at",
                                 "2098-05-06T07:08:09+02:00",
                                 "--unique-key",
                                 "every-field",
                                 "--unique-ttl",
                                 "10m",
                                 "--label",
                                 "team=core",
                                 "--label",
                                 "env=test"});
  Json t = Show(id);
  EXPECT_EQ(t["type"], "echo");
  EXPECT_EQ(t["payload"], Json::parse(R"({"n": [1, 2]})"));
  EXPECT_EQ(t["queue"], "other");
  EXPECT_EQ(t["priority"], 7);
  EXPECT_EQ(t["deadline"], "2099-01-02T03:04:05Z");
  EXPECT_EQ(t["timeout"], "1m30s");
  EXPECT_EQ(t["max_attempts"], 5);
  EXPECT_EQ(t["backoff"]["initial"], "2s");
  EXPECT_EQ(t["backoff"]["cap"], "1h");
  EXPECT_EQ(t["backoff"]["multiplier"], 3.0);
  EXPECT_EQ(t["run_at"], "2098-05-06T05:08:09Z");
  EXPECT_EQ(t["state"], "scheduled");
  EXPECT_EQ(t["unique_key"], "every-field");
  EXPECT_EQ(t["unique_ttl"], "10m");
  EXPECT_EQ(t["labels"], Json::parse(R"({"team": "core", "env": "test"})"));

  // The same unique key again: the existing task, not a new one.
  Json again = TasklyJson({"submit", "echo", "--unique-key", "every-field", "--delay", "1h"});
  EXPECT_EQ(again["id"], id);
  EXPECT_EQ(again["created"], false);
  CliRun human = Taskly({"submit", "echo", "--unique-key", "every-field"});
  EXPECT_THAT(human.out, HasSubstr("already submitted: " + id));

  // Text payloads and payloads from a file keep their bytes.
  const std::string text_id = Submit({"echo", "--payload-text", "plain words", "--delay", "1h"});
  EXPECT_EQ(Show(text_id)["payload"], "plain words");
  WriteFile(*dir_ / "payload.bin", "line 1\nline 2\n");
  const std::string file_id =
      Submit({"echo", "--payload-file", *dir_ / "payload.bin", "--delay", "1h"});
  EXPECT_EQ(Show(file_id)["payload"], "line 1\nline 2\n");
}

TEST_F(ClientCommands, ListFiltersAndPages) {
  const std::string a =
      Submit({"lsfilter-a", "--queue", "held", "--label", "batch=ls1", "--delay", "1h"});
  const std::string b =
      Submit({"lsfilter-b", "--queue", "held", "--label", "batch=ls1", "--delay", "1h"});
  const std::string c =
      Submit({"lsfilter-a", "--queue", "other", "--label", "batch=ls2", "--delay", "1h"});
  auto ids = [](const Json& page) {
    std::vector<std::string> out;
    for (const Json& t : page["tasks"]) out.push_back(t["id"]);
    return out;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(ids(TasklyJson({"ls", "--label", "batch=ls1"})), ElementsAre(a, b));
  EXPECT_THAT(ids(TasklyJson({"ls", "--type", "lsfilter-a"})), ElementsAre(a, c));
  EXPECT_THAT(ids(TasklyJson({"ls", "--type", "lsfilter-a", "--queue", "other"})), ElementsAre(c));
  EXPECT_THAT(ids(TasklyJson({"ls", "--label", "batch=ls2", "--state", "scheduled"})),
              ElementsAre(c));
  EXPECT_THAT(ids(TasklyJson({"ls", "--label", "batch=ls2", "--state", "pending"})), ElementsAre());

  Json first = TasklyJson({"ls", "--label", "batch=ls1", "--limit", "1"});
  EXPECT_THAT(ids(first), ElementsAre(a));
  ASSERT_TRUE(first.contains("next"));
  Json second =
      TasklyJson({"ls", "--label", "batch=ls1", "--limit", "1", "--after", first["next"]});
  EXPECT_THAT(ids(second), ElementsAre(b));
  EXPECT_THAT(ids(TasklyJson({"ls", "--label", "batch=ls1", "--limit", "1", "--all"})),
              ElementsAre(a, b));

  CliRun table = Taskly({"ls", "--label", "batch=ls1"});
  ASSERT_EQ(table.code, 0) << table;
  EXPECT_THAT(table.out, HasSubstr("ID"));
  EXPECT_THAT(table.out, HasSubstr(a));
  EXPECT_THAT(table.out, HasSubstr("lsfilter-b"));
  EXPECT_THAT(table.out, Not(HasSubstr(c)));
}

TEST_F(ClientCommands, ShowPrintsOneTask) {
  const std::string id = Submit({"show-me", "--payload", "[1,2,3]", "--delay", "1h"});
  CliRun r = Taskly({"show", id});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("id:"));
  EXPECT_THAT(r.out, HasSubstr(id));
  EXPECT_THAT(r.out, HasSubstr("scheduled"));
  EXPECT_THAT(r.out, HasSubstr("show-me"));
  EXPECT_EQ(Show(id)["payload"], Json::array({1, 2, 3}));
}

TEST_F(ClientCommands, PayloadNumbersTravelAsWritten) {
  // Sent, stored and printed digit for digit, in both output forms (a JSON library's doubles
  // would print 1.2345678901234568e+29 and 1.5).
  const std::string payload = R"({"n":123456789012345678901234567890,"f":1.50})";
  const std::string id = Submit({"exact", "--payload", payload, "--delay", "1h"});
  CliRun shown = Taskly({"show", id});
  ASSERT_EQ(shown.code, 0) << shown;
  EXPECT_THAT(shown.out, HasSubstr(payload));
  CliRun json = Taskly({"--json", "show", id});
  ASSERT_EQ(json.code, 0) << json;
  EXPECT_THAT(json.out, HasSubstr(R"("payload": )" + payload));
}

TEST_F(ClientCommands, CancelAScheduledTask) {
  const std::string id = Submit({"to-cancel", "--delay", "1h"});
  CliRun r = Taskly({"cancel", id});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("cancelled " + id));
  EXPECT_EQ(Show(id)["state"], "cancelled");
  // Cancelling it again is refused by the server: exit 1 with its error.
  CliRun again = Taskly({"cancel", id});
  EXPECT_EQ(again.code, 1) << again;
  EXPECT_THAT(again.err, HasSubstr("409"));
  EXPECT_THAT(again.err, HasSubstr("failed_precondition"));
}

TEST_F(ClientCommands, CancelARunningExecTask) {
  const std::string id = Submit({"--exec", "--", "/bin/sleep", "30"});
  ASSERT_TRUE(PollUntil([&] { return StateIs(id, "active"); }));
  Json cancelled = TasklyJson({"cancel", id});
  EXPECT_EQ(cancelled["state"], "cancelled");
  // The command was stopped: the worker is free again.
  EXPECT_TRUE(PollUntil([&] {
    const Json answer = TasklyJson({"workers"});  // kept: the loop reads into it
    for (const Json& w : answer["workers"]) {
      if (w.value("task", "") == id) return false;
    }
    return true;
  }));
}

TEST_F(ClientCommands, RetryADeadTask) {
  const std::string id = Submit({"nohandler", "--queue", "held", "--max-attempts", "1"});
  ASSERT_TRUE(PollUntil([&] { return StateIs(id, "dead"); }));
  // Paused, the queue keeps the retried task pending where we can see it.
  ASSERT_EQ(Taskly({"queue", "pause", "held"}).code, 0);
  CliRun r = Taskly({"retry", id});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("retried " + id));
  Json t = Show(id);
  EXPECT_EQ(t["state"], "pending");
  EXPECT_EQ(t["attempts"], 0);
  ASSERT_EQ(Taskly({"queue", "resume", "held"}).code, 0);
  EXPECT_TRUE(PollUntil([&] { return StateIs(id, "dead"); }));
  // A task that is not dead, cancelled or expired cannot be retried.
  const std::string later = Submit({"echo", "--delay", "1h"});
  CliRun refused = Taskly({"retry", later});
  EXPECT_EQ(refused.code, 1) << refused;
  EXPECT_THAT(refused.err, HasSubstr("failed_precondition"));
}

TEST_F(ClientCommands, ScheduleAddListPauseRemove) {
  Json cron = TasklyJson({"schedule", "add", "nightly", "--cron", "30 2 * * *", "--tz",
                          "America/New_York", "--type", "echo", "--misfire", "skip", "--overlap",
                          "forbid", "--start-within", "10m", "--wcet", "2s"});
  EXPECT_EQ(cron["id"], "nightly");
  EXPECT_EQ(cron["tz"], "America/New_York");
  EXPECT_EQ(cron["misfire"]["policy"], "skip");
  EXPECT_EQ(cron["overlap"], "forbid");
  ASSERT_TRUE(cron.contains("next_due"));
  // 02:30 in New York is 07:30Z (EST) or 06:30Z (EDT).
  const std::string next = cron["next_due"];
  EXPECT_TRUE(next.find("T07:30:00Z") != std::string::npos ||
              next.find("T06:30:00Z") != std::string::npos)
      << next;

  Json every = TasklyJson({"schedule", "add", "rate", "--every", "5m", "--anchor",
                           "2026-01-01T00:00:00Z", "--misfire", "catch_up", "--max-catch-up", "3",
                           "--exec", "--", "/bin/echo", "tick"});
  EXPECT_EQ(every["every"], "5m");
  EXPECT_EQ(every["task"]["type"], "exec");
  EXPECT_EQ(every["misfire"]["max_catch_up"], 3);
  Json once = TasklyJson({"schedule", "add", "later", "--once", "+1h", "--type", "echo"});
  EXPECT_TRUE(once.contains("once"));
  EXPECT_EQ(once["next_due"], once["once"]);

  Json list = TasklyJson({"schedule", "ls"});
  std::vector<std::string> ids;
  for (const Json& s : list["schedules"]) ids.push_back(s["id"]);
  EXPECT_THAT(ids, ::testing::IsSupersetOf({"later", "nightly", "rate"}));
  CliRun table = Taskly({"schedule", "ls"});
  EXPECT_THAT(table.out, HasSubstr("cron 30 2 * * * (America/New_York)"));
  EXPECT_THAT(table.out, HasSubstr("every 5m"));

  Json paused = TasklyJson({"schedule", "pause", "nightly"});
  EXPECT_EQ(paused["paused"], true);
  EXPECT_FALSE(paused.contains("next_due"));
  EXPECT_EQ(TasklyJson({"schedule", "show", "nightly"})["paused"], true);
  Json resumed = TasklyJson({"schedule", "resume", "nightly"});
  EXPECT_EQ(resumed["paused"], false);
  EXPECT_TRUE(resumed.contains("next_due"));

  for (const char* id : {"nightly", "rate", "later"}) {
    CliRun rm = Taskly({"schedule", "rm", id});
    EXPECT_EQ(rm.code, 0) << rm;
  }
  CliRun gone = Taskly({"schedule", "show", "nightly"});
  EXPECT_EQ(gone.code, 1) << gone;
  EXPECT_THAT(gone.err, HasSubstr("404"));
}

TEST_F(ClientCommands, AnEverySchedulesTicksRun) {
  ASSERT_EQ(Taskly({"schedule", "add", "fast", "--every", "100ms", "--type", "echo", "--payload",
                    R"("tick")"})
                .code,
            0);
  EXPECT_TRUE(PollUntil([&] {
    const Json answer = TasklyJson({"ls", "--type", "echo", "--state", "succeeded"});
    for (const Json& t : answer["tasks"]) {
      if (t.value("schedule_id", "") == "fast" && t["result"] == "tick") return true;
    }
    return false;
  }));
  EXPECT_EQ(Taskly({"schedule", "rm", "fast"}).code, 0);
}

TEST_F(ClientCommands, QueueLimitAndList) {
  Json info =
      TasklyJson({"queue", "limit", "limited", "--concurrency", "2", "--rate", "5", "--burst", "3",
                  "--policy", "priority", "--aging-step", "1s", "--weight", "4"});
  EXPECT_EQ(info["name"], "limited");
  EXPECT_EQ(info["config"]["concurrency"], 2);
  EXPECT_EQ(info["config"]["rate"], 5.0);
  EXPECT_EQ(info["config"]["burst"], 3);
  EXPECT_EQ(info["config"]["policy"], "priority");
  EXPECT_EQ(info["config"]["aging_step"], "1s");
  EXPECT_EQ(info["config"]["weight"], 4);
  // A partial update keeps the other settings.
  Json partial = TasklyJson({"queue", "limit", "limited", "--concurrency", "1"});
  EXPECT_EQ(partial["config"]["concurrency"], 1);
  EXPECT_EQ(partial["config"]["rate"], 5.0);

  ASSERT_EQ(Taskly({"queue", "pause", "limited"}).code, 0);
  auto find = [](const Json& queues, const std::string& name) {
    for (const Json& q : queues["queues"]) {
      if (q["name"] == name) return q;
    }
    return Json();
  };
  Json listed = find(TasklyJson({"queue", "ls"}), "limited");
  EXPECT_EQ(listed["paused"], true);
  EXPECT_EQ(listed["config"]["concurrency"], 1);
  ASSERT_EQ(Taskly({"queue", "resume", "limited"}).code, 0);
  EXPECT_EQ(find(TasklyJson({"queue", "ls"}), "limited")["paused"], false);

  CliRun table = Taskly({"queue", "ls"});
  ASSERT_EQ(table.code, 0) << table;
  EXPECT_THAT(table.out, HasSubstr("CONCURRENCY"));
  EXPECT_THAT(table.out, HasSubstr("limited"));
  EXPECT_THAT(table.out, HasSubstr("5.0/s"));
}

TEST_F(ClientCommands, Stats) {
  ASSERT_EQ(Taskly({"submit", "echo", "--wait"}).code, 0);
  Json stats = TasklyJson({"stats"});
  EXPECT_GE(stats["started"].get<int64_t>(), 1);
  EXPECT_GE(stats["succeeded"].get<int64_t>(), 1);
  EXPECT_GE(stats["run_time"]["count"].get<int64_t>(), 1);
  EXPECT_TRUE(stats["start_latency"].contains("p99"));
  CliRun table = Taskly({"stats"});
  ASSERT_EQ(table.code, 0) << table;
  EXPECT_THAT(table.out, HasSubstr("succeeded:"));
  EXPECT_THAT(table.out, HasSubstr("start_latency"));
}

TEST_F(ClientCommands, Analyze) {
  ASSERT_EQ(Taskly({"schedule", "add", "an-a", "--every", "100s", "--wcet", "20s", "--type", "echo",
                    "--paused"})
                .code,
            0);
  ASSERT_EQ(Taskly({"schedule", "add", "an-b", "--every", "50s", "--wcet", "10s", "--type", "echo",
                    "--paused"})
                .code,
            0);
  Json report = TasklyJson({"analyze"});
  ASSERT_EQ(report["pools"].size(), 1u) << report;
  const Json& pool = report["pools"][0];
  EXPECT_EQ(pool["slots"], 2);
  std::map<std::string, Json> tasks;
  for (const Json& t : pool["tasks"]) tasks[t["name"]] = t;
  ASSERT_EQ(tasks.count("an-a"), 1u);
  ASSERT_EQ(tasks.count("an-b"), 1u);
  EXPECT_DOUBLE_EQ(tasks["an-a"]["utilization"].get<double>(), 0.2);
  EXPECT_EQ(tasks["an-b"]["wcet"], "10s");
  CliRun table = Taskly({"analyze"});
  ASSERT_EQ(table.code, 0) << table;
  EXPECT_THAT(table.out, HasSubstr("an-a"));
  EXPECT_THAT(table.out, HasSubstr("rms:"));
  EXPECT_THAT(table.out, HasSubstr("edf:"));
  EXPECT_EQ(Taskly({"schedule", "rm", "an-a"}).code, 0);
  EXPECT_EQ(Taskly({"schedule", "rm", "an-b"}).code, 0);
}

TEST_F(ClientCommands, Workers) {
  Json workers = TasklyJson({"workers"});
  ASSERT_EQ(workers["workers"].size(), 2u) << workers;
  for (const Json& w : workers["workers"]) {
    EXPECT_TRUE(w.contains("id"));
    EXPECT_TRUE(w["busy"].is_boolean());
  }
  const std::string id = Submit({"--exec", "--", "/bin/sleep", "30"});
  EXPECT_TRUE(PollUntil([&] {
    const Json answer = TasklyJson({"workers"});  // kept: the loop reads into it
    for (const Json& w : answer["workers"]) {
      if (w.value("task", "") == id && w["busy"] == true) return true;
    }
    return false;
  })) << Show(id);
  CliRun table = Taskly({"workers"});
  EXPECT_THAT(table.out, HasSubstr("WORKER"));
  EXPECT_THAT(table.out, HasSubstr(id));
  EXPECT_EQ(Taskly({"cancel", id}).code, 0);
}

TEST_F(ClientCommands, JsonOutputOfEveryCommandParses) {
  const std::string id = Submit({"echo", "--delay", "1h"});
  const std::vector<std::vector<std::string>> commands = {
      {"ls"},
      {"show", id},
      {"cancel", id},
      {"retry", id},
      {"schedule", "add", "json-s", "--every", "1h", "--type", "echo"},
      {"schedule", "ls"},
      {"schedule", "show", "json-s"},
      {"schedule", "pause", "json-s"},
      {"schedule", "resume", "json-s"},
      {"schedule", "rm", "json-s"},
      {"queue", "ls"},
      {"queue", "limit", "json-q", "--rate", "0"},  // creates the queue
      {"queue", "pause", "json-q"},
      {"queue", "resume", "json-q"},
      {"stats"},
      {"analyze"},
      {"workers"},
      {"cron", "next", "@daily"},
  };
  for (std::vector<std::string> args : commands) {
    args.push_back("--json");
    CliRun r = Taskly(args);
    EXPECT_EQ(r.code, 0) << ::testing::PrintToString(args) << r;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << ::testing::PrintToString(args) << r;
  }
}

TEST_F(ClientCommands, BackupCopiesTheRunningServersDatabase) {
  const std::string id = Submit({"echo", "--payload", R"({"backed": "up"})", "--queue", "held"});
  TempDir out;
  const std::string file = out / "copy.db";
  CliRun r = Taskly({"backup", file});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr(file));
  EXPECT_FALSE(std::filesystem::exists(file + ".part"));

  // The copy is a whole store: it opens, and holds the task.
  Result<std::unique_ptr<Store>> copy = OpenSqliteStore({.path = file});
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  Result<Task> task = (*copy)->get(id);
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  EXPECT_EQ(task->spec.payload, R"({"backed":"up"})");

  // Never over an existing file.
  CliRun again = Taskly({"backup", file});
  EXPECT_EQ(again.code, 2) << again;
  EXPECT_THAT(again.err, HasSubstr("already exists"));
}

TEST(BackupOfAMemoryStore, IsRefusedNamingTheStore) {
  TempDir dir;
  Server server(dir.path(), {"--store", "memory"});
  ASSERT_TRUE(server.Start());
  CliRun r = RunTaskly({"backup", dir / "copy.db"}, server.client_env());
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("409"));
  EXPECT_THAT(r.err, HasSubstr("store"));
  EXPECT_FALSE(std::filesystem::exists(dir / "copy.db"));
  EXPECT_FALSE(std::filesystem::exists(dir / "copy.db.part"));
}

}  // namespace
}  // namespace taskly::cli::testing
