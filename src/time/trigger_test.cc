#include "time/trigger.h"

#include <gtest/gtest.h>

namespace taskly {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kT0 = SimulatedClock::DefaultStart();

Trigger Every(Duration period, TimePoint anchor) {
  ScheduleSpec spec{.id = "s", .every = period, .anchor = anchor};
  spec.task.type = "t";
  return *Trigger::Make(spec, anchor);
}

TEST(TriggerTest, EveryIsAnchoredSoLatenessNeverAccumulates) {
  Trigger t = Every(seconds(10), kT0);
  EXPECT_EQ(*t.next_after(kT0), kT0 + seconds(10));
  // However late we ask, the next tick is on the anchor's grid.
  EXPECT_EQ(*t.next_after(kT0 + seconds(13)), kT0 + seconds(20));
  EXPECT_EQ(*t.next_after(kT0 + seconds(20)), kT0 + seconds(30));
  TimePoint due = kT0;
  for (int k = 1; k <= 1000; ++k) due = *t.next_after(due + seconds(k % 7));  // late asks
  EXPECT_EQ((due - kT0) % seconds(10), Duration::zero());
  EXPECT_EQ(t.period(), seconds(10));
}

TEST(TriggerTest, OnceFiresOnce) {
  ScheduleSpec spec{.id = "s", .once = kT0 + minutes(5)};
  spec.task.type = "t";
  Trigger t = *Trigger::Make(spec, kT0);
  EXPECT_EQ(*t.next_after(kT0), kT0 + minutes(5));
  EXPECT_FALSE(t.next_after(kT0 + minutes(5)).has_value());
  EXPECT_EQ(t.period(), Duration::zero());
}

TEST(TriggerTest, CronPeriodIsTheGapBetweenFires) {
  ScheduleSpec spec{.id = "s", .cron = "*/15 * * * *"};
  spec.task.type = "t";
  Trigger t = *Trigger::Make(spec, kT0);
  EXPECT_EQ(t.period(), minutes(15));
  EXPECT_EQ(*t.next_after(kT0), kT0 + minutes(15));
}

TEST(PlanTicksTest, OnTimeTicksAllFire) {
  Trigger t = Every(seconds(1), kT0);
  Misfire m{.policy = MisfirePolicy::kSkip, .grace = seconds(5)};
  TickPlan p = PlanTicks(t, m, kT0, kT0 + seconds(3) + std::chrono::milliseconds(500));
  ASSERT_EQ(p.fire.size(), 3u);
  EXPECT_EQ(p.fire[0], kT0 + seconds(1));
  EXPECT_EQ(p.fire[2], kT0 + seconds(3));
  EXPECT_EQ(p.skipped, 0);
  EXPECT_EQ(*p.last, kT0 + seconds(3));
}

TEST(PlanTicksTest, SkipDropsEveryMisfiredTick) {
  Trigger t = Every(minutes(1), kT0);
  Misfire m{.policy = MisfirePolicy::kSkip, .grace = seconds(1)};
  // Woken 10 minutes and 30 s late: ticks 1..10 are all older than the grace.
  TickPlan p = PlanTicks(t, m, kT0, kT0 + minutes(10) + seconds(30));
  EXPECT_TRUE(p.fire.empty());
  EXPECT_EQ(p.skipped, 10);
  EXPECT_EQ(*p.last, kT0 + minutes(10));  // not reconsidered next time
}

TEST(PlanTicksTest, FireOnceFiresTheMostRecentMisfiredTick) {
  Trigger t = Every(minutes(1), kT0);
  Misfire m{.policy = MisfirePolicy::kFireOnce, .grace = seconds(1)};
  TickPlan p = PlanTicks(t, m, kT0, kT0 + minutes(10) + seconds(30));
  ASSERT_EQ(p.fire.size(), 1u);
  EXPECT_EQ(p.fire[0], kT0 + minutes(10));
  EXPECT_EQ(p.skipped, 9);
}

TEST(PlanTicksTest, CatchUpFiresAtMostNOldestFirst) {
  Trigger t = Every(minutes(1), kT0);
  Misfire m{.policy = MisfirePolicy::kCatchUp, .max_catch_up = 3, .grace = seconds(1)};
  TickPlan p = PlanTicks(t, m, kT0, kT0 + minutes(10) + seconds(30));
  ASSERT_EQ(p.fire.size(), 3u);
  EXPECT_EQ(p.fire[0], kT0 + minutes(8));
  EXPECT_EQ(p.fire[2], kT0 + minutes(10));
  EXPECT_EQ(p.skipped, 7);
}

TEST(PlanTicksTest, MisfiredAndOnTimeTogether) {
  Trigger t = Every(seconds(1), kT0);
  Misfire m{.policy = MisfirePolicy::kFireOnce, .grace = seconds(2)};
  // Due 1..10; now = 10.5 s; cutoff 8.5 s: 1..8 misfired (fire 8 only), 9 and 10 on time.
  TickPlan p = PlanTicks(t, m, kT0, kT0 + std::chrono::milliseconds(10'500));
  ASSERT_EQ(p.fire.size(), 3u);
  EXPECT_EQ(p.fire[0], kT0 + seconds(8));
  EXPECT_EQ(p.fire[1], kT0 + seconds(9));
  EXPECT_EQ(p.fire[2], kT0 + seconds(10));
  EXPECT_EQ(p.skipped, 7);
}

TEST(PlanTicksTest, CronMisfiresAreCountedByScanning) {
  ScheduleSpec spec{.id = "s", .cron = "0 * * * *"};
  spec.task.type = "t";
  Trigger t = *Trigger::Make(spec, kT0);
  Misfire m{.policy = MisfirePolicy::kCatchUp, .max_catch_up = 2, .grace = seconds(1)};
  TickPlan p = PlanTicks(t, m, kT0, kT0 + std::chrono::hours(5) + minutes(1));
  ASSERT_EQ(p.fire.size(), 2u);
  EXPECT_EQ(p.fire[0], kT0 + std::chrono::hours(4));
  EXPECT_EQ(p.fire[1], kT0 + std::chrono::hours(5));
  EXPECT_EQ(p.skipped, 3);
}

TEST(PlanTicksTest, NothingDueNothingPlanned) {
  Trigger t = Every(minutes(1), kT0);
  TickPlan p = PlanTicks(t, Misfire{}, kT0, kT0 + seconds(59));
  EXPECT_TRUE(p.fire.empty());
  EXPECT_EQ(p.skipped, 0);
  EXPECT_FALSE(p.last.has_value());
}

TEST(ScheduleSpecTest, ValidationNamesTheField) {
  ScheduleSpec s{.id = "nightly"};
  s.task.type = "report";
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "schedule");  // no kind
  s.every = -seconds(1);
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "every");
  s.every = Duration::zero();
  s.cron = "61 * * * *";
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "cron.minute");
  s.cron = "0 2 * * *";
  s.tz = "Mars/Olympus";
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "tz");
  s.tz = "Europe/Berlin";
  s.task.queue = "bad queue";
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "task.queue");
  s.task.queue = "default";
  s.misfire = Misfire{.policy = MisfirePolicy::kCatchUp, .max_catch_up = 0};
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "misfire.max_catch_up");
  s.misfire = Misfire{};
  s.id = "";
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "id");
  s.id = "nightly";
  EXPECT_TRUE(ValidateScheduleSpec(s).ok());
  EXPECT_EQ(*ParseMisfirePolicy("catch_up"), MisfirePolicy::kCatchUp);
  EXPECT_EQ(ParseOverlapPolicy("sometimes").status().field(), "overlap");
}

}  // namespace
}  // namespace taskly

namespace taskly {
namespace {

TEST(ScheduleSpecTest, DurationsAndTimesOutOfRangeAreRefused) {
  ScheduleSpec s{.id = "s", .every = std::chrono::hours(24) * 90000};
  s.task.type = "t";
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "every");
  s.every = kMaxDuration;
  EXPECT_TRUE(ValidateScheduleSpec(s).ok());
  s.start_within = kMaxDuration + Duration(1);
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "start_within");
  s.start_within = Duration::zero();
  s.misfire.grace = Duration::max();
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "misfire.grace");
  s.misfire.grace = seconds(1);
  s.anchor = kMinTime - Duration(1);
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "anchor");
  s.anchor.reset();
  // Whatever the policy: a value the documentation refuses is never kept.
  s.misfire.max_catch_up = 0;
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "misfire.max_catch_up");
  s.misfire.max_catch_up = kMaxCatchUp + 1;
  EXPECT_EQ(ValidateScheduleSpec(s).field(), "misfire.max_catch_up");
}

TEST(TriggerTest, ATickBeyondTheRangeOfTimeDoesNotExist) {
  // Anchored late in TimePoint's range, the next tick would overflow: there is none, rather
  // than one wrapped into the past.
  const TimePoint late = TimePoint::max() - kMaxDuration / 2;
  Trigger t = Every(kMaxDuration, late);
  EXPECT_FALSE(t.next_after(late).has_value());
  EXPECT_FALSE(t.next_after(kT0).has_value());
  // The same far from the end: anchor + period.
  EXPECT_EQ(Every(kMaxDuration, kT0).next_after(kT0), kT0 + kMaxDuration);
}

}  // namespace
}  // namespace taskly
