// Size limits: request bodies over max_body_bytes and task payloads over max_payload_bytes are
// refused with 413 naming "body" or the payload's field, and change nothing, however the body
// comes (with a length, chunked, labelled a form, compressed).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/api_test_util.h"

namespace taskly::server {
namespace {

class LimitsTest : public ApiTest {
 protected:
  void SetUp() override { StartServer({.max_body_bytes = 8192, .max_payload_bytes = 1024}); }

  static std::string TaskWithPayload(size_t text_bytes) {
    return Json({{"type", "t"}, {"payload", std::string(text_bytes, 'x')}}).dump();
  }

  size_t TaskCount() { return store().list({}, {})->tasks.size(); }
};

TEST_F(LimitsTest, ALargeBodyIs413) {
  HttpResult r = Post("/v1/tasks", TaskWithPayload(20000));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.error_code(), "too_large");
  EXPECT_EQ(r.error_field(), "body");
  EXPECT_EQ(TaskCount(), 0u);
  // The connection is still usable and a small body goes through.
  EXPECT_EQ(Post("/v1/tasks", TaskWithPayload(10)).status, 201);
}

TEST_F(LimitsTest, ALargeBodyWithoutTheTokenIs401) {
  HttpResult r = Call("POST", "/v1/tasks", TaskWithPayload(20000), nullptr);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(TaskCount(), 0u);
}

TEST_F(LimitsTest, ALargePayloadIs413NamingIt) {
  // A payload of 1022 characters is 1024 bytes of JSON text with its quotes: just fits.
  EXPECT_EQ(Post("/v1/tasks", TaskWithPayload(1022)).status, 201);
  HttpResult r = Post("/v1/tasks", TaskWithPayload(1023));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.error_code(), "too_large");
  EXPECT_EQ(r.error_field(), "payload");
  EXPECT_EQ(TaskCount(), 1u);

  Json batch = {{"tasks", {Json::parse(TaskWithPayload(1)), Json::parse(TaskWithPayload(2000))}}};
  r = Post("/v1/tasks/batch", batch.dump());
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.error_field(), "tasks[1].payload");
  EXPECT_EQ(TaskCount(), 1u);

  Json schedule = {{"id", "s"}, {"every", "1h"}, {"task", Json::parse(TaskWithPayload(2000))}};
  r = Post("/v1/schedules", schedule.dump());
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.error_field(), "task.payload");
  EXPECT_TRUE(store().list_schedules()->empty());
}

TEST_F(LimitsTest, AChunkedBodyIsReadUnderTheSameLimit) {
  httplib::Headers headers = {{"Authorization", std::string("Bearer ") + kToken}};
  httplib::Result r = client_->Post(
      "/v1/tasks", headers,
      [](size_t, httplib::DataSink& sink) {
        std::string body = R"({"type": "t"})";
        sink.write(body.data(), body.size());
        sink.done();
        return true;
      },
      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(TaskCount(), 1u);

  r = client_->Post(
      "/v1/tasks", headers,
      [](size_t, httplib::DataSink& sink) {
        std::string chunk(4096, ' ');
        for (int i = 0; i < 4; ++i) sink.write(chunk.data(), chunk.size());
        sink.done();
        return true;
      },
      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_EQ(TaskCount(), 1u);
}

TEST_F(LimitsTest, ABodyLabelledAsAFormIsReadUnderTheSameLimit) {
  // httplib alone would refuse a form-encoded body over 8 KiB; curl -d labels every body so.
  httplib::Headers headers = {{"Authorization", std::string("Bearer ") + kToken}};
  httplib::Result r = client_->Post("/v1/tasks", headers, TaskWithPayload(1000),
                                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
}

TEST_F(LimitsTest, AGzippedBodyIsLimitedOnceInflated) {
  httplib::Headers headers = {{"Authorization", std::string("Bearer ") + kToken}};
  client_->set_compress(true);  // gzip: 20000 payload bytes inflate past the 8192 limit
  httplib::Result r =
      client_->Post("/v1/tasks", headers, TaskWithPayload(20000), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  r = client_->Post("/v1/tasks", headers, TaskWithPayload(100), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(TaskCount(), 1u);
}

// A POST without Content-Length has no body; it must be answered at once, not after the server
// waited for more bytes.
TEST_F(LimitsTest, APostWithoutContentLengthIsServedAtOnce) {
  std::string id = Submit("t");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string request = "POST /v1/tasks/" + id + "/cancel HTTP/1.1\r\nHost: x\r\n" +
                        "Authorization: Bearer " + kToken + "\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  timeval timeout{.tv_sec = 2, .tv_usec = 0};  // httplib's own wait would be 5 s
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char buf[64] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  ASSERT_GT(n, 0);
  EXPECT_TRUE(std::string(buf).starts_with("HTTP/1.1 200")) << buf;
  EXPECT_EQ(StateOf(id), "cancelled");
}

}  // namespace
}  // namespace taskly::server
