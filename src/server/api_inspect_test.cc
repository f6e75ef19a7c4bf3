// Health checks, /v1/workers, /v1/stats and /v1/analysis over real HTTP.
#include <atomic>

#include "server/api_test_util.h"

namespace taskly::server {
namespace {

class InspectApiTest : public ApiTest {
 protected:
  std::atomic<bool> ready_{false};
};

TEST_F(InspectApiTest, HealthAndReadiness) {
  HttpResult health = Call("GET", "/healthz", "", nullptr);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json, Json({{"status", "ok"}}));
  HttpResult ready = Call("GET", "/readyz", "", nullptr);
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.json, Json({{"ready", true}}));
}

TEST_F(InspectApiTest, NotReadyIs503WithTheReason) {
  TearDown();
  StartServer({}, {}, [this] {
    return ready_ ? Status() : Status(StatusCode::kUnavailable, "store not reachable");
  });
  HttpResult r = Call("GET", "/readyz", "", nullptr);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.error_code(), "unavailable");
  EXPECT_EQ(r.error()["message"], "store not reachable");
  ready_ = true;
  EXPECT_EQ(Call("GET", "/readyz", "", nullptr).status, 200);
}

TEST_F(InspectApiTest, WorkersAndStats) {
  EXPECT_EQ(Get("/v1/workers").json["workers"].size(), 0u);  // not started
  ASSERT_TRUE(scheduler().handle("ok", [](TaskContext&) { return Outcome::Success(); }).ok());
  ASSERT_TRUE(scheduler().start().ok());
  std::string id = Submit("ok");
  ASSERT_TRUE(WaitFor([&] { return StateOf(id) == "succeeded"; }));

  HttpResult workers = Get("/v1/workers");
  ASSERT_EQ(workers.status, 200);
  ASSERT_EQ(workers.json["workers"].size(), 2u);
  for (const Json& w : workers.json["workers"]) {
    EXPECT_TRUE(w["id"].is_string());
    EXPECT_TRUE(w["busy"].is_boolean());
    EXPECT_TRUE(w["waiting"].is_number_integer());
  }

  HttpResult stats = Get("/v1/stats");
  ASSERT_EQ(stats.status, 200);
  EXPECT_EQ(stats.json["started"], 1);
  EXPECT_EQ(stats.json["succeeded"], 1);
  EXPECT_EQ(stats.json["failed"], 0);
  EXPECT_EQ(stats.json["run_time"]["count"], 1);
  // The simulated clock did not move while the handler ran.
  EXPECT_EQ(stats.json["run_time"]["p99"], "0s");
  EXPECT_EQ(stats.json["start_latency"]["count"], 1);
  for (const char* h : {"start_latency", "run_time", "timer_lateness"}) {
    for (const char* f : {"count", "sum", "p50", "p90", "p99", "max"}) {
      EXPECT_TRUE(stats.json[h].contains(f)) << h << "." << f;
    }
  }
}

class AnalysisApiTest : public ApiTest {
 protected:
  // The periods below are milliseconds: under the default minimum period.
  void SetUp() override {
    StartServer({}, {.slots = 1, .min_schedule_period = std::chrono::milliseconds(1)});
  }
  void AddSchedule(const std::string& id, const std::string& every, const std::string& wcet) {
    Json spec = {{"id", id}, {"every", every}, {"task", {{"type", "t"}}}};
    if (!wcet.empty()) spec["wcet"] = wcet;
    HttpResult r = Post("/v1/schedules", spec.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
};

TEST_F(AnalysisApiTest, ReportsASchedulableSetExactly) {
  AddSchedule("fast", "10ms", "2ms");
  AddSchedule("slow", "20ms", "5ms");
  AddSchedule("unmeasured", "1h", "");  // no wcet and never run: left out
  HttpResult r = Get("/v1/analysis");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["pools"].size(), 1u);
  const Json& pool = r.json["pools"][0];
  EXPECT_EQ(pool["pool"], "default");
  EXPECT_EQ(pool["slots"], 1);
  EXPECT_DOUBLE_EQ(pool["utilization"].get<double>(), 0.45);
  EXPECT_DOUBLE_EQ(pool["density"].get<double>(), 0.45);
  EXPECT_NEAR(pool["ll_bound"].get<double>(), 0.8284, 1e-4);
  EXPECT_EQ(pool["rms_ll_pass"], true);
  EXPECT_EQ(pool["deadline_monotonic"], false);
  EXPECT_EQ(pool["rms"], "schedulable");
  EXPECT_EQ(pool["edf"], "schedulable");
  EXPECT_TRUE(pool["at_risk"].empty());
  EXPECT_FALSE(pool["explanation"].get<std::string>().empty());
  ASSERT_EQ(pool["tasks"].size(), 2u);
  const Json& fast = pool["tasks"][0];
  EXPECT_EQ(fast["name"], "fast");
  EXPECT_EQ(fast["period"], "10ms");
  EXPECT_EQ(fast["wcet"], "2ms");
  EXPECT_EQ(fast["deadline"], "10ms");
  EXPECT_DOUBLE_EQ(fast["utilization"].get<double>(), 0.2);
  EXPECT_EQ(fast["priority"], 0);
  EXPECT_EQ(fast["response_time"], "2ms");
  EXPECT_EQ(fast["meets_deadline_rms"], true);
  EXPECT_EQ(fast["meets_deadline_edf"], true);
  const Json& slow = pool["tasks"][1];
  EXPECT_EQ(slow["priority"], 1);
  EXPECT_EQ(slow["response_time"], "7ms");  // 5ms + one release of fast
}

TEST_F(AnalysisApiTest, NamesTheSchedulesAtRisk) {
  AddSchedule("fast", "10ms", "6ms");
  AddSchedule("slow", "20ms", "9ms");
  HttpResult r = Get("/v1/analysis");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json& pool = r.json["pools"][0];
  EXPECT_EQ(pool["rms"], "unschedulable");
  EXPECT_EQ(pool["edf"], "unschedulable");  // U = 1.05
  const Json& slow = pool["tasks"][1];
  EXPECT_FALSE(slow.contains("response_time"));
  EXPECT_EQ(slow["meets_deadline_rms"], false);
  bool slow_at_risk = false;
  for (const Json& a : pool["at_risk"]) {
    if (a["name"] == "slow") slow_at_risk = !a["reason"].get<std::string>().empty();
  }
  EXPECT_TRUE(slow_at_risk) << pool.dump();
}

TEST_F(AnalysisApiTest, NoPeriodicLoadIsNoPools) {
  HttpResult r = Get("/v1/analysis");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json, Json({{"pools", Json::array()}}));
}

}  // namespace
}  // namespace taskly::server
