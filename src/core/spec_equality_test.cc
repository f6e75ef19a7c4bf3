// TaskSpec and ScheduleSpec compare field by field: a cluster node replaces its copy of a
// schedule whenever any field differs, the task template's payload bytes included.
#include <gtest/gtest.h>

#include <string>

#include "taskly/schedule.h"
#include "taskly/task.h"

namespace taskly {
namespace {

ScheduleSpec Spec() {
  ScheduleSpec s;
  s.id = "digest";
  s.cron = "0 8 * * *";
  s.tz = "Europe/Berlin";
  s.task.type = "email";
  s.task.payload = R"({"n":1.50})";
  s.task.labels = {{"team", "a"}};
  return s;
}

TEST(SpecEquality, EqualSpecsCompareEqual) {
  EXPECT_EQ(Spec(), Spec());
  EXPECT_EQ(TaskSpec{}, TaskSpec{});
}

TEST(SpecEquality, AnyFieldThatDiffersMakesThemDiffer) {
  ScheduleSpec tz = Spec();
  tz.tz = "UTC";
  EXPECT_NE(tz, Spec());
  ScheduleSpec misfire = Spec();
  misfire.misfire.grace = std::chrono::seconds(2);
  EXPECT_NE(misfire, Spec());
  ScheduleSpec payload = Spec();
  payload.task.payload = R"({"n":1.5})";
  EXPECT_NE(payload, Spec());
  ScheduleSpec nul = Spec();
  nul.task.payload = std::string("a\0b", 3);
  ScheduleSpec nul2 = Spec();
  nul2.task.payload = std::string("a\0c", 3);
  EXPECT_NE(nul, nul2);
  ScheduleSpec backoff = Spec();
  backoff.task.backoff.multiplier = 3.0;
  EXPECT_NE(backoff, Spec());
  ScheduleSpec label = Spec();
  label.task.labels["team"] = "b";
  EXPECT_NE(label, Spec());
}

}  // namespace
}  // namespace taskly
