// Reading a request's JSON body and query parameters strictly.
#include "server/request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace taskly::server {
namespace {

using ::testing::HasSubstr;

TEST(ParseJsonObject, RefusesANumberOutOfRangeNamingIt) {
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"type":1e999})", "type"}, {R"({"a":[-1e400]})", "a[0]"}}) {
    SCOPED_TRACE(body);
    Result<Json> j = ParseJsonObject(body);
    ASSERT_FALSE(j.ok());
    EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(j.status().field(), field);
    EXPECT_THAT(j.status().message(), HasSubstr("number out of range"));
  }
}

TEST(ParseJsonObject, AcceptsAnObjectAndRefusesOtherValues) {
  Result<Json> j = ParseJsonObject(R"({"type":"email","n":1e300})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->at("type"), "email");
  Result<Json> array = ParseJsonObject("[1]");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.status().field(), "body");
  EXPECT_THAT(array.status().message(), HasSubstr("must be a JSON object"));
}

}  // namespace
}  // namespace taskly::server
