// GET /v1/cluster and the cluster's metrics over real HTTP, for a server alone with a local
// coordinator (as `taskly server` on SQLite runs), and ApiServer's two-step start (Bind, then
// Serve) that lets a node know its URL before its scheduler exists.
#include <gmock/gmock.h>

#include "server/api_test_util.h"
#include "taskly/coordinator.h"

namespace taskly::server {
namespace {

using ::testing::HasSubstr;

class ClusterApiTest : public ApiTest {
 protected:
  void SetUp() override {
    coordinator_ = NewLocalCoordinator(&clock_);
    SchedulerOptions options;
    options.coordinator = coordinator_.get();
    options.queues = {"default", "mail"};
    options.node.id = "node-a";
    options.node.host = "host-a";
    options.node.pid = 4242;
    options.node.api = "http://127.0.0.1:8080";
    options.node.started_at = clock_.now();
    StartServer({}, options);
  }
  // The scheduler goes before the coordinator it uses.
  void TearDown() override {
    ApiTest::TearDown();
    server_.reset();
    scheduler_.reset();
    coordinator_.reset();
  }

  std::unique_ptr<Coordinator> coordinator_;
};

TEST_F(ClusterApiTest, ASingleServerLeadsItsClusterOfOne) {
  EXPECT_EQ(Call("GET", "/v1/cluster", "", nullptr).status, 401);
  ASSERT_TRUE(scheduler().start().ok());
  HttpResult r;
  ASSERT_TRUE(WaitFor([&] {
    r = Get("/v1/cluster");
    return r.status == 200 && r.json["leading"] == true && r.json["nodes"].size() == 1;
  })) << r.body;
  EXPECT_EQ(r.json["self"], "node-a");
  EXPECT_EQ(r.json["leader"]["node"], "node-a");
  EXPECT_EQ(r.json["leader"]["term"], 1);
  EXPECT_TRUE(r.json["leader"]["expires_at"].is_string());
  const Json& node = r.json["nodes"][0];
  EXPECT_EQ(node["id"], "node-a");
  EXPECT_EQ(node["role"], "server");
  EXPECT_EQ(node["host"], "host-a");
  EXPECT_EQ(node["pid"], 4242);
  EXPECT_EQ(node["api"], "http://127.0.0.1:8080");
  EXPECT_EQ(node["queues"], Json({"default", "mail"}));
  EXPECT_EQ(node["slots"], 2);
  EXPECT_EQ(node["running"], Json::array());
  EXPECT_EQ(node["started_at"], codec::FormatTime(clock_.now()));
  EXPECT_TRUE(node["last_seen"].is_string());

  HttpResult stats = Get("/v1/stats");
  EXPECT_EQ(stats.json["leaderships"], 1);
  EXPECT_EQ(stats.json["fenced_writes"], 0);

  HttpResult m = Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_THAT(m.body, HasSubstr("\ntaskly_cluster_leader 1\n"));
  EXPECT_THAT(m.body, HasSubstr("\ntaskly_cluster_term 1\n"));
  EXPECT_THAT(m.body, HasSubstr("\ntaskly_cluster_nodes 1\n"));
  EXPECT_THAT(m.body, HasSubstr("\ntaskly_fenced_writes_total 0\n"));
  EXPECT_THAT(m.body, HasSubstr("\ntaskly_leaderships_total 1\n"));
  EXPECT_THAT(m.body, HasSubstr("# TYPE taskly_cluster_leader gauge"));
  EXPECT_THAT(m.body, HasSubstr("# TYPE taskly_leaderships_total counter"));
}

TEST_F(ClusterApiTest, BindThenServe) {
  ApiOptions options;
  options.port = 0;
  options.token = kToken;
  Result<std::unique_ptr<ApiServer>> bound = ApiServer::Bind(options);
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  ASSERT_GT((*bound)->port(), 0);
  ASSERT_TRUE((*bound)->Serve(scheduler()).ok());
  httplib::Client client("127.0.0.1", (*bound)->port());
  httplib::Result res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ((*bound)->Serve(scheduler()).code(), StatusCode::kFailedPrecondition);
  (*bound)->stop();
  EXPECT_FALSE(client.Get("/healthz"));

  Result<std::unique_ptr<ApiServer>> never_served = ApiServer::Bind(options);
  ASSERT_TRUE(never_served.ok());
  (*never_served)->stop();
  EXPECT_EQ((*never_served)->Serve(scheduler()).code(), StatusCode::kFailedPrecondition);

  options.token.clear();
  EXPECT_EQ(ApiServer::Bind(options).status().field(), "token");
}

}  // namespace
}  // namespace taskly::server
