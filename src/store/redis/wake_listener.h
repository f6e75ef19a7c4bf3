// Wake-ups for wait_for_work(): one thread holds a connection SUBSCRIBEd to the store's wake
// channel (keys.h), on which every script that may make work claimable publishes. Each message,
// from any client of this Redis, moves an epoch and wakes the local waiters, who then check
// Redis again. Pub/sub is broadcast, so every waiting worker wakes (a BLPOP on a list would wake
// one); a message lost while the connection is down is covered by moving the epoch when the
// subscription is back.
//
// Thread-safety: thread-safe. wait() is called by many threads; the destructor stops the
// thread (shutting the socket down to end a blocking read) and joins it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

#include "store/redis/connection.h"
#include "taskly/clock.h"

namespace taskly::redis {

class WakeListener {
 public:
  // Subscribes before returning, so that no publish after Start() returns is missed.
  // kUnavailable if the subscriber cannot connect.
  static Result<std::unique_ptr<WakeListener>> Start(ConnectOptions options, std::string channel,
                                                     Clock& clock);
  ~WakeListener();
  WakeListener(const WakeListener&) = delete;
  WakeListener& operator=(const WakeListener&) = delete;

  // The current epoch: read it before checking Redis for work, then wait() with it.
  uint64_t epoch();
  // Blocks until the epoch moves past `seen`, `deadline` passes on the store's clock, or `stop`
  // is requested. May return spuriously.
  void wait(uint64_t seen, TimePoint deadline, std::stop_token stop);

 private:
  WakeListener(ConnectOptions options, std::string channel, Clock& clock)
      : options_(std::move(options)), channel_(std::move(channel)), clock_(clock) {}
  Result<std::unique_ptr<Connection>> subscribe();
  void run(std::unique_ptr<Connection> conn);
  void bump();

  const ConnectOptions options_;
  const std::string channel_;
  Clock& clock_;

  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t epoch_ = 0;     // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  int fd_ = -1;            // the subscriber's socket; guarded by mu_
  std::thread thread_;
};

}  // namespace taskly::redis
