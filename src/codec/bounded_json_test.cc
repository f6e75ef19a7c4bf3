// Bounded parsing of JSON taskly did not write, and rendering of stored bytes nested too deep to
// render as JSON.
#include "codec/bounded_json.h"

#include <gtest/gtest.h>

#include <string>

#include "codec/json_codec.h"

namespace taskly::codec {
namespace {

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonDepthWithin, CountsArraysAndObjectsOutsideStrings) {
  EXPECT_TRUE(JsonDepthWithin("", 1));
  EXPECT_TRUE(JsonDepthWithin("42", 0));
  EXPECT_TRUE(JsonDepthWithin("[]", 1));
  EXPECT_FALSE(JsonDepthWithin("[]", 0));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_FALSE(JsonDepthWithin(R"({"a":[1,{"b":2}]})", 2));
  EXPECT_TRUE(JsonDepthWithin("[1][2][3]", 1));  // siblings do not add up
  // Brackets inside strings, escaped quotes and escaped backslashes do not count.
  EXPECT_TRUE(JsonDepthWithin(R"(["[[[[", "\"[[[", "\\"])", 1));
  EXPECT_FALSE(JsonDepthWithin(R"(["\\", [[]]])", 2));
  EXPECT_TRUE(JsonDepthWithin(Nested(kMaxJsonDepth)));
  EXPECT_FALSE(JsonDepthWithin(Nested(kMaxJsonDepth + 1)));
}

TEST(ParseBoundedJson, RefusesTooDeepAndMalformedWithoutThrowing) {
  EXPECT_EQ(ParseBoundedJson(R"({"a":[1,2]})"), Json::parse(R"({"a":[1,2]})"));
  EXPECT_TRUE(ParseBoundedJson(Nested(kMaxJsonDepth + 1)).is_discarded());
  EXPECT_TRUE(ParseBoundedJson(Nested(100000)).is_discarded());
  EXPECT_TRUE(ParseBoundedJson("[1,").is_discarded());
  EXPECT_TRUE(ParseBoundedJson("]]]]").is_discarded());
  EXPECT_FALSE(ParseBoundedJson(Nested(3), 3).is_discarded());
  EXPECT_TRUE(ParseBoundedJson(Nested(4), 3).is_discarded());
}

// A payload of 90k nested arrays (180 KB) is valid JSON that nlohmann::json parses but cannot
// copy or serialize without overflowing the stack. Stored as bytes (a text payload), it is
// rendered as text.
TEST(RenderStoredBytes, DeeplyNestedPayloadRendersAsText) {
  const std::string deep = Nested(90000);
  TaskSpec spec;
  spec.type = "t";
  spec.payload = deep;
  const Json j = TaskSpecToJson(spec);
  EXPECT_EQ(j.at("payload"), deep);
  EXPECT_EQ(j.at("payload_format"), "text");
  EXPECT_GT(j.dump().size(), deep.size()) << "the rendered task serializes";

  Task task;
  task.id = "x";
  task.spec = spec;
  task.result = deep;
  const Json t = TaskToJson(task);
  EXPECT_EQ(t.at("result"), deep);
  EXPECT_EQ(t.at("result_format"), "text");

  ScheduleSpec schedule;
  schedule.id = "s";
  schedule.task = spec;
  const Json s = ScheduleSpecToJson(schedule);
  EXPECT_EQ(s.at("task").at("payload"), deep);
  EXPECT_EQ(ScheduleSpecToJson(schedule), s) << "comparable (a cluster node compares specs)";
}

// Shallow enough JSON still renders as the value it is.
TEST(RenderStoredBytes, JsonAtTheDepthLimitRendersAsJson) {
  TaskSpec spec;
  spec.type = "t";
  spec.payload = Nested(kMaxJsonDepth);
  const Json j = TaskSpecToJson(spec);
  EXPECT_TRUE(j.at("payload").is_array());
  EXPECT_FALSE(j.contains("payload_format"));
}

}  // namespace
}  // namespace taskly::codec
