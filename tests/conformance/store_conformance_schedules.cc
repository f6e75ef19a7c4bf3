// Schedules CRUD: durable definitions with a cursor that only moves forward.
#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;

namespace {

ScheduleSpec Every(std::string id, Duration period) {
  ScheduleSpec spec;
  spec.id = std::move(id);
  spec.every = period;
  spec.task.type = "t";
  spec.task.queue = "q";
  return spec;
}

std::vector<std::string> Ids(const std::vector<StoredSchedule>& schedules) {
  std::vector<std::string> ids;
  for (const StoredSchedule& s : schedules) ids.push_back(s.spec.id);
  return ids;
}

}  // namespace

TEST_P(StoreConformance, SchedulesArePutListedAndRemoved) {
  ASSERT_TRUE(IsOk(store_->put_schedule(Every("b", 10s))));
  ScheduleSpec cron;
  cron.id = "a";
  cron.cron = "0 9 * * MON-FRI";
  cron.tz = "Europe/Berlin";
  cron.misfire = Misfire{MisfirePolicy::kCatchUp, 3, 5s};
  cron.overlap = OverlapPolicy::kForbid;
  cron.start_within = 30s;
  cron.wcet = 2s;
  cron.paused = true;
  cron.task.type = "report";
  cron.task.queue = "reports";
  cron.task.payload = R"({"k":1})";
  cron.task.priority = 4;
  cron.task.labels = {{"team", "ops"}};
  ASSERT_TRUE(IsOk(store_->put_schedule(cron)));

  Result<std::vector<StoredSchedule>> all = store_->list_schedules();
  ASSERT_TRUE(IsOk(all));
  ASSERT_EQ(Ids(*all), (std::vector<std::string>{"a", "b"}));
  const StoredSchedule& a = (*all)[0];
  EXPECT_EQ(a.spec.cron, "0 9 * * MON-FRI");
  EXPECT_EQ(a.spec.tz, "Europe/Berlin");
  EXPECT_EQ(a.spec.misfire.policy, MisfirePolicy::kCatchUp);
  EXPECT_EQ(a.spec.misfire.max_catch_up, 3);
  EXPECT_EQ(a.spec.misfire.grace, 5s);
  EXPECT_EQ(a.spec.overlap, OverlapPolicy::kForbid);
  EXPECT_EQ(a.spec.start_within, 30s);
  EXPECT_EQ(a.spec.wcet, 2s);
  EXPECT_TRUE(a.spec.paused);
  EXPECT_EQ(a.spec.task.type, "report");
  EXPECT_EQ(a.spec.task.queue, "reports");
  EXPECT_EQ(a.spec.task.payload, R"({"k":1})");
  EXPECT_EQ(a.spec.task.priority, 4);
  EXPECT_EQ(a.spec.task.labels.at("team"), "ops");
  EXPECT_FALSE(a.last_due.has_value());
  EXPECT_EQ((*all)[1].spec.every, 10s);

  ASSERT_TRUE(IsOk(store_->remove_schedule("b")));
  EXPECT_EQ(store_->remove_schedule("b").code(), StatusCode::kNotFound);
  all = store_->list_schedules();
  ASSERT_TRUE(IsOk(all));
  EXPECT_EQ(Ids(*all), (std::vector<std::string>{"a"}));
}

TEST_P(StoreConformance, ScheduleCursorOnlyMovesForwardAndSurvivesReplacement) {
  ASSERT_TRUE(IsOk(store_->put_schedule(Every("s", 10s))));
  TimePoint t0 = clock_.now();
  ASSERT_TRUE(IsOk(store_->advance_schedule("s", t0 + 20s)));
  ASSERT_TRUE(IsOk(store_->advance_schedule("s", t0 + 10s)));  // a stale node: ignored
  Result<std::vector<StoredSchedule>> all = store_->list_schedules();
  ASSERT_TRUE(IsOk(all));
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].last_due, t0 + 20s);

  // Replacing the definition (here: pausing it) keeps the cursor.
  ScheduleSpec paused = Every("s", 30s);
  paused.paused = true;
  ASSERT_TRUE(IsOk(store_->put_schedule(paused)));
  all = store_->list_schedules();
  ASSERT_TRUE(IsOk(all));
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].spec.every, 30s);
  EXPECT_TRUE((*all)[0].spec.paused);
  EXPECT_EQ((*all)[0].last_due, t0 + 20s);

  EXPECT_EQ(store_->advance_schedule("nope", t0).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformance, InvalidSchedulesAreRejectedAndChangeNothing) {
  ASSERT_TRUE(IsOk(store_->put_schedule(Every("s", 10s))));
  ScheduleSpec bad = Every("s", 10s);
  bad.cron = "61 * * * *";  // both every and cron, and a bad minute
  bad.every = Duration::zero();
  Status s = store_->put_schedule(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "cron.minute");

  ScheduleSpec no_type = Every("t", 10s);
  no_type.task.type.clear();
  s = store_->put_schedule(no_type);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "task.type");

  Result<std::vector<StoredSchedule>> all = store_->list_schedules();
  ASSERT_TRUE(IsOk(all));
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].spec.every, 10s);
  EXPECT_TRUE((*all)[0].spec.cron.empty());
}

}  // namespace taskly
