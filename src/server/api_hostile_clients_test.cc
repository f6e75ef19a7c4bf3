// The server against clients that hold connections, send slowly, or send what a careful server
// must refuse: thousands of idle connections and slow headers do not stop it answering others,
// deadlines close what holds it, header limits answer 431, ambiguous framing 400, pipelined
// requests are answered in order, stop() does not wait for slow clients, and an address in use
// is refused.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <vector>

#include "server/api_test_util.h"

namespace taskly::server {
namespace {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A client socket connected to 127.0.0.1:port; closed with the object.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(RawClient&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Reads until `done(received)` holds, the peer closes, or `timeout` passes.
  template <typename Done>
  std::string ReadUntil(Done done, std::chrono::milliseconds timeout = 10s) {
    const auto until = Steady::now() + timeout;
    while (!done(received_) && !closed_) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(until - Steady::now());
      if (left <= 0ms) break;
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;  // end of stream, or a reset
        break;
      }
      received_.append(buf, static_cast<size_t>(n));
    }
    return received_;
  }

  // Reads `count` whole responses (each with a Content-Length); empty strings when they do not
  // come in time.
  std::vector<std::string> ReadResponses(size_t count, std::chrono::milliseconds timeout = 10s) {
    std::vector<std::string> out;
    ReadUntil([&](const std::string& bytes) { return Split(bytes).size() >= count; }, timeout);
    out = Split(received_);
    out.resize(count);
    return out;
  }

  // Whether the server closed the connection within `timeout`.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    ReadUntil([](const std::string&) { return false; }, timeout);
    return closed_;
  }

  // Whole responses in `bytes`.
  static std::vector<std::string> Split(const std::string& bytes) {
    std::vector<std::string> out;
    size_t at = 0;
    while (true) {
      const size_t end = bytes.find("\r\n\r\n", at);
      if (end == std::string::npos) break;
      const std::string head = bytes.substr(at, end - at);
      size_t length = 0;
      const size_t cl = head.find("Content-Length: ");
      if (cl != std::string::npos) length = std::stoul(head.substr(cl + 16));
      if (bytes.size() < end + 4 + length) break;
      out.push_back(bytes.substr(at, end + 4 + length - at));
      at = end + 4 + length;
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

std::string StatusLine(const std::string& response) { return response.substr(0, 12); }

std::string BodyOf(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

std::string PostTask(const std::string& type, const std::string& connection = "keep-alive") {
  const std::string body = R"({"type": ")" + type + R"("})";
  return "POST /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string(kToken) +
         "\r\nContent-Type: application/json\r\nConnection: " + connection +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

const std::string kHealthz = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

// The process's resident set, in bytes.
int64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

// How long a fresh client waits for the whole response to `request`: the fastest of three tries
// (one try can lose the CPU on a busy machine; a stalled server loses all three).
std::chrono::milliseconds FastestAnswer(int port, const std::string& request,
                                        const std::string& status) {
  auto best = std::chrono::milliseconds::max();
  for (int i = 0; i < 3; ++i) {
    const auto start = Steady::now();
    RawClient client(port);
    EXPECT_TRUE(client.connected());
    EXPECT_TRUE(client.Send(request));
    const std::string response = client.ReadResponses(1, 5s)[0];
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start);
    EXPECT_EQ(StatusLine(response), "HTTP/1.1 " + status) << response;
    best = std::min(best, took);
  }
  return best;
}

class HostileClientsTest : public ApiTest {
 protected:
  size_t TaskCount() { return store().list({}, {})->tasks.size(); }
};

// Opens `count` connections to 127.0.0.1:port in a child process (so that the server's end of
// each is the only descriptor this process needs), which holds them until the object is
// destroyed. The child makes only async-signal-safe calls.
class IdleConnections {
 public:
  IdleConnections(int port, int count) {
    int ready[2], done[2];
    if (::pipe(ready) != 0 || ::pipe(done) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      for (int fd = 3; fd < 1024; ++fd) {  // the parent's sockets stay the parent's alone
        if (fd != ready[1] && fd != done[0]) ::close(fd);
      }
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      char status = 1;
      for (int i = 0; i < count; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
          status = 0;
          break;
        }
      }
      (void)!::write(ready[1], &status, 1);
      (void)!::read(done[0], &status, 1);  // returns when the parent closes its end
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(done[0]);
    done_ = done[1];
    char status = 0;
    connected_ = pid_ > 0 && ::read(ready[0], &status, 1) == 1 && status == 1;
    ::close(ready[0]);
  }
  ~IdleConnections() {
    if (done_ >= 0) ::close(done_);
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
  }
  IdleConnections(const IdleConnections&) = delete;
  IdleConnections& operator=(const IdleConnections&) = delete;

  bool connected() const { return connected_; }

 private:
  pid_t pid_ = -1;
  int done_ = -1;
  bool connected_ = false;
};

TEST_F(HostileClientsTest, TenThousandIdleAndSomeSlowClientsDoNotStallOthers) {
  constexpr int kIdle = 10'000;
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < kIdle + 1000) {
    GTEST_SKIP() << "RLIMIT_NOFILE's hard limit " << limit.rlim_cur << " is below the "
                 << kIdle + 1000 << " descriptors this test needs";
  }
  const int port = server_->port();
  FastestAnswer(port, kHealthz, "200");  // the server's first allocations are behind it
  const int64_t before = ResidentBytes();

  IdleConnections idle(port, kIdle);
  ASSERT_TRUE(idle.connected());
  // Slow clients: a request begun, the rest never sent (in the default 10 s deadline).
  std::vector<RawClient> slow;
  for (int i = 0; i < 16; ++i) {
    slow.emplace_back(port);
    ASSERT_TRUE(slow.back().Send("POST /v1/tasks HTTP/1.1\r\nHost: x\r\n"));
  }
  // Keep-alive clients that sent one request and then hold the connection.
  std::vector<RawClient> kept;
  for (int i = 0; i < 16; ++i) {
    kept.emplace_back(port);
    ASSERT_TRUE(kept.back().Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(StatusLine(kept.back().ReadResponses(1)[0]), "HTTP/1.1 200");
  }

  EXPECT_LT(FastestAnswer(port, kHealthz, "200"), 100ms);
  EXPECT_LT(FastestAnswer(port, PostTask("fresh", "close"), "201"), 100ms);
  EXPECT_EQ(TaskCount(), 3u);

  // The server accepted every idle connection (a later one was answered) and holds each in a
  // few KiB at most: no thread, no buffer.
  const int64_t grown = ResidentBytes() - before;
  EXPECT_LT(grown / kIdle, 16 << 10)
      << "grew " << grown << " bytes for " << kIdle << " connections";
}

TEST_F(HostileClientsTest, SlowHeadersAreCutOffAtTheDeadlineWithoutDelayingOthers) {
  StartServer({.request_timeout = 500ms});
  const int port = server_->port();
  RawClient slow(port);
  const auto start = Steady::now();
  ASSERT_TRUE(slow.Send("GET /v1/stats HTTP/1.1\r\n"));
  // One header line every 100 ms: each arrives well within any per-read timeout.
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {
    EXPECT_LT(FastestAnswer(port, kHealthz, "200"), 100ms);
    if (!slow.Send("X-Slow-" + std::to_string(i) + ": 1\r\n")) break;
    closed = slow.ClosedWithin(100ms);
  }
  if (!closed) closed = slow.ClosedWithin(1s);
  const auto took = Steady::now() - start;
  EXPECT_TRUE(closed) << "the slow client is still connected";
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 3s);
}

TEST_F(HostileClientsTest, AnIdleConnectionIsClosedAfterTheIdleTimeout) {
  StartServer({.idle_timeout = 300ms});
  RawClient client(server_->port());
  ASSERT_TRUE(client.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusLine(client.ReadResponses(1)[0]), "HTTP/1.1 200");
  const auto start = Steady::now();
  EXPECT_TRUE(client.ClosedWithin(5s));
  EXPECT_GE(Steady::now() - start, 250ms);
}

TEST_F(HostileClientsTest, HeadersOverTheLimitAre431) {
  {
    RawClient client(server_->port());
    ASSERT_TRUE(client.Send(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 << 10, 'a') + "\r\n\r\n"));
    const std::string response = client.ReadResponses(1)[0];
    EXPECT_EQ(StatusLine(response), "HTTP/1.1 431") << response;
    EXPECT_NE(BodyOf(response).find(R"("field":"headers")"), std::string::npos) << response;
  }
  {
    // An unauthenticated client that never stops sending header lines.
    RawClient client(server_->port());
    std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 4000; ++i) request += "X-" + std::to_string(i) + ": 1\r\n";
    client.Send(request);
    EXPECT_EQ(StatusLine(client.ReadResponses(1)[0]), "HTTP/1.1 431");
    EXPECT_TRUE(client.ClosedWithin(5s));
  }
  {
    // Few bytes, many fields.
    RawClient client(server_->port());
    std::string request = "GET /healthz HTTP/1.1\r\n";
    for (int i = 0; i < 200; ++i) request += "X: 1\r\n";
    ASSERT_TRUE(client.Send(request + "\r\n"));
    EXPECT_EQ(StatusLine(client.ReadResponses(1)[0]), "HTTP/1.1 431");
  }
  // Within the limits, it is served.
  EXPECT_EQ(FastestAnswer(server_->port(), kHealthz, "200") < 5s, true);
}

TEST_F(HostileClientsTest, AmbiguousBodyFramingIs400) {
  const std::string auth = "Authorization: Bearer " + std::string(kToken) + "\r\n";
  const std::string body = R"({"type": "t"})";
  const std::vector<std::string> framings = {
      "Content-Length: 13\r\nContent-Length: 14\r\n",
      "Content-Length: 13\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: 13\r\n",
  };
  for (const std::string& framing : framings) {
    SCOPED_TRACE(framing);
    RawClient client(server_->port());
    ASSERT_TRUE(client.Send("POST /v1/tasks HTTP/1.1\r\nHost: x\r\n" + auth + framing + "\r\n" +
                            body + "\r\n0\r\n\r\n"));
    const std::string response = client.ReadResponses(1)[0];
    EXPECT_EQ(StatusLine(response), "HTTP/1.1 400") << response;
    EXPECT_NE(BodyOf(response).find(R"("code":"invalid_argument")"), std::string::npos) << response;
    EXPECT_TRUE(client.ClosedWithin(5s));
  }
  EXPECT_EQ(TaskCount(), 0u);
}

TEST_F(HostileClientsTest, PipelinedRequestsAreAnsweredInOrder) {
  RawClient client(server_->port());
  ASSERT_TRUE(client.Send(PostTask("first") + PostTask("second") +
                          "GET /v1/tasks?limit=10 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                          kToken + "\r\n\r\n"));
  const std::vector<std::string> responses = client.ReadResponses(3);
  ASSERT_EQ(StatusLine(responses[0]), "HTTP/1.1 201") << responses[0];
  ASSERT_EQ(StatusLine(responses[1]), "HTTP/1.1 201") << responses[1];
  ASSERT_EQ(StatusLine(responses[2]), "HTTP/1.1 200") << responses[2];
  // Ids grow with creation: the first request's task was created first.
  const std::string first = Json::parse(BodyOf(responses[0])).value("id", "");
  const std::string second = Json::parse(BodyOf(responses[1])).value("id", "");
  EXPECT_LT(first, second);
  EXPECT_EQ(StateOf(first), "pending");
  EXPECT_EQ(Get("/v1/tasks/" + first).json.value("type", ""), "first");
  EXPECT_EQ(Get("/v1/tasks/" + second).json.value("type", ""), "second");
  EXPECT_EQ(Json::parse(BodyOf(responses[2]))["tasks"].size(), 2u);
  EXPECT_EQ(TaskCount(), 2u);
}

TEST_F(HostileClientsTest, StopReturnsPromptlyWithIdleAndSlowClients) {
  const int port = server_->port();
  std::vector<RawClient> clients;
  for (int i = 0; i < 32; ++i) {
    clients.emplace_back(port);  // idle: never sends
    clients.emplace_back(port);  // kept alive after one request
    ASSERT_TRUE(clients.back().Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(StatusLine(clients.back().ReadResponses(1)[0]), "HTTP/1.1 200");
    clients.emplace_back(port);  // slow: a request begun
    ASSERT_TRUE(clients.back().Send("GET /v1/stats HTTP/1.1\r\nHost: x\r\n"));
  }
  auto stopped = std::async(std::launch::async, [this] { server_->stop(); });
  EXPECT_EQ(stopped.wait_for(2s), std::future_status::ready) << "stop() is waiting for clients";
  stopped.wait();
  for (RawClient& c : clients) EXPECT_TRUE(c.ClosedWithin(2s));
}

TEST_F(HostileClientsTest, AnAddressInUseIsRefused) {
  // Another server of ours on the same port.
  ApiOptions options{.host = "127.0.0.1", .port = server_->port(), .token = kToken};
  auto second = ApiServer::Start(scheduler(), options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos)
      << second.status().ToString();

  // A foreign program that listens with SO_REUSEPORT: sharing needs both to set it.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  options.port = ntohs(addr.sin_port);
  auto third = ApiServer::Bind(options);
  ::close(fd);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace taskly::server
