// Strings and byte strings as JSON: base64 (RFC 4648 vectors), UTF-8 handling, the payload forms.
#include "codec/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec/raw_json.h"

namespace taskly::codec::internal {
namespace {

TEST(Base64, Rfc4648TestVectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(Base64Encode(bytes), text);
    EXPECT_EQ(Base64Decode(text), bytes) << text;
  }
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) {
    const std::string bytes = all.substr(0, n) + std::string("\0\xff", 2);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
  }
}

TEST(Base64, DecodeRefusesNonCanonicalText) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "====", "Zm9v=", "Zm 9v", "Zm9v\n",
                          "Zh==", "Zm9=", "Zg==Zg==", "Zm-_", "Zm9vYg=a"}) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
  }
}

TEST(Utf8, DetectsInvalidSequences) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("plain ascii"));
  EXPECT_TRUE(IsUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_TRUE(IsUtf8(std::string("nul\0inside", 10)));
  EXPECT_FALSE(IsUtf8("\xff"));
  EXPECT_FALSE(IsUtf8("caf\xC3"));       // truncated sequence
  EXPECT_FALSE(IsUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(IsUtf8("\xED\xA0\x80"));  // surrogate
}

TEST(Text, ReplacesInvalidUtf8SoTheOutputSerializes) {
  EXPECT_EQ(Text("caf\xC3\xA9").get<std::string>(), "caf\xC3\xA9");
  const Json j = Text(
      "a\xff"
      "b");
  EXPECT_EQ(j.get<std::string>(),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_NO_THROW((void)j.dump());
}

// What WriteBytes produces for a payload, as compact JSON text of the enclosing object.
std::string Written(const std::string& bytes, bool json_values) {
  Json j = Json::object();
  WriteBytes(j, "payload", bytes, json_values);
  return DumpJson(j);
}

TEST(WriteBytes, PicksTheFormThatRoundTrips) {
  // Exactly the compact text of a JSON value: written as that value.
  EXPECT_EQ(Written(R"({"a":1,"b":[true,null]})", true), R"({"payload":{"a":1,"b":[true,null]}})");
  EXPECT_EQ(Written("42", true), R"({"payload":42})");
  EXPECT_EQ(Written(R"("hi")", true), R"({"payload":"hi"})");
  EXPECT_EQ(Written("1.5", true), R"({"payload":1.5})");
  // The exact form of a value whose numbers dump() would write otherwise (compact, keys in the
  // order written, numbers as written): written as that value, numbers as they are.
  EXPECT_EQ(Written("1e2", true), R"({"payload":1e2})");
  EXPECT_EQ(Written(R"({"z":[1.50],"a":123456789012345678901234567890})", true),
            R"({"payload":{"z":[1.50],"a":123456789012345678901234567890}})");
  // Valid JSON in neither form (blanks, key order without such a number): text, so the exact
  // bytes survive.
  EXPECT_EQ(Written(R"({"a": 1})", true), R"({"payload":"{\"a\": 1}","payload_format":"text"})");
  EXPECT_EQ(Written(R"({"b":1,"a":2})", true),
            R"({"payload":"{\"b\":1,\"a\":2}","payload_format":"text"})");
  EXPECT_EQ(Written(R"({"a": 1.50})", true),
            R"({"payload":"{\"a\": 1.50}","payload_format":"text"})");
  // null would read back as an absent payload.
  EXPECT_EQ(Written("null", true), R"({"payload":"null","payload_format":"text"})");
  // Not JSON at all.
  EXPECT_EQ(Written("hello", true), R"({"payload":"hello","payload_format":"text"})");
  // Not UTF-8: base64.
  EXPECT_EQ(Written(std::string("{\"a\":1}\0tail\xff", 13), true),
            R"({"payload":"eyJhIjoxfQB0YWls/w==","payload_format":"base64"})");
  // Empty: left out.
  EXPECT_EQ(Written("", true), "{}");
  // A checkpoint is text unless it is not UTF-8.
  EXPECT_EQ(Written(R"({"a":1})", false), R"({"payload":"{\"a\":1}"})");
  EXPECT_EQ(Written("\x01\xfe", false), R"({"payload":"Af4=","payload_format":"base64"})");
}

}  // namespace
}  // namespace taskly::codec::internal
