#include "store/redis/connection.h"

#include <hiredis.h>

#include <algorithm>
#include <cstring>

namespace taskly::redis {
namespace {

timeval ToTimeval(Duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

Reply Copy(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r->type == REDIS_REPLY_STRING   ? Reply::Type::kString
                 : r->type == REDIS_REPLY_STATUS ? Reply::Type::kStatus
                                                 : Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Copy(r->element[i]));
      break;
    default:
      break;  // nil
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Open(const ConnectOptions& options) {
  const RedisAddress& a = options.address;
  std::string where = Describe(a);
  redisContext* ctx =
      redisConnectWithTimeout(a.host.c_str(), a.port, ToTimeval(options.connect_timeout));
  if (ctx == nullptr) return Status(StatusCode::kUnavailable, "redis " + where + ": out of memory");
  if (ctx->err != 0) {
    std::string why = ctx->errstr;
    redisFree(ctx);
    return Status(StatusCode::kUnavailable, "redis " + where + ": cannot connect: " + why);
  }
  std::unique_ptr<Connection> conn(new Connection(ctx, where));
  if (options.command_timeout > Duration::zero() &&
      redisSetTimeout(ctx, ToTimeval(options.command_timeout)) != REDIS_OK) {
    return conn->io_error();
  }
  auto setup = [&conn, &where](std::vector<std::string> argv, const char* what) -> Status {
    Result<Reply> r = conn->command(argv);
    if (!r.ok()) return r.status();
    if (r->is_error()) {
      return Status(StatusCode::kUnavailable, "redis " + where + ": " + what + ": " + r->str);
    }
    return Status();
  };
  if (!a.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!a.user.empty()) auth.push_back(a.user);
    auth.push_back(a.password);
    if (Status s = setup(auth, "AUTH refused"); !s.ok()) return s;
  }
  if (a.db != 0) {
    if (Status s = setup({"SELECT", std::to_string(a.db)}, "SELECT refused"); !s.ok()) return s;
  }
  return conn;
}

Connection::~Connection() { redisFree(ctx_); }

int Connection::fd() const { return ctx_->fd; }

Status Connection::io_error() {
  broken_ = true;
  std::string why = ctx_->err != 0 ? ctx_->errstr : "connection lost";
  if (ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) why = "timeout";
  return Status(StatusCode::kUnavailable, "redis " + where_ + ": " + why);
}

Result<Reply> Connection::command(const std::vector<std::string>& argv) {
  if (Status s = append(argv); !s.ok()) return s;
  return read();
}

Status Connection::append(const std::vector<std::string>& argv) {
  if (broken_) return Status(StatusCode::kUnavailable, "redis " + where_ + ": connection broken");
  std::vector<const char*> args;
  std::vector<size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), args.data(), lens.data()) !=
      REDIS_OK) {
    return io_error();
  }
  return Status();
}

Result<Reply> Connection::read() {
  if (broken_) return Status(StatusCode::kUnavailable, "redis " + where_ + ": connection broken");
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) return io_error();
  auto* reply = static_cast<redisReply*>(raw);
  Reply out = Copy(reply);
  freeReplyObject(reply);
  return out;
}

Result<ConnectionPool::Handle> ConnectionPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Handle(this, std::move(conn));
    }
    if (std::chrono::steady_clock::now() < retry_after_) {
      return Status(StatusCode::kUnavailable, "redis " + Describe(options_.address) +
                                                  ": unreachable, next connect attempt in " +
                                                  std::to_string(pause_.count()) + " ms or less");
    }
  }
  Result<std::unique_ptr<Connection>> conn = Connection::Open(options_);
  std::lock_guard lock(mu_);
  if (!conn.ok()) {
    using std::chrono::milliseconds;
    pause_ = std::clamp(pause_ * 2, milliseconds(100), milliseconds(5000));
    retry_after_ = std::chrono::steady_clock::now() + pause_;
    return conn.status();
  }
  pause_ = std::chrono::milliseconds(0);
  return Handle(this, std::move(conn).value());
}

void ConnectionPool::release(std::unique_ptr<Connection> conn) {
  if (conn->broken()) return;  // dropped: hiredis cannot resume it
  std::lock_guard lock(mu_);
  // Above any node's steady concurrency (a worker slot is one caller): a cap below it closes
  // connections that the next claim opens again, a TCP handshake per call.
  constexpr size_t kMaxIdle = 1024;
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
}

}  // namespace taskly::redis
