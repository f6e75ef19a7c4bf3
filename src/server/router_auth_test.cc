// Unit tests of the router (404 vs 405, parameters, query checks) and of the token comparison.
#include <gtest/gtest.h>

#include "server/api_server.h"
#include "server/auth.h"
#include "server/router.h"

namespace taskly::server {
namespace {

Reply Echo(const ApiRequest& req) {
  std::string out(req.method);
  for (const auto& [name, value] : req.params) out += " " + name + "=" + value;
  return Reply{.body = out, .content_type = "text/plain"};
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("POST", "/v1/tasks/batch", Echo);
    router_.Add("GET", "/v1/tasks", Echo, {"limit"});
    router_.Add("GET", "/v1/tasks/{id}", Echo);
    router_.Add("POST", "/v1/tasks/{id}/cancel", Echo);
  }
  Reply Dispatch(std::string_view method, std::string_view path, QueryParams query = {}) {
    return router_.Dispatch(method, path, query, body_);
  }
  Router router_;
  std::string body_;
};

TEST_F(RouterTest, MatchesLiteralsAndParameters) {
  EXPECT_EQ(Dispatch("GET", "/v1/tasks/abc").body, "GET id=abc");
  EXPECT_EQ(Dispatch("POST", "/v1/tasks/abc/cancel").body, "POST id=abc");
  EXPECT_EQ(Dispatch("POST", "/v1/tasks/batch").body, "POST");
  EXPECT_EQ(Dispatch("HEAD", "/v1/tasks/abc").body, "GET id=abc");
}

TEST_F(RouterTest, UnknownPathsAre404AndWrongMethods405) {
  EXPECT_EQ(Dispatch("GET", "/v1/task").status, 404);
  EXPECT_EQ(Dispatch("GET", "/v1/tasks/").status, 404);
  EXPECT_EQ(Dispatch("GET", "/v1/tasks//cancel").status, 404);
  EXPECT_EQ(Dispatch("GET", "/v1/tasks/a/b").status, 404);
  Reply r = Dispatch("DELETE", "/v1/tasks/abc");
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Allow"), std::string("GET")));
}

TEST_F(RouterTest, QueryParametersAreChecked) {
  EXPECT_EQ(Dispatch("GET", "/v1/tasks", {{"limit", "5"}}).status, 200);
  Reply unknown = Dispatch("GET", "/v1/tasks", {{"limit", "5"}, {"x", "1"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find(R"("field":"x")"), std::string::npos) << unknown.body;
  Reply twice = Dispatch("GET", "/v1/tasks", {{"limit", "5"}, {"limit", "6"}});
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(Dispatch("GET", "/v1/tasks/a", {{"limit", "5"}}).status, 400);
}

TEST(TokenCompareTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "abc"));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("ab\0", 3), "ab"));
}

TEST(TokenCompareTest, BearerTokenMatches) {
  EXPECT_TRUE(BearerTokenMatches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(BearerTokenMatches("bearer s3cret", "s3cret"));
  EXPECT_TRUE(BearerTokenMatches("BEARER   s3cret", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3cret ", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("Bearers3cret", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("s3cret", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("Bearer ", "s3cret"));
  EXPECT_FALSE(BearerTokenMatches("", "s3cret"));
}

TEST(TokenStrengthTest, TokensShorterThan22CharactersAreRefused) {
  EXPECT_EQ(CheckToken("", "token").field(), "token");
  EXPECT_EQ(CheckToken("t", "token").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(CheckToken(std::string(21, 'a'), "token").ok());
  EXPECT_TRUE(CheckToken(std::string(22, 'a'), "token").ok());
  EXPECT_TRUE(CheckToken(std::string(64, 'f'), "token").ok());
  EXPECT_FALSE(CheckToken(std::string(22, 'a') + " b", "token").ok());
  EXPECT_FALSE(CheckToken(std::string(22, 'a') + "\n", "token").ok());
}

TEST(TokenStrengthTest, TheApiServerRefusesAShortToken) {
  ApiOptions options;
  options.port = 0;
  options.token = "t";
  Result<std::unique_ptr<ApiServer>> bound = ApiServer::Bind(options);
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.status().field(), "token");
  EXPECT_NE(bound.status().message().find("at least 22"), std::string::npos);
}

}  // namespace
}  // namespace taskly::server
