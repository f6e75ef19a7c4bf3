#include "codec/strict_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace taskly::codec {
namespace {

using ::testing::HasSubstr;
using Exact = StrictJsonOptions::ExactNumbers;

TEST(StrictJsonTest, ParsesWhatParseParses) {
  const std::string text =
      R"({"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": 18446744073709551615})";
  Result<Json> j = ParseStrictJson(text);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(*j, Json::parse(text));
  EXPECT_EQ(*ParseStrictJson("7"), Json(7));
}

TEST(StrictJsonTest, RefusesADuplicateKeyNamingItsPath) {
  Result<Json> j = ParseStrictJson(R"({"type": "a", "type": "b"})");
  EXPECT_EQ(j.status().field(), "type");
  EXPECT_EQ(j.status().message(), "duplicate key");
  j = ParseStrictJson(R"({"tasks": [{"type": "a"}, {"labels": {"k": "1", "k": "2"}}]})");
  EXPECT_EQ(j.status().field(), "tasks[1].labels.k");
  // The same key in different objects is fine.
  EXPECT_TRUE(ParseStrictJson(R"({"a": {"k": 1}, "b": {"k": 1}, "k": [{"k": 1}, {"k": 2}]})").ok());
}

TEST(StrictJsonTest, ANumberBeyondADoubleIsAnErrorNamingItsPath) {
  Result<Json> j = ParseStrictJson(R"({"payload": 1e999})");
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(j.status().field(), "payload");
  EXPECT_THAT(j.status().message(), HasSubstr("number out of range"));
  j = ParseStrictJson(R"({"tasks": [{"type": "t"}, {"payload": [1, -1e400]}]})");
  EXPECT_EQ(j.status().field(), "tasks[1].payload[1]");
}

TEST(StrictJsonTest, PayloadNumbersMustComeBackAsWritten) {
  const StrictJsonOptions payloads{.exact_numbers = Exact::kInPayloads};
  Result<Json> j =
      ParseStrictJson(R"({"payload": {"n": 123456789012345678901234567890}})", payloads);
  EXPECT_EQ(j.status().field(), "payload.n");
  EXPECT_THAT(j.status().message(), HasSubstr("would be kept as 1.2345678901234568e+29"));
  EXPECT_THAT(j.status().message(), HasSubstr("payload_format"));
  EXPECT_EQ(ParseStrictJson(R"({"payload": 1.50})", payloads).status().field(), "payload");
  EXPECT_EQ(ParseStrictJson(R"({"tasks": [{"payload": [1e2]}]})", payloads).status().field(),
            "tasks[0].payload[0]");
  // Numbers written as they are written back, and numbers outside payloads, pass.
  const std::string fine =
      R"({"payload": {"a": 1.5, "b": 0.1, "c": -7, "d": 18446744073709551615, "e": 1e-300},
          "rate": 1e2})";
  Result<Json> ok = ParseStrictJson(fine, payloads);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["payload"].dump(),
            R"({"a":1.5,"b":0.1,"c":-7,"d":18446744073709551615,"e":1e-300})");
  EXPECT_EQ(ParseStrictJson("[1.0, 2.50]", {.exact_numbers = Exact::kEverywhere}).status().field(),
            "[1]");
  EXPECT_TRUE(ParseStrictJson("[2.50]").ok());
}

TEST(StrictJsonTest, MalformedAndTooDeepDocumentsNameTheDocument) {
  Result<Json> j = ParseStrictJson(R"({"type": )", {.field = "body"});
  EXPECT_EQ(j.status().field(), "body");
  EXPECT_THAT(j.status().message(), HasSubstr("malformed JSON (byte"));
  EXPECT_EQ(ParseStrictJson("", {.field = "body"}).status().field(), "body");
  j = ParseStrictJson(std::string(100, '[') + std::string(100, ']'), {.max_depth = 64});
  EXPECT_EQ(j.status().field(), "body");
  EXPECT_THAT(j.status().message(), HasSubstr("nested more than 64 levels"));
  EXPECT_TRUE(ParseStrictJson(std::string(64, '[') + std::string(64, ']')).ok());
}

}  // namespace
}  // namespace taskly::codec
