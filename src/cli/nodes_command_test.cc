// `taskly nodes` against a real `taskly server` on SQLite: a cluster of one, which leads with
// term 1; and the server's banner names its node.
#include <gmock/gmock.h>

#include "cli/cli_test_util.h"

namespace taskly::cli::testing {
namespace {

using ::testing::HasSubstr;

TEST(NodesCommand, ASqliteServerIsAClusterOfOneThatLeads) {
  TempDir dir;
  Server server(dir.path(), {"--node-id", "solo", "--queues", "a,b", "--slots", "3"});
  ASSERT_TRUE(server.Start());
  EXPECT_THAT(server.banner(), HasSubstr("node:      solo\n"));

  CliRun json;
  ASSERT_TRUE(PollUntil([&] {
    json = RunTaskly({"nodes", "--json"}, server.client_env());
    return json.code == 0 && json.json()["leading"] == true;
  })) << json;
  const Json cluster = json.json();
  EXPECT_EQ(cluster["self"], "solo");
  EXPECT_EQ(cluster["leader"]["node"], "solo");
  EXPECT_EQ(cluster["leader"]["term"], 1);
  ASSERT_EQ(cluster["nodes"].size(), 1u);
  const Json& node = cluster["nodes"][0];
  EXPECT_EQ(node["role"], "server");
  EXPECT_EQ(node["api"], server.url());
  EXPECT_EQ(node["queues"], Json({"a", "b"}));
  EXPECT_EQ(node["slots"], 3);
  EXPECT_EQ(node["pid"], server.pid());

  CliRun table = RunTaskly({"nodes"}, server.client_env());
  ASSERT_EQ(table.code, 0) << table;
  EXPECT_THAT(table.out, HasSubstr("leader: solo (term 1, lease until "));
  EXPECT_THAT(table.out, HasSubstr("NODE    ROLE    HOST"));
  EXPECT_THAT(table.out, HasSubstr("solo *  server  "));
  EXPECT_THAT(table.out, HasSubstr(server.url() + "  a,b     3      0"));
}

}  // namespace
}  // namespace taskly::cli::testing
