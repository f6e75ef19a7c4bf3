// The configuration of `taskly server` and `taskly worker`: their flags, each also read from an
// environment variable (TASKLY_<FLAG>, e.g. TASKLY_LISTEN) and from the [server] or [worker]
// section of the config file, with precedence flags > environment > file > default (see
// config_file.h). Every value is checked while parsing, so a bad one is a usage error (exit 2)
// naming its flag. A worker has the flags of the server's workers (its slots are
// --concurrency) and none of the API's.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace taskly::cli {

struct ServerFlags {
  std::string listen = "127.0.0.1:8080";
  std::string
      store;  // "sqlite:PATH", "redis://..." or "memory"; empty: sqlite:<data-dir>/taskly.db
  std::string store_password_file;  // --store-password-file: the Redis password (secrets.h)
  int32_t slots = 0;                // 0: one per hardware thread
  std::vector<std::string> queues = {"default"};
  std::string selector = "strict";
  int32_t prefetch = 1;
  std::string lease = "30s";
  std::string grace = "30s";
  int64_t max_body = int64_t{1} << 20;
  int64_t max_payload = int64_t{256} << 10;
  int64_t max_result = int64_t{1} << 20;  // largest stored task result (SchedulerOptions)
  int32_t http_threads = 8;
  int32_t max_connections = 20'000;     // open API connections at most
  std::string request_timeout = "10s";  // a request's headers and body, from its first byte
  std::string idle_timeout = "60s";     // an API connection with no request under way
  bool allow_exec = false;
  std::vector<std::string> exec_allow;  // absolute paths; empty with --allow-exec: any
  std::string exec_user;
  int64_t keep = 100'000;       // retention: terminal tasks kept at most
  std::string keep_for = "7d";  // retention: terminal tasks deleted this long after finishing
  std::string log_level = "info";
  std::string node_id;                     // empty: DefaultNodeId()
  std::string leader_ttl = "5s";           // leadership lease and node heartbeat lifetime
  std::string min_schedule_period = "1s";  // shortest schedule period add_schedule accepts
  bool init = false;  // a new, empty SQLite store even where one was kept before
};

void AddServerFlags(CLI::App& cmd, ServerFlags& flags);
void AddWorkerFlags(CLI::App& cmd, ServerFlags& flags);

// "HOST:PORT" or "[IPv6]:PORT", as --listen's validator accepted it.
struct ListenAddress {
  std::string host;
  int port = 0;
};
ListenAddress ParseListen(const std::string& text);

}  // namespace taskly::cli
