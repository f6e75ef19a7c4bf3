// Wake-ups for wait_for_work(): one thread holds a connection SUBSCRIBEd to the store's wake
// channel (keys.h), on which every script that may make work claimable publishes the name of the
// queue. Each message, from any client of this Redis, leaves a wake-up ("ticket") for that queue,
// which ONE local waiter serving the queue takes and returns with. That waiter's claim passes the
// wake-up on (pass_on()) when it took a full batch, since more work may be left: a burst spreads
// over the waiters one claim at a time, while a single task wakes one worker instead of every
// idle worker of the process each running a claim script that finds nothing. A queue holds at
// most one ticket: a message while nobody waits costs the next waiter one spurious return.
//
// A message lost while the connection is down is covered by moving the epoch when the
// subscription is back, which wakes every waiter.
//
// Thread-safety: thread-safe. wait() is called by many threads; the destructor stops the
// thread (shutting the socket down to end a blocking read) and joins it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

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
  // Blocks until there is a wake-up for one of `queues` (taken by this call), the epoch moves
  // past `seen`, `deadline` passes on the store's clock, or `stop` is requested. May return
  // spuriously.
  void wait(uint64_t seen, const std::vector<std::string>& queues, TimePoint deadline,
            std::stop_token stop);
  // Leaves a wake-up for `queue`, as a message would: a claim that may have left work behind
  // hands it to the next waiter.
  void pass_on(const std::string& queue);

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
  uint64_t epoch_ = 0;  // guarded by mu_
  // Queues with a wake-up no waiter has taken yet.
  std::unordered_set<std::string> tickets_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  int fd_ = -1;                              // the subscriber's socket; guarded by mu_
  std::thread thread_;
};

}  // namespace taskly::redis
