// Stored bytes that are hostile to render: a payload of 90k nested '[' (180 KB, under the
// payload limit) sent as text or base64 is accepted, and every route that renders it answers.
#include "codec/text.h"
#include "server/api_test_util.h"

namespace taskly::server {
namespace {

using StoredBytesTest = ApiTest;

const std::string& Deep() {
  static const std::string deep = std::string(90000, '[') + std::string(90000, ']');
  return deep;
}

TEST_F(StoredBytesTest, DeeplyNestedTextPayloadIsRenderedAsText) {
  const std::string id = Submit("t", {{"payload", Deep()}, {"payload_format", "text"}});
  ASSERT_FALSE(id.empty());
  HttpResult one = Get("/v1/tasks/" + id);
  ASSERT_EQ(one.status, 200) << one.body.substr(0, 200);
  EXPECT_EQ(one.json["payload"], Deep());
  EXPECT_EQ(one.json["payload_format"], "text");
  HttpResult list = Get("/v1/tasks");
  ASSERT_EQ(list.status, 200) << list.body.substr(0, 200);
  ASSERT_EQ(list.json["tasks"].size(), 1u);
  EXPECT_EQ(list.json["tasks"][0]["payload"], Deep());
}

TEST_F(StoredBytesTest, DeeplyNestedBase64PayloadIsRendered) {
  const std::string id = Submit(
      "t", {{"payload", codec::internal::Base64Encode(Deep())}, {"payload_format", "base64"}});
  ASSERT_FALSE(id.empty());
  HttpResult one = Get("/v1/tasks/" + id);
  ASSERT_EQ(one.status, 200) << one.body.substr(0, 200);
  EXPECT_EQ(one.json["payload"], Deep());
}

TEST_F(StoredBytesTest, DeeplyNestedScheduleTemplateIsRendered) {
  Json body = {{"id", "deep"},
               {"every", "1h"},
               {"task", {{"type", "t"}, {"payload", Deep()}, {"payload_format", "text"}}}};
  HttpResult r = Post("/v1/schedules", body.dump());
  ASSERT_EQ(r.status, 201) << r.body.substr(0, 200);
  HttpResult list = Get("/v1/schedules");
  ASSERT_EQ(list.status, 200) << list.body.substr(0, 200);
  ASSERT_EQ(list.json["schedules"].size(), 1u);
  EXPECT_EQ(list.json["schedules"][0]["task"]["payload"], Deep());
  EXPECT_EQ(Get("/v1/schedules/deep").status, 200);
}

// A JSON payload nested deeper than the API reads is refused, naming the body.
TEST_F(StoredBytesTest, AJsonPayloadNestedTooDeepIsRefused) {
  std::string deep_value = std::string(100, '[') + std::string(100, ']');
  HttpResult r = Post("/v1/tasks", R"({"type": "t", "payload": )" + deep_value + "}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_field(), "body");
}

}  // namespace
}  // namespace taskly::server
