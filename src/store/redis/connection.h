// Connections to Redis over hiredis's synchronous API: one Connection per caller at a time,
// handed out by a ConnectionPool.
//
// Commands are sent as argv (redisCommandArgv), so every argument is binary safe. Replies are
// copied out of hiredis into `Reply` values at once. An I/O error or a timeout breaks the
// connection (hiredis cannot resume a half-read reply); the call returns kUnavailable and the
// pool drops the connection instead of reusing it.
//
// Thread-safety: a Connection is not thread-safe (one caller at a time); ConnectionPool is.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/redis/url.h"
#include "taskly/clock.h"
#include "taskly/status.h"

struct redisContext;

namespace taskly::redis {

struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
};

struct ConnectOptions {
  RedisAddress address;
  Duration connect_timeout = std::chrono::seconds(2);
  Duration command_timeout = std::chrono::seconds(10);  // zero: none (subscribers)
};

class Connection {
 public:
  // Connects, authenticates and selects the database. kUnavailable naming the address on
  // failure.
  static Result<std::unique_ptr<Connection>> Open(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one command and reads its reply. An error reply is a Reply of type kError, not a
  // failed Result; kUnavailable means the connection broke.
  Result<Reply> command(const std::vector<std::string>& argv);
  // Queues a command to be sent with the next read() (pipelining: several commands, one round
  // trip); its reply is read, in order, by read().
  Status append(const std::vector<std::string>& argv);
  // Reads the next reply, after sending what append() queued (pub/sub messages: nothing).
  Result<Reply> read();

  bool broken() const { return broken_; }
  // The socket, for shutdown() by another thread to unblock a read().
  int fd() const;

 private:
  Connection(redisContext* context, std::string where) : ctx_(context), where_(std::move(where)) {}
  Status io_error();

  redisContext* ctx_;
  std::string where_;  // "host:port/db", for messages
  bool broken_ = false;
};

// Hands out connections, one per concurrent caller; idle ones are kept for reuse. After a
// failed connect, further connects wait a growing pause (100 ms doubling up to 5 s, measured in
// real time: it is about the network, not the store's clock), and calls fail at once with
// kUnavailable until it has passed.
class ConnectionPool {
 public:
  explicit ConnectionPool(ConnectOptions options) : options_(std::move(options)) {}

  class Handle {
   public:
    Handle(ConnectionPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Handle(Handle&&) = default;
    Handle& operator=(Handle&&) = delete;
    ~Handle() {
      if (conn_) pool_->release(std::move(conn_));
    }
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  Result<Handle> acquire();
  const ConnectOptions& options() const { return options_; }

 private:
  void release(std::unique_ptr<Connection> conn);

  const ConnectOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;      // guarded by mu_
  std::chrono::steady_clock::time_point retry_after_;  // guarded by mu_
  std::chrono::milliseconds pause_{0};                 // guarded by mu_
};

}  // namespace taskly::redis
