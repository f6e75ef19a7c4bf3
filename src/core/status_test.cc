#include "taskly/status.h"

#include <gtest/gtest.h>

#include <utility>

namespace taskly {
namespace {

TEST(StatusTest, DefaultIsOkWithEmptyMessageAndField) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.field(), "");
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_EQ(s, Status::Ok());
}

TEST(StatusTest, ErrorKeepsCodeMessageAndField) {
  Status s = InvalidArgument("cron.minute", "value 61 out of range 0-59");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "value 61 out of range 0-59");
  EXPECT_EQ(s.field(), "cron.minute");
  EXPECT_EQ(s.ToString(), "invalid_argument: cron.minute: value 61 out of range 0-59");
  EXPECT_EQ(NotFound("task x not found").ToString(), "not_found: task x not found");
}

TEST(StatusTest, CopiesAreIndependentAndEqual) {
  Status original = Aborted("stale lease token");
  Status copy = original;
  EXPECT_EQ(copy, original);
  Status assigned;
  assigned = original;
  EXPECT_EQ(assigned, original);
  original = Status();  // the copies keep their own error
  EXPECT_TRUE(original.ok());
  EXPECT_EQ(copy.code(), StatusCode::kAborted);
  EXPECT_EQ(assigned.message(), "stale lease token");
  copy = original;  // an OK status copies as OK
  EXPECT_TRUE(copy.ok());
  Status& self = assigned;
  assigned = self;
  EXPECT_EQ(assigned.message(), "stale lease token");
}

TEST(StatusTest, MovesCarryTheErrorAndEqualityComparesEveryPart) {
  Status source(StatusCode::kUnavailable, "redis down");
  Status moved = std::move(source);
  EXPECT_EQ(moved.code(), StatusCode::kUnavailable);
  Status target;
  target = std::move(moved);
  EXPECT_EQ(target.message(), "redis down");
  EXPECT_NE(Status(StatusCode::kUnavailable, "a"), Status(StatusCode::kUnavailable, "b"));
  EXPECT_NE(InvalidArgument("x", "m"), InvalidArgument("y", "m"));
  EXPECT_NE(NotFound("m"), Aborted("m"));
  // An OK code with a message is still OK, and keeps the message.
  Status odd(StatusCode::kOk, "note");
  EXPECT_TRUE(odd.ok());
  EXPECT_EQ(odd.message(), "note");
  EXPECT_NE(odd, Status());
}

TEST(StatusTest, ResultHoldsAValueOrAnError) {
  Result<int> value(42);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 42);
  EXPECT_TRUE(value.status().ok());
  Result<int> error(FailedPrecondition("task is succeeded"));
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(error.status().message(), "task is succeeded");
}

}  // namespace
}  // namespace taskly
