// Secrets, files and logs of `taskly` as a process: no secret is taken from the command line,
// tokens come from the environment, a private file or the config file and are long enough, the
// data dir and the database are private, commands do not see the server's secrets, and a
// request cannot forge a log line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <fstream>

#include "cli/cli_test_util.h"
#include "cli/cluster_test_util.h"

namespace taskly::cli::testing {
namespace {

using taskly::testing::RedisServer;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "secrets-test-token-0123456789";

void WritePrivate(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(Secrets, ATokenOnTheCommandLineIsRefusedWithWhereToPutIt) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--token", kToken, "ls"},
           {"ls", "--token", kToken},
           {"--token=" + std::string(kToken), "server"},
       }) {
    CliRun r = RunTaskly(args);
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_THAT(r.err, HasSubstr("--token: a token on the command line is visible"));
    EXPECT_THAT(r.err, HasSubstr("TASKLY_TOKEN"));
    EXPECT_THAT(r.err, HasSubstr("--token-file"));
  }
  // After "--" the words are a command's, not taskly's: this one fails for another reason.
  CliRun command = RunTaskly({"submit", "--exec", "--", "/bin/echo", "--token", "x"},
                             {{"TASKLY_SERVER", "http://127.0.0.1:1"}});
  EXPECT_THAT(command.err, Not(HasSubstr("visible to every local user"))) << command;
}

TEST(Secrets, AStorePasswordOnTheCommandLineIsRefused) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"server", "--store", "redis://:pw@127.0.0.1:1/0"},
           {"worker", "--store=redis://user:pw@127.0.0.1:1/0"},
       }) {
    CliRun r = RunTaskly(args);
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_THAT(r.err, HasSubstr("--store: a password on the command line is visible"));
    EXPECT_THAT(r.err, HasSubstr("TASKLY_STORE_PASSWORD"));
    EXPECT_THAT(r.err, HasSubstr("--store-password-file"));
    EXPECT_THAT(r.err, Not(HasSubstr("pw@")));
  }
}

TEST(Secrets, TheTokenComesFromAPrivateFileForServerAndClient) {
  TempDir dir;
  const std::string file = dir / "token.txt";
  WritePrivate(file, std::string(kToken) + "\n");
  Server server(dir.path(), {"--store", "memory", "--token-file", file});
  ASSERT_TRUE(server.Start());
  EXPECT_FALSE(std::filesystem::exists(dir / "taskly-data"));
  EXPECT_THAT(server.banner(), HasSubstr("the token file " + file));
  CliRun ok = RunTaskly({"ls", "--token-file", file}, {{"TASKLY_SERVER", server.url()}});
  EXPECT_EQ(ok.code, 0) << ok;
  CliRun env = RunTaskly({"ls"}, {{"TASKLY_SERVER", server.url()}, {"TASKLY_TOKEN_FILE", file}});
  EXPECT_EQ(env.code, 0) << env;

  CliRun both = RunTaskly({"ls", "--token-file", file},
                          {{"TASKLY_SERVER", server.url()}, {"TASKLY_TOKEN", kToken}});
  EXPECT_EQ(both.code, 2) << both;

  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  CliRun open = RunTaskly({"ls", "--token-file", file}, {{"TASKLY_SERVER", server.url()}});
  EXPECT_EQ(open.code, 2) << open;
  EXPECT_THAT(open.err, HasSubstr("chmod 600 " + file));
  CliRun missing = RunTaskly({"ls", "--token-file", dir / "nope"});
  EXPECT_EQ(missing.code, 2) << missing;
  EXPECT_THAT(missing.err, HasSubstr(dir / "nope"));
}

TEST(Secrets, ATokenShorterThan22CharactersIsRefusedWherevernItIsConfigured) {
  TempDir dir;
  CliRun env = RunTaskly({"server", "--store", "memory"}, {{"TASKLY_TOKEN", "t"}}, dir.path());
  EXPECT_EQ(env.code, 2) << env;
  EXPECT_THAT(env.err, HasSubstr("at least 22 characters"));

  WritePrivate(dir / "short", "0123456789abcdefghij\n");  // 20 characters
  CliRun file =
      RunTaskly({"server", "--store", "memory", "--token-file", dir / "short"}, {}, dir.path());
  EXPECT_EQ(file.code, 2) << file;
  EXPECT_THAT(file.err, HasSubstr("at least 22 characters"));

  WriteFile(dir / "taskly.toml", "token = \"short\"\n[server]\nstore = \"memory\"\n");
  CliRun config = RunTaskly({"server", "--config", dir / "taskly.toml"}, {}, dir.path());
  EXPECT_EQ(config.code, 2) << config;
  EXPECT_THAT(config.err, HasSubstr("at least 22 characters"));

  std::filesystem::create_directory(dir / "data");
  ::chmod((dir / "data").c_str(), 0700);
  WritePrivate(dir / "data/token", "short\n");
  CliRun data_dir =
      RunTaskly({"server", "--store", "memory", "--data-dir", dir / "data"}, {}, dir.path());
  EXPECT_EQ(data_dir.code, 1) << data_dir;
  EXPECT_THAT(data_dir.err, HasSubstr(dir / "data/token"));
  EXPECT_THAT(data_dir.err, HasSubstr("at least 22 characters"));

  CliRun client = RunTaskly({"ls"}, {{"TASKLY_TOKEN", "t"}});
  EXPECT_EQ(client.code, 2) << client;
}

TEST(Secrets, TheRedisPasswordComesFromTheEnvironmentOrAFileNeverArgv) {
  std::unique_ptr<RedisServer> redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr) << RedisServer::last_error();
  ASSERT_EQ(redis->Command("CONFIG SET requirepass redis-pass-0123"), "+OK");
  TempDir dir;
  NodeProcess by_env("worker", "w1", dir.path(), {"--store", redis->url()},
                     {{"TASKLY_STORE_PASSWORD", "redis-pass-0123"}});
  ASSERT_TRUE(by_env.Start());
  std::string cmdline = ReadFile("/proc/" + std::to_string(by_env.pid()) + "/cmdline");
  EXPECT_THAT(cmdline, Not(HasSubstr("redis-pass")));

  WritePrivate(dir / "redis-pass", "redis-pass-0123\n");
  NodeProcess by_file("worker", "w2", dir.path(),
                      {"--store", redis->url(), "--store-password-file", dir / "redis-pass"}, {});
  ASSERT_TRUE(by_file.Start());

  CliRun wrong = RunTaskly({"worker", "--store", redis->url()},
                           {{"TASKLY_STORE_PASSWORD", "not-the-password"}}, dir.path());
  EXPECT_NE(wrong.code, 0) << wrong;
  CliRun sqlite = RunTaskly({"server", "--store", "memory"},
                            {{"TASKLY_STORE_PASSWORD", "x"}, {"TASKLY_TOKEN", kToken}}, dir.path());
  EXPECT_EQ(sqlite.code, 2) << sqlite;
  EXPECT_THAT(sqlite.err, HasSubstr("only used by a redis:// store"));
}

TEST(Secrets, CommandsDoNotSeeTheServersSecrets) {
  TempDir dir;
  std::vector<std::string> args = {"--store", "memory"};
  for (const std::string& flag : ExecFlags()) args.push_back(flag);
  Server server(dir.path(), args, {{"TASKLY_TOKEN", kToken}});
  ASSERT_TRUE(server.Start());
  const Env env = {{"TASKLY_SERVER", server.url()}, {"TASKLY_TOKEN", kToken}};
  CliRun r = RunTaskly({"--json", "submit", "--wait", "--exec", "--", "/usr/bin/env"}, env);
  ASSERT_EQ(r.code, 0) << r;
  const std::string result = r.json().dump();
  EXPECT_THAT(result, Not(HasSubstr("TASKLY_")));
  EXPECT_THAT(result, Not(HasSubstr(kToken)));
}

TEST(Secrets, TheDataDirAndTheDatabaseArePrivate) {
  TempDir dir;
  const mode_t old_umask = ::umask(022);  // the server inherits it
  Server server(dir.path(), {});
  const bool started = server.Start();
  ::umask(old_umask);
  ASSERT_TRUE(started);
  EXPECT_EQ(ModeOf(dir / "taskly-data"), 0700u);
  EXPECT_EQ(ModeOf(dir / "taskly-data/taskly.db"), 0600u);
  EXPECT_EQ(ModeOf(dir / "taskly-data/taskly.db-wal"), 0600u);
  EXPECT_EQ(ModeOf(dir / "taskly-data/token"), 0600u);
}

TEST(Secrets, ADataDirOthersCanWriteIsRefused) {
  TempDir dir;
  const std::string data = dir / "shared-data";
  std::filesystem::create_directory(data);
  ASSERT_EQ(::chmod(data.c_str(), 0777), 0);
  CliRun r = RunTaskly({"server", "--listen", "127.0.0.1:0", "--data-dir", data}, {}, dir.path());
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("the data dir " + data + " is writable by group or others"));
  EXPECT_THAT(r.err, HasSubstr("chmod 700 " + data));
  EXPECT_FALSE(std::filesystem::exists(data + "/token"));
}

// A request path with an encoded newline must not start a log line of its own.
TEST(Secrets, ARequestCannotForgeALogLine) {
  TempDir dir;
  Server server(dir.path(), {"--store", "memory", "--log-level", "debug"},
                {{"TASKLY_TOKEN", kToken}});
  ASSERT_TRUE(server.Start());
  httplib::Client client(server.url());
  httplib::Result res =
      client.Get("/x%0A[2026-01-01%2000:00:00.000]%20[taskly]%20[error]%20forged%1B[2J");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  ASSERT_TRUE(PollUntil([&] { return server.log().find("forged") != std::string::npos; }))
      << server.log();
  const std::string log = server.log();
  const size_t at = log.find("forged");
  const size_t line_start = log.rfind('\n', at) + 1;  // npos + 1 == 0
  const std::string line = log.substr(line_start, log.find('\n', at) - line_start);
  // The request is one line, whatever form its path is logged in (as sent, or decoded and
  // escaped): no line of the log starts with the forged prefix, and no escape byte reaches it.
  EXPECT_THAT(line, HasSubstr("api: GET /x"));
  EXPECT_EQ(log.find("\n[2026-01-01"), std::string::npos) << log;
  EXPECT_THAT(log, Not(HasSubstr("\x1b")));
}

}  // namespace
}  // namespace taskly::cli::testing
