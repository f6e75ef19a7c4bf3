// Raw JSON values: built, recognised, and written as their text by DumpJson at any indent.
#include "codec/raw_json.h"

#include <gtest/gtest.h>

#include <string>

namespace taskly::codec {
namespace {

TEST(RawJson, HoldsItsTextAndIsRecognised) {
  const Json raw = RawJson("[1.50]");
  EXPECT_TRUE(IsRawJson(raw));
  EXPECT_EQ(RawJsonText(raw), "[1.50]");
  EXPECT_EQ(CompactJson(raw), "[1.50]");
  // Other values, binary ones included, are not raw.
  EXPECT_FALSE(IsRawJson(Json("[1.50]")));
  EXPECT_FALSE(IsRawJson(Json::binary({1, 2})));
  EXPECT_FALSE(IsRawJson(Json::binary({1, 2}, 7)));
  EXPECT_EQ(RawJsonText(Json(1)), "");
  EXPECT_EQ(CompactJson(Json::parse(R"({"b": 1, "a": [2]})")), R"({"a":[2],"b":1})");
}

TEST(DumpJson, WritesRawValuesAsTheirText) {
  Json j = {{"tasks", Json::array({{{"id", "a"}, {"payload", RawJson("1e2")}},
                                   {{"id", "b"}, {"payload", {{"n", 1}}}}})},
            {"empty", Json::object()}};
  EXPECT_EQ(DumpJson(j),
            R"({"empty":{},"tasks":[{"id":"a","payload":1e2},{"id":"b","payload":{"n":1}}]})");
  // Indented as dump(2) indents, a raw value compact where it stands.
  Json k = {{"a", RawJson(R"({"x":[1.50]})")}, {"b", Json::array({1, Json::array()})}};
  EXPECT_EQ(DumpJson(k, 2), "{\n  \"a\": {\"x\":[1.50]},\n  \"b\": [\n    1,\n    []\n  ]\n}");
  // Without raw values it is dump() itself, at every indent.
  Json plain = Json::parse(R"({"a": [1, {"b": null}], "c": "d", "e": {}})");
  EXPECT_EQ(DumpJson(plain), plain.dump());
  EXPECT_EQ(DumpJson(plain, 2), plain.dump(2));
  EXPECT_EQ(DumpJson(plain, 4), plain.dump(4));
}

TEST(DumpJson, NeverThrowsOnInvalidUtf8) {
  Json j = {{"bad\xff", "x\xfe"}, {"p", RawJson("1.0")}};
  EXPECT_EQ(DumpJson(j), "{\"bad\xEF\xBF\xBD\":\"x\xEF\xBF\xBD\",\"p\":1.0}");
  EXPECT_NO_THROW((void)DumpJson(Json("\xff"), 2));
}

}  // namespace
}  // namespace taskly::codec
