// The HTTP transport under concurrency (label "concurrency": also run under ThreadSanitizer):
// several I/O threads and handler threads, many clients at once, pipelining, the connection
// limit, and stop() while clients are busy. The clients are plain sockets on loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/http_server.h"

namespace taskly::server {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A blocking client connection with a deadline on every read.
class Client {
 public:
  explicit Client(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // The body of the next response, or nullopt when the connection closed or `timeout` passed.
  std::optional<std::string> ReadBody(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
      const size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        const size_t at = buffer_.find("Content-Length: ");
        if (at == std::string::npos || at > end) return std::nullopt;
        const size_t length = std::stoul(buffer_.substr(at + 16));
        if (buffer_.size() >= end + 4 + length) {
          std::string body = buffer_.substr(end + 4, length);
          buffer_.erase(0, end + 4 + length);
          return body;
        }
      }
      if (!Fill(deadline)) return std::nullopt;
    }
  }

  // Whether the server closes the connection (end of stream) before `timeout`.
  bool ClosedByServer(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (Fill(deadline)) {
    }
    return eof_;
  }

 private:
  // Reads what arrives before `deadline` into buffer_; false at end of stream, error or deadline.
  bool Fill(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) return false;
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

std::string Request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n\r\n";
}

// Answers every request with its target; "/inline/..." on the I/O thread.
class HttpServerConcurrency : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    options.host = "127.0.0.1";
    Result<std::unique_ptr<HttpServer>> server = HttpServer::Bind(options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    server_->Serve(
        [this](const HttpRequest& request) {
          handled_.fetch_add(1);
          return Reply{.status = 200, .body = request.target};
        },
        [](const HttpRequest& request) { return request.target.starts_with("/inline/"); });
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> handled_{0};
};

TEST_F(HttpServerConcurrency, ManyClientsOnSeveralIoThreadsEachGetTheirOwnAnswers) {
  Start({.io_threads = 2, .worker_threads = 3});
  constexpr int kClients = 8;
  constexpr int kRequests = 40;
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(server_->port());
      if (!client.connected()) {
        wrong.fetch_add(kRequests);
        return;
      }
      for (int i = 0; i < kRequests; ++i) {
        const std::string target =
            (i % 2 == 0 ? "/inline/" : "/pool/") + std::to_string(c) + "/" + std::to_string(i);
        if (!client.Send(Request(target)) || client.ReadBody() != target) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(handled_.load(), kClients * kRequests);
}

TEST_F(HttpServerConcurrency, PipelinedRequestsOnManyConnectionsAreAnsweredInOrder) {
  Start({.io_threads = 2, .worker_threads = 4});
  constexpr int kClients = 6;
  constexpr int kPipelined = 25;
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(server_->port());
      std::string burst;
      std::vector<std::string> targets;
      for (int i = 0; i < kPipelined; ++i) {
        // Pooled and inline requests mixed: the inline ones must still wait their turn.
        targets.push_back((i % 3 == 0 ? "/inline/" : "/pool/") + std::to_string(c) + "/" +
                          std::to_string(i));
        burst += Request(targets.back());
      }
      if (!client.Send(burst)) {
        wrong.fetch_add(kPipelined);
        return;
      }
      for (const std::string& target : targets) {
        if (client.ReadBody() != target) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(HttpServerConcurrency, ConnectionsOverTheLimitAreClosedAndTheOthersServed) {
  constexpr int kLimit = 4;
  Start({.io_threads = 2, .worker_threads = 2, .max_connections = kLimit});
  // Each held connection has been answered once, so the server has counted it.
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < kLimit; ++i) {
    held.push_back(std::make_unique<Client>(server_->port()));
    ASSERT_TRUE(held.back()->Send(Request("/pool/held")));
    ASSERT_EQ(held.back()->ReadBody(), "/pool/held");
  }
  Client extra(server_->port());
  EXPECT_TRUE(extra.ClosedByServer());
  // The held ones still work.
  for (auto& client : held) {
    ASSERT_TRUE(client->Send(Request("/inline/again")));
    EXPECT_EQ(client->ReadBody(), "/inline/again");
  }
  // Once one goes, a new connection is served (the server notices the close on its own time).
  held.pop_back();
  const auto deadline = Clock::now() + 10s;
  bool served = false;
  while (!served && Clock::now() < deadline) {
    Client next(server_->port());
    served = next.Send(Request("/pool/next")) && next.ReadBody(2s) == "/pool/next";
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpServerConcurrency, StopWhileClientsAreBusyReturnsAndEveryClientEnds) {
  Start({.io_threads = 2, .worker_threads = 2});
  constexpr int kClients = 6;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      // Each client reconnects after the server closes it, until connecting fails (stopped).
      for (int round = 0; round < 1000; ++round) {
        Client client(server_->port());
        if (!client.connected()) return;
        for (int i = 0;; ++i) {
          const std::string target =
              (i % 2 == 0 ? "/pool/" : "/inline/") + std::to_string(c) + "/" + std::to_string(i);
          if (!client.Send(Request(target))) break;
          std::optional<std::string> body = client.ReadBody();
          if (!body) break;
          EXPECT_EQ(*body, target);
          answered.fetch_add(1);
        }
      }
    });
  }
  const auto deadline = Clock::now() + 30s;
  while (answered.load() < 200 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  ASSERT_GE(answered.load(), 200);
  server_->stop();
  for (std::thread& t : clients) t.join();
  // stop() is idempotent (TearDown calls it again).
}

}  // namespace
}  // namespace taskly::server
