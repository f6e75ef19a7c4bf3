// The HTTP API of `taskly server` (routes and JSON forms in docs/api.md):
// /v1 routes over a Scheduler and its Store, /metrics in Prometheus text format, and the
// health checks. Every route but /healthz and /readyz requires `Authorization: Bearer <token>`.
// Bad input gets a 4xx with {"error": {"code", "message", "field"}} and changes nothing.
//
// Thread-safety: start() and stop() from one thread; requests are served on the server's own
// threads: connections are read and written by `io_threads` threads (a connection costs no
// thread), and route handlers run on a pool of `threads` threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "taskly/scheduler.h"
#include "taskly/status.h"
#include "taskly/store.h"

namespace taskly::server {

struct ApiOptions {
  std::string host = "127.0.0.1";         // loopback unless configured
  int port = 8080;                        // 0: any free port (see ApiServer::port())
  std::string token;                      // required: CheckToken (auth.h), 22+ characters
  int64_t max_body_bytes = 1 << 20;       // larger request bodies: 413, field "body"
  int64_t max_payload_bytes = 256 << 10;  // larger task payloads: 413, field "...payload"
  int threads = 8;                        // route handlers run on this many threads
  int io_threads = 1;                     // threads that read and write the connections
  // What a client may hold of the server (what happens past each limit: http_server.h and
  // docs/operations.md). A request's headers and body must arrive within request_timeout of its
  // first byte; a connection with no request under way is closed after idle_timeout.
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  int64_t max_header_bytes = 16 << 10;  // request line and header fields: larger is 431
  int max_header_fields = 100;          // more fields: 431
  int max_connections = 20'000;         // further connections are closed as soon as accepted
  // Where GET /v1/backup writes its temporary copy of the database before sending it (best on
  // the database's own file system); empty: the system's temporary directory.
  std::string backup_dir;
};

class ApiServer {
 public:
  // Binds host:port and serves until stop(). `scheduler` (and its store) must outlive the
  // server. `ready` answers /readyz (e.g. "the store is reachable"); it may be empty (ready).
  // Errors: InvalidArgument naming the option ("token" when CheckToken refuses it, "port",
  // "max_body_bytes", "max_payload_bytes", "threads", "io_threads", "request_timeout",
  // "idle_timeout", "max_header_bytes", "max_header_fields", "max_connections" when out of
  // range); Unavailable naming host:port when it cannot be bound (another socket listens on it:
  // SO_REUSEPORT is never set). A task's "delay" counts from the scheduler's clock.
  static Result<std::unique_ptr<ApiServer>> Start(Scheduler& scheduler, const ApiOptions& options,
                                                  std::function<Status()> ready = {});
  // Start() in two steps, for a caller that needs the port before it has a scheduler (a
  // cluster node publishes its URL): Bind() checks the options and binds host:port (errors as
  // Start); connections wait in the backlog until Serve() answers them over `scheduler`.
  // Serve() is FailedPrecondition when called twice or after stop().
  static Result<std::unique_ptr<ApiServer>> Bind(const ApiOptions& options);
  virtual Status Serve(Scheduler& scheduler, std::function<Status()> ready = {}) = 0;
  virtual ~ApiServer() = default;

  // The bound port (the chosen one when options.port was 0).
  virtual int port() const = 0;
  // Stops accepting, closes idle and half-sent connections at once, lets the handlers in flight
  // finish and sends their responses; idempotent.
  virtual void stop() = 0;
};

// The token file of a data directory: `<data_dir>/token`. Returns the token in it, or, when the
// file does not exist, generates a random token (32 bytes from the OS, hex), writes it with mode
// 0600, and returns it. The file appears whole (written to a temporary file, then linked), and
// if two processes create it at once both return the one that won. Trailing whitespace (a
// newline) is not part of the token. FailedPrecondition if the file exists but any group/other
// permission bit is set (it could be read, or replaced), is not a regular file, or is empty;
// Internal with the path on I/O errors (including a data_dir that does not exist: it is not
// created here).
Result<std::string> LoadOrCreateToken(const std::string& data_dir);

}  // namespace taskly::server
