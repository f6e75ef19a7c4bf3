// Authentication: every route but the health checks answers 401 with WWW-Authenticate: Bearer
// when the token is missing or wrong, before looking at the request any further.
#include "server/api_test_util.h"

namespace taskly::server {
namespace {

struct Route {
  const char* method;
  const char* path;
};

// Every authenticated route of docs/api.md, plus paths that match none (an unauthenticated
// client must not learn which routes exist).
const Route kRoutes[] = {
    {"POST", "/v1/tasks"},
    {"GET", "/v1/tasks"},
    {"POST", "/v1/tasks/batch"},
    {"GET", "/v1/tasks/{id}"},
    {"POST", "/v1/tasks/{id}/cancel"},
    {"POST", "/v1/tasks/{id}/retry"},
    {"GET", "/v1/schedules"},
    {"POST", "/v1/schedules"},
    {"GET", "/v1/schedules/nightly"},
    {"PUT", "/v1/schedules/nightly"},
    {"DELETE", "/v1/schedules/nightly"},
    {"POST", "/v1/schedules/nightly/pause"},
    {"POST", "/v1/schedules/nightly/resume"},
    {"GET", "/v1/queues"},
    {"GET", "/v1/queues/default"},
    {"PATCH", "/v1/queues/default"},
    {"POST", "/v1/queues/default/pause"},
    {"POST", "/v1/queues/default/resume"},
    {"GET", "/v1/workers"},
    {"GET", "/v1/stats"},
    {"GET", "/v1/analysis"},
    {"GET", "/v1/backup"},
    {"GET", "/metrics"},
    {"GET", "/v1/no-such-route"},
    {"DELETE", "/v1/tasks"},
};

class AuthTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    id_ = *scheduler().enqueue(TaskSpec{.type = "t"});
    ScheduleSpec nightly{.id = "nightly", .cron = "0 3 * * *"};
    nightly.task.type = "backup";
    ASSERT_TRUE(scheduler().add_schedule(nightly).ok());
  }

  // A body that would succeed with the token, so a 401 cannot come from the body.
  static std::string BodyFor(const Route& route) {
    std::string path = route.path;
    if (path == "/v1/tasks") return R"({"type": "t"})";
    if (path == "/v1/tasks/batch") return R"({"tasks": [{"type": "t"}]})";
    if (path.starts_with("/v1/schedules")) return R"({"every": "1h", "task": {"type": "t"}})";
    return "{}";
  }

  std::string Path(const Route& route) {
    std::string path = route.path;
    if (size_t at = path.find("{id}"); at != std::string::npos) path.replace(at, 4, id_);
    return path;
  }

  void ExpectUnauthenticated(const HttpResult& r) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.error_code(), "unauthenticated") << r.body;
    auto challenge = r.headers.find("WWW-Authenticate");
    ASSERT_NE(challenge, r.headers.end());
    EXPECT_TRUE(challenge->second.starts_with("Bearer")) << challenge->second;
  }

  TaskId id_;
};

TEST_F(AuthTest, EveryRouteRefusesAMissingToken) {
  for (const Route& route : kRoutes) {
    SCOPED_TRACE(std::string(route.method) + " " + route.path);
    ExpectUnauthenticated(Call(route.method, Path(route), BodyFor(route), nullptr));
  }
  EXPECT_EQ(store().list({}, {})->tasks.size(), 1u);
  EXPECT_EQ(store().list_schedules()->size(), 1u);
}

TEST_F(AuthTest, EveryRouteRefusesAWrongToken) {
  for (const char* token : {"wrong", "test-token-012345678", "test-token-0123456789x", ""}) {
    for (const Route& route : kRoutes) {
      SCOPED_TRACE(std::string(route.method) + " " + route.path + " token '" + token + "'");
      ExpectUnauthenticated(Call(route.method, Path(route), BodyFor(route), token));
    }
  }
  EXPECT_EQ(store().list({}, {})->tasks.size(), 1u);
  EXPECT_EQ(store().list_schedules()->size(), 1u);
}

TEST_F(AuthTest, OtherSchemesAreRefused) {
  for (std::string header :
       {std::string("Basic ") + kToken, std::string(kToken), std::string("Bearer") + kToken}) {
    httplib::Headers headers = {{"Authorization", header}};
    httplib::Result r = client_->Get("/v1/stats", headers);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << header;
  }
}

TEST_F(AuthTest, TheRightTokenIsAccepted) {
  EXPECT_EQ(Get("/v1/stats").status, 200);
  httplib::Headers lower = {{"Authorization", std::string("bearer  ") + kToken}};
  EXPECT_EQ(client_->Get("/v1/stats", lower)->status, 200);
}

TEST_F(AuthTest, HealthChecksNeedNoToken) {
  EXPECT_EQ(Call("GET", "/healthz", "", nullptr).status, 200);
  EXPECT_EQ(Call("GET", "/readyz", "", nullptr).status, 200);
  EXPECT_EQ(Call("GET", "/healthz", "", "wrong").status, 200);
}

}  // namespace
}  // namespace taskly::server
