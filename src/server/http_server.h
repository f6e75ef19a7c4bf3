// The HTTP/1.1 transport under ApiServer: Boost.Beast over Boost.Asio, kept behind this header so
// that Beast's headers compile into http_server.cc alone.
//
// Event-driven: a connection costs no thread. One io_context, run by `io_threads` threads, reads
// requests and writes responses; each request is handed to `handler` on a pool of
// `worker_threads` threads (a handler may block on the store), except those `runs_inline` picks,
// which are answered on the I/O thread at once (they must be quick and never block). Requests of
// one connection are answered one at a time and in order, so pipelined requests get their
// responses in the order they were sent.
//
// What a client cannot do:
// - take longer than `request_timeout` to send a request's headers and body (counted from its
//   first byte): the connection is closed;
// - keep an idle connection (no request started) longer than `idle_timeout`: it is closed; a
//   response that makes no progress for `idle_timeout` is abandoned and the connection closed;
// - send headers (request line included) over `max_header_bytes` or more than
//   `max_header_fields` fields: 431, then the connection is closed;
// - send a body over `max_body_bytes`: the handler sees kTooLarge (and answers), then the
//   connection is closed; a malformed body (a bad chunk): kUnreadable, the same;
// - send a malformed request, two different Content-Length headers, or Content-Length together
//   with Transfer-Encoding: 400, then the connection is closed;
// - open more than `max_connections` connections: further ones are closed as soon as accepted.
//
// Thread-safety: Serve() once, stop() from any one thread; the handlers run concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/reply.h"
#include "taskly/status.h"

namespace taskly::server {

struct HttpServerOptions {
  std::string host;
  int port = 0;  // 0: any free port
  int io_threads = 1;
  int worker_threads = 8;
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  int64_t max_header_bytes = 16 << 10;
  int max_header_fields = 100;
  int64_t max_body_bytes = 1 << 20;
  int max_connections = 20'000;
};

// One request as read from the connection. Header values are as sent; `target` is the raw
// request target (path and query, still percent-encoded).
struct HttpRequest {
  enum class BodyState {
    kRead,        // `body` holds it whole (empty when the request had none)
    kTooLarge,    // over max_body_bytes: `body` is empty
    kUnreadable,  // malformed (a bad chunk): `body` is empty
  };
  std::string method;
  std::string target;
  std::optional<std::string> authorization;
  std::string content_type;
  std::string content_encoding;
  std::string body;
  BodyState body_state = BodyState::kRead;
};

using HttpHandler = std::function<Reply(const HttpRequest&)>;

class HttpServer {
 public:
  // Binds host:port without SO_REUSEPORT, so an address another socket listens on is refused:
  // Unavailable naming host:port. Connections wait in the backlog until Serve().
  static Result<std::unique_ptr<HttpServer>> Bind(const HttpServerOptions& options);
  virtual ~HttpServer() = default;

  // Starts the threads and answers connections. `runs_inline` (may be empty) picks the requests
  // answered on the I/O thread.
  virtual void Serve(HttpHandler handler, std::function<bool(const HttpRequest&)> runs_inline) = 0;
  // The bound port.
  virtual int port() const = 0;
  // Stops accepting, closes every connection that has no request in a handler, lets the
  // handlers in flight finish and their responses go out (each write bounded by idle_timeout),
  // then stops the threads. Idempotent; returns once all of that is done.
  virtual void stop() = 0;
};

// `text` with control characters, DEL, backslash and bytes over 0x7e written as \xNN, so that
// request data can go into a log line as one harmless line.
std::string EscapeForLog(std::string_view text);

}  // namespace taskly::server
