// The HTTP API of `taskly server` (DESIGN.md section 7; routes and JSON forms in docs/api.md):
// /v1 routes over a Scheduler and its Store, /metrics in Prometheus text format, and the
// health checks. Every route but /healthz and /readyz requires `Authorization: Bearer <token>`.
// Bad input gets a 4xx with {"error": {"code", "message", "field"}} and changes nothing.
//
// Thread-safety: start() and stop() from one thread; requests are served on the server's own
// threads.
#pragma once

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
  int threads = 8;                        // request-serving threads
  // Where GET /v1/backup writes its temporary copy of the database before sending it (best on
  // the database's own file system); empty: the system's temporary directory.
  std::string backup_dir;
};

class ApiServer {
 public:
  // Binds host:port and serves until stop(). `scheduler` (and its store) must outlive the
  // server. `ready` answers /readyz (e.g. "the store is reachable"); it may be empty (ready).
  // Errors: InvalidArgument naming the option ("token" when CheckToken refuses it, "port",
  // "max_body_bytes", "max_payload_bytes", "threads" when out of range); Unavailable when host:port
  // cannot be bound. A task's "delay" counts from the scheduler's clock.
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
  // Stops accepting and finishes requests in flight; idempotent.
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
