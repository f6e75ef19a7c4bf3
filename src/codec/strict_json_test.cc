#include "codec/strict_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "codec/raw_json.h"

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

TEST(StrictJsonTest, PayloadNumbersAreKeptAsWritten) {
  const StrictJsonOptions payloads{.exact_numbers = Exact::kInPayloads};
  // A payload holding a number dump() would write otherwise is its exact text, as a raw value:
  // compact, keys in the order written, strings escaped as dump() escapes them.
  Result<Json> j = ParseStrictJson(
      R"({"type": "t", "payload": {"z": [1.50, "\u0041"], "n": 123456789012345678901234567890},
          "rate": 1.50})",
      payloads);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  ASSERT_TRUE(IsRawJson((*j)["payload"]));
  EXPECT_EQ(RawJsonText((*j)["payload"]), R"({"z":[1.50,"A"],"n":123456789012345678901234567890})");
  // Outside payloads numbers are ordinary.
  EXPECT_EQ((*j)["rate"], Json(1.5));
  EXPECT_EQ((*j)["type"], "t");
  // Scalars, payloads in a batch, and nested payloads (the outermost is kept whole).
  j = ParseStrictJson(R"({"payload": 1e2})", payloads);
  EXPECT_EQ(RawJsonText((*j)["payload"]), "1e2");
  j = ParseStrictJson(R"({"tasks": [{"payload": [-0.10, {}]}, {"payload": [2]}]})", payloads);
  EXPECT_EQ(RawJsonText((*j)["tasks"][0]["payload"]), "[-0.10,{}]");
  EXPECT_EQ((*j)["tasks"][1]["payload"], Json::parse("[2]"));
  j = ParseStrictJson(R"({"payload": {"payload": 1.0, "x": 2.50}})", payloads);
  EXPECT_EQ(RawJsonText((*j)["payload"]), R"({"payload":1.0,"x":2.50})");
  // Payloads whose numbers all come back as written stay ordinary JSON.
  const std::string fine =
      R"({"payload": {"a": 1.5, "b": 0.1, "c": -7, "d": 18446744073709551615, "e": 1e-300}})";
  j = ParseStrictJson(fine, payloads);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_FALSE(IsRawJson((*j)["payload"]));
  EXPECT_EQ((*j)["payload"].dump(),
            R"({"a":1.5,"b":0.1,"c":-7,"d":18446744073709551615,"e":1e-300})");
  // The whole document, and nowhere.
  j = ParseStrictJson(R"([1.0, {"k": 2.50}])", {.exact_numbers = Exact::kEverywhere});
  EXPECT_EQ(RawJsonText(*j), R"([1.0,{"k":2.50}])");
  EXPECT_EQ(*ParseStrictJson(R"({"payload": 2.50})"), Json::parse(R"({"payload": 2.5})"));
  // The checks still apply inside a payload.
  EXPECT_EQ(ParseStrictJson(R"({"payload": {"a": 1.50, "a": 2}})", payloads).status().field(),
            "payload.a");
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
