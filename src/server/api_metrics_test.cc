// GET /metrics over real HTTP: the Prometheus text exposition with queue depths by state,
// deadline misses, the scheduler's counters and its latency histograms.
#include "server/api_test_util.h"

namespace taskly::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using MetricsApiTest = ApiTest;

// The value of the sample line `series` ("name{labels}") in `text`, or "" when it is absent.
std::string Sample(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      size_t start = at + series.size() + 1;
      return text.substr(start, text.find('\n', start) - start);
    }
    at += series.size();
  }
  return "";
}

TEST_F(MetricsApiTest, ExposesQueuesCountersAndHistograms) {
  ASSERT_TRUE(scheduler().handle("ok", [](TaskContext&) { return Outcome::Success(); }).ok());
  ASSERT_TRUE(
      scheduler().handle("bad", [](TaskContext&) { return Outcome::Permanent("no"); }).ok());
  // Tasks wait 3 ms in a paused queue before they start: a start latency to see in buckets.
  ASSERT_EQ(Call("PATCH", "/v1/queues/default", "{}").status, 200);
  ASSERT_EQ(Post("/v1/queues/default/pause").status, 200);
  ASSERT_TRUE(scheduler().start().ok());
  std::string ok = Submit("ok");
  std::string bad = Submit("bad");
  // A task in a queue no worker serves, whose deadline passes: a deadline miss.
  Submit("ok", {{"queue", "late"}, {"deadline", codec::FormatTime(clock_.now() + seconds(1))}});
  clock_.advance(milliseconds(3));
  ASSERT_EQ(Post("/v1/queues/default/resume").status, 200);
  ASSERT_TRUE(WaitFor([&] { return StateOf(ok) == "succeeded" && StateOf(bad) == "dead"; }));
  clock_.advance(seconds(2));
  ASSERT_TRUE(store().maintain().ok());

  HttpResult r = Get("/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.find("Content-Type")->second, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = r.body;

  EXPECT_NE(m.find("# TYPE taskly_tasks gauge"), std::string::npos);
  EXPECT_EQ(Sample(m, R"(taskly_tasks{queue="default",state="succeeded"})"), "1");
  EXPECT_EQ(Sample(m, R"(taskly_tasks{queue="default",state="dead"})"), "1");
  EXPECT_EQ(Sample(m, R"(taskly_tasks{queue="default",state="pending"})"), "0");
  EXPECT_EQ(Sample(m, R"(taskly_tasks{queue="late",state="expired"})"), "1");
  EXPECT_EQ(Sample(m, R"(taskly_queue_paused{queue="default"})"), "0");
  EXPECT_NE(m.find("# TYPE taskly_deadline_misses_total counter"), std::string::npos);
  EXPECT_EQ(Sample(m, R"(taskly_deadline_misses_total{queue="late"})"), "1");
  EXPECT_EQ(Sample(m, R"(taskly_deadline_misses_total{queue="default"})"), "0");

  EXPECT_EQ(Sample(m, "taskly_attempts_started_total"), "2");
  EXPECT_EQ(Sample(m, "taskly_tasks_succeeded_total"), "1");
  EXPECT_EQ(Sample(m, "taskly_attempts_failed_total"), "1");
  EXPECT_EQ(Sample(m, "taskly_tasks_dead_total"), "1");
  EXPECT_EQ(Sample(m, "taskly_retries_total"), "0");
  for (const char* counter :
       {"timeouts_total", "rejected_results_total", "store_errors_total",
        "schedule_ticks_fired_total", "schedule_ticks_skipped_total", "attempts_yielded_total"}) {
    EXPECT_EQ(Sample(m, std::string("taskly_") + counter), "0") << counter;
  }

  for (const char* h : {"start_latency_seconds", "run_time_seconds", "timer_lateness_seconds"}) {
    EXPECT_NE(m.find(std::string("# TYPE taskly_") + h + " histogram"), std::string::npos) << h;
  }
  // Both tasks became ready at enqueue and started 3 ms later.
  EXPECT_EQ(Sample(m, "taskly_start_latency_seconds_count"), "2");
  EXPECT_EQ(Sample(m, "taskly_start_latency_seconds_sum"), "0.006");
  EXPECT_EQ(Sample(m, R"(taskly_start_latency_seconds_bucket{le="0.0025"})"), "0");
  EXPECT_EQ(Sample(m, R"(taskly_start_latency_seconds_bucket{le="0.005"})"), "2");
  EXPECT_EQ(Sample(m, R"(taskly_start_latency_seconds_bucket{le="+Inf"})"), "2");
  // The simulated clock stood still while the handlers ran.
  EXPECT_EQ(Sample(m, "taskly_run_time_seconds_count"), "2");
  EXPECT_EQ(Sample(m, "taskly_run_time_seconds_sum"), "0");
  EXPECT_EQ(Sample(m, R"(taskly_run_time_seconds_bucket{le="1e-06"})"), "2");
}

TEST_F(MetricsApiTest, AnEmptySchedulerHasCountersButNoQueueSamples) {
  HttpResult r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Sample(r.body, "taskly_attempts_started_total"), "0");
  EXPECT_EQ(Sample(r.body, "taskly_run_time_seconds_count"), "0");
  EXPECT_EQ(r.body.find("taskly_tasks{"), std::string::npos);
}

}  // namespace
}  // namespace taskly::server
