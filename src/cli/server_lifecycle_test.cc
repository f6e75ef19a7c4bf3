// `taskly server` as a process: the token file, authentication, configuration precedence,
// exec policy, graceful shutdown on SIGTERM, and data that survives a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cli/cli_test_util.h"

namespace taskly::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecretToken[] = "s3cret-token-0123456789abcdef";

Json ShowTask(const Server& server, const std::string& id) {
  CliRun r = RunTaskly({"--json", "show", id}, server.client_env());
  EXPECT_EQ(r.code, 0) << r;
  return r.json();
}

std::string SubmitTask(const Server& server, std::vector<std::string> args) {
  args.insert(args.begin(), {"--json", "submit"});
  CliRun r = RunTaskly(args, server.client_env());
  EXPECT_EQ(r.code, 0) << r;
  return r.json().value("id", "");
}

// A directory a command can write to whatever user it runs as (nobody, under a root server).
std::string SharedDir(const TempDir& dir) {
  namespace fs = std::filesystem;
  fs::permissions(dir.path(), fs::perms::others_exec, fs::perm_options::add);  // traversable
  const std::string path = dir / "shared";
  fs::create_directory(path);
  fs::permissions(path, fs::perms::all);
  return path;
}

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(ServerLifecycle, FirstStartCreatesAPrivateTokenFileThatTheCliFinds) {
  TempDir dir;
  std::string token;
  {
    Server server(dir.path(), {});
    ASSERT_TRUE(server.Start());
    const std::string token_path = dir / "taskly-data/token";
    struct stat st {};
    ASSERT_EQ(::stat(token_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    token = ReadFile(token_path);
    EXPECT_GE(token.size(), 32u);

    // The banner: URL, where the token is, the data dir, three commands to try.
    const std::string banner = server.banner();
    EXPECT_THAT(banner, HasSubstr("url:       " + server.url()));
    EXPECT_THAT(banner, HasSubstr(token_path + " (created now, mode 0600)"));
    EXPECT_THAT(banner, HasSubstr("data dir:  " + dir / "taskly-data"));
    EXPECT_THAT(banner, HasSubstr("submit echo"));
    EXPECT_THAT(banner, HasSubstr("schedule add"));
    EXPECT_THAT(banner, HasSubstr(" ls\n"));
    EXPECT_THAT(banner, Not(HasSubstr(token)));  // never print the secret

    // Run where the server runs, the CLI reads the token from ./taskly-data/token.
    CliRun ls = RunTaskly({"ls"}, {{"TASKLY_SERVER", server.url()}}, dir.path());
    EXPECT_EQ(ls.code, 0) << ls;
    EXPECT_EQ(server.Stop(), 0);
  }
  Server again(dir.path(), {});
  ASSERT_TRUE(again.Start());
  EXPECT_EQ(ReadFile(dir / "taskly-data/token"), token);
  EXPECT_THAT(again.banner(), Not(HasSubstr("created now")));
}

TEST(ServerLifecycle, WrongOrMissingTokenIsUnauthenticated) {
  TempDir dir;
  Server server(dir.path(), {"--store", "memory"});
  ASSERT_TRUE(server.Start());
  Env wrong_env = server.client_env();
  wrong_env["TASKLY_TOKEN"] = "not-the-token-0123456789";
  CliRun wrong = RunTaskly({"ls"}, wrong_env);
  EXPECT_EQ(wrong.code, 1) << wrong;
  EXPECT_THAT(wrong.err, HasSubstr("401"));
  EXPECT_THAT(wrong.err, HasSubstr("unauthenticated"));

  TempDir elsewhere;
  CliRun missing = RunTaskly({"ls"}, {{"TASKLY_SERVER", server.url()}}, elsewhere.path());
  EXPECT_EQ(missing.code, 1) << missing;
  EXPECT_THAT(missing.err, HasSubstr("401"));
  EXPECT_THAT(missing.err, HasSubstr("no readable token file"));
}

TEST(ServerLifecycle, UnreachableServerExitsThree) {
  // A port that was free a moment ago: nothing listens on it.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  ::close(fd);
  CliRun r = RunTaskly({"--server", url, "ls"}, {{"TASKLY_TOKEN", "any-token-0123456789abcdef"}});
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_THAT(r.err, HasSubstr("cannot reach the server at " + url));
}

TEST(ServerLifecycle, AConfiguredTokenNeedsNoDataDir) {
  TempDir dir;
  Server server(dir.path(), {"--store", "memory"}, {{"TASKLY_TOKEN", kSecretToken}});
  ASSERT_TRUE(server.Start());
  EXPECT_FALSE(std::filesystem::exists(dir / "taskly-data"));
  EXPECT_THAT(server.banner(), HasSubstr("given by TASKLY_TOKEN"));
  CliRun ok = RunTaskly({"ls"}, {{"TASKLY_SERVER", server.url()}, {"TASKLY_TOKEN", kSecretToken}});
  EXPECT_EQ(ok.code, 0) << ok;
}

TEST(ServerLifecycle, FlagsBeatEnvironmentBeatsConfigFile) {
  TempDir dir;
  WriteFile(dir / "taskly.toml",
            "token = \"from-file-0123456789abcdef\"\n[server]\nslots = 3\nstore = \"memory\"\n");
  auto slots = [&](std::vector<std::string> args, Env env) -> size_t {
    Server server(dir.path(), With({"--config", dir / "taskly.toml"}, args), env);
    if (!server.Start()) return 0;
    CliRun r = RunTaskly({"--json", "workers"}, {{"TASKLY_SERVER", server.url()},
                                                 {"TASKLY_TOKEN", "from-file-0123456789abcdef"}});
    EXPECT_EQ(r.code, 0) << r;
    return r.json()["workers"].size();
  };
  EXPECT_EQ(slots({}, {}), 3u);
  EXPECT_EQ(slots({}, {{"TASKLY_SLOTS", "2"}}), 2u);
  EXPECT_EQ(slots({"--slots", "1"}, {{"TASKLY_SLOTS", "2"}}), 1u);
}

TEST(ServerLifecycle, ExecIsOffByDefault) {
  TempDir dir;
  Server server(dir.path(), {"--store", "memory"});
  ASSERT_TRUE(server.Start());
  CliRun r =
      RunTaskly({"submit", "--wait", "--exec", "--", "/bin/echo", "hi"}, server.client_env());
  EXPECT_EQ(r.code, 4) << r;
  EXPECT_THAT(r.out, HasSubstr("exec tasks are disabled (start the server with --allow-exec)"));
  EXPECT_THAT(r.out, HasSubstr("attempts:     1 of 3"));  // permanent: not retried
}

TEST(ServerLifecycle, ExecAllowlist) {
  TempDir dir;
  Server server(dir.path(), With({"--store", "memory", "--exec-allow", "/bin/echo"}, ExecFlags()));
  ASSERT_TRUE(server.Start());
  CliRun ok =
      RunTaskly({"submit", "--wait", "--exec", "--", "/bin/echo", "allowed"}, server.client_env());
  EXPECT_EQ(ok.code, 0) << ok;
  EXPECT_THAT(ok.out, HasSubstr("allowed"));
  CliRun refused =
      RunTaskly({"submit", "--wait", "--exec", "--", "/bin/true"}, server.client_env());
  EXPECT_EQ(refused.code, 4) << refused;
  EXPECT_THAT(refused.out, HasSubstr("not in the exec allowlist"));
}

TEST(ServerLifecycle, SigtermLetsARunningTaskFinishAndDataSurvivesARestart) {
  TempDir dir;
  std::string running, waiting;
  {
    Server server(dir.path(), With({"--grace", "30s", "--slots", "1"}, ExecFlags()));
    ASSERT_TRUE(server.Start());
    // The command says when it runs by creating a file, so the test signals the server while
    // the command sleeps (polling the task's state could miss a one-second run).
    const std::string started = SharedDir(dir) + "/started";
    running = SubmitTask(
        server, {"--exec", "--", "/bin/sh", "-c", "touch " + started + "; sleep 1; echo done"});
    ASSERT_TRUE(PollUntil([&] { return std::filesystem::exists(started); }));
    waiting = SubmitTask(server, {"later", "--delay", "1h", "--label", "keep=me"});
    ASSERT_EQ(RunTaskly({"schedule", "add", "kept", "--cron", "0 3 * * *", "--tz", "Europe/Berlin",
                         "--type", "echo"},
                        server.client_env())
                  .code,
              0);
    ASSERT_EQ(
        RunTaskly({"queue", "limit", "kept-queue", "--concurrency", "4"}, server.client_env()).code,
        0);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(server.Stop(SIGTERM), 0) << server.log();
    // It waited for the command (about 1s), not for the whole grace.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 25s);
    EXPECT_THAT(server.log(), HasSubstr("shutting down"));
    EXPECT_THAT(server.log(), HasSubstr("stopped"));
  }
  Server restarted(dir.path(), {});
  ASSERT_TRUE(restarted.Start());
  Json done = ShowTask(restarted, running);
  EXPECT_EQ(done["state"], "succeeded") << done;
  EXPECT_EQ(done["result"]["stdout"], "done\n");
  Json later = ShowTask(restarted, waiting);
  EXPECT_EQ(later["state"], "scheduled");
  EXPECT_EQ(later["labels"]["keep"], "me");
  CliRun schedule = RunTaskly({"--json", "schedule", "show", "kept"}, restarted.client_env());
  ASSERT_EQ(schedule.code, 0) << schedule;
  EXPECT_EQ(schedule.json()["tz"], "Europe/Berlin");
  CliRun queues = RunTaskly({"--json", "queue", "ls"}, restarted.client_env());
  ASSERT_EQ(queues.code, 0) << queues;
  bool found = false;
  const Json listed = queues.json();
  for (const Json& q : listed["queues"]) {
    if (q["name"] == "kept-queue") {
      found = true;
      EXPECT_EQ(q["config"]["concurrency"], 4);
    }
  }
  EXPECT_TRUE(found) << queues.out;
}

TEST(ServerLifecycle, ASecondSignalExitsAtOnce) {
  TempDir dir;
  Server server(dir.path(), With({"--grace", "60s", "--store", "memory"}, ExecFlags()));
  ASSERT_TRUE(server.Start());
  // The command writes its pid (its process group's id) when it starts.
  const std::string started = SharedDir(dir) + "/started";
  SubmitTask(server,
             {"--exec", "--", "/bin/sh", "-c",
              "echo $$ > " + started + ".tmp; mv " + started + ".tmp " + started + "; sleep 5"});
  ASSERT_TRUE(PollUntil([&] { return std::filesystem::exists(started); }));
  ::kill(server.pid(), SIGTERM);
  ASSERT_TRUE(PollUntil([&] { return server.log().find("shutting down") != std::string::npos; }));
  // A repeat right away is taken for the same signal delivered twice: still graceful.
  ::kill(server.pid(), SIGTERM);
  EXPECT_FALSE(WaitExit(server.pid(), 700ms).has_value()) << server.log();
  // Exit code 1, at once: it did not wait for the command, which had seconds to go.
  EXPECT_EQ(server.Stop(SIGINT, 3s), 1) << server.log();
  // The abandoned command is left running (documented); end it here.
  const pid_t group = std::stoi(ReadFile(started));
  EXPECT_EQ(::kill(-group, SIGKILL), 0);
}

TEST(ServerLifecycle, ASecondServerCannotOpenTheSameStore) {
  TempDir dir;
  Server first(dir.path(), {});
  ASSERT_TRUE(first.Start());
  CliRun second = RunTaskly({"server", "--listen", "127.0.0.1:0"}, {}, dir.path(), 20s);
  EXPECT_EQ(second.code, 1) << second;
  EXPECT_THAT(second.err, HasSubstr("cannot open the store"));
  EXPECT_THAT(second.err, HasSubstr("locked"));
}

// A data directory that held a store is never silently re-initialised: with its database
// truncated, the server refuses to start (exit 1, saying why and what to do) until --init.
TEST(ServerLifecycle, ATruncatedDatabaseIsRefusedUntilInit) {
  TempDir dir;
  {
    Server server(dir.path(), {});
    ASSERT_TRUE(server.Start());
    ASSERT_FALSE(SubmitTask(server, {"kept", "--delay", "1h"}).empty());
    ASSERT_EQ(server.Stop(SIGTERM), 0) << server.log();
  }
  const std::string db = dir / "taskly-data/taskly.db";
  std::filesystem::resize_file(db, 0);
  CliRun refused = RunTaskly({"server", "--listen", "127.0.0.1:0"}, {}, dir.path());
  EXPECT_EQ(refused.code, 1) << refused;
  EXPECT_THAT(refused.err, HasSubstr(db + " is empty"));
  EXPECT_THAT(refused.err, HasSubstr("--init"));
  EXPECT_EQ(std::filesystem::file_size(db), 0u);

  Server fresh(dir.path(), {"--init"});
  ASSERT_TRUE(fresh.Start());
  CliRun ls = RunTaskly({"--json", "ls", "--all"}, fresh.client_env());
  ASSERT_EQ(ls.code, 0) << ls;
  EXPECT_TRUE(ls.json()["tasks"].empty()) << ls.out;
}

// A port another server listens on is refused (no SO_REUSEPORT: the kernel would split the
// clients between the two), and `taskly server` exits 1 naming the address.
TEST(ServerLifecycle, APortInUseIsRefusedWithExitOne) {
  TempDir dir;
  const Env token = {{"TASKLY_TOKEN", kSecretToken}};
  Server first(dir.path(), {"--store", "memory"}, token);
  ASSERT_TRUE(first.Start());
  const std::string address = first.url().substr(std::string("http://").size());
  TempDir other;
  CliRun second =
      RunTaskly({"server", "--listen", address, "--store", "memory"}, token, other.path(), 20s);
  EXPECT_EQ(second.code, 1) << second;
  EXPECT_THAT(second.err, HasSubstr("cannot listen on " + address));
}

}  // namespace
}  // namespace taskly::cli::testing
