#include "store/redis/wake_listener.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>

namespace taskly::redis {

Result<std::unique_ptr<WakeListener>> WakeListener::Start(ConnectOptions options,
                                                          std::string channel, Clock& clock) {
  options.command_timeout = Duration::zero();  // a subscriber blocks until a message comes
  std::unique_ptr<WakeListener> listener(
      new WakeListener(std::move(options), std::move(channel), clock));
  Result<std::unique_ptr<Connection>> conn = listener->subscribe();
  if (!conn.ok()) return conn.status();
  {
    std::lock_guard lock(listener->mu_);
    listener->fd_ = (*conn)->fd();
  }
  listener->thread_ = std::thread(&WakeListener::run, listener.get(), std::move(conn).value());
  return listener;
}

WakeListener::~WakeListener() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);  // ends a blocking read in run()
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<Connection>> WakeListener::subscribe() {
  Result<std::unique_ptr<Connection>> conn = Connection::Open(options_);
  if (!conn.ok()) return conn.status();
  Result<Reply> r = (*conn)->command({"SUBSCRIBE", channel_});
  if (!r.ok()) return r.status();
  if (r->is_error()) return Status(StatusCode::kUnavailable, "redis SUBSCRIBE refused: " + r->str);
  return conn;
}

uint64_t WakeListener::epoch() {
  std::lock_guard lock(mu_);
  return epoch_;
}

void WakeListener::bump() {
  {
    std::lock_guard lock(mu_);
    ++epoch_;
  }
  cv_.notify_all();
}

void WakeListener::pass_on(const std::string& queue) {
  {
    std::lock_guard lock(mu_);
    tickets_.insert(queue);
  }
  // Every waiter looks, one takes the ticket: a futex wake-up costs far less than the claim
  // script each woken waiter would otherwise run.
  cv_.notify_all();
}

void WakeListener::wait(uint64_t seen, const std::vector<std::string>& queues, TimePoint deadline,
                        std::stop_token stop) {
  // Registered before the lock is taken: the callback takes it, and ~stop_callback waits for a
  // running callback.
  std::stop_callback on_stop(stop, [this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  while (epoch_ == seen && !stop.stop_requested() && !stopping_) {
    for (const std::string& q : queues) {
      if (tickets_.erase(q) > 0) return;
    }
    if (clock_.wait_until(cv_, lock, deadline)) return;
  }
}

void WakeListener::run(std::unique_ptr<Connection> conn) {
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    while (conn) {
      Result<Reply> message = conn->read();
      if (!message.ok()) break;
      // ["message", channel, queue]: work of that queue may be claimable.
      if (message->elements.size() == 3) {
        pass_on(message->elements[2].str);
      } else {
        bump();
      }
    }
    conn.reset();
    {
      std::unique_lock lock(mu_);
      fd_ = -1;
      // Reconnect after a pause (real time: it is about the network), unless stopping.
      if (cv_.wait_for(lock, pause, [this] { return stopping_; })) return;
    }
    Result<std::unique_ptr<Connection>> fresh = subscribe();
    if (!fresh.ok()) {
      pause = std::min(pause * 2, std::chrono::milliseconds(5000));
      continue;
    }
    pause = std::chrono::milliseconds(100);
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      fd_ = (*fresh)->fd();
    }
    conn = std::move(fresh).value();
    bump();  // messages may have been missed while the connection was down
  }
}

}  // namespace taskly::redis
