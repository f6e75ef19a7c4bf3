// SpinningMutex under contention: more threads than cores, so some acquisitions succeed while
// spinning and others park in the underlying mutex; a plain counter guarded by the mutex must
// count every increment (TSan checks the same run for races).

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "store/memory/spinning_mutex.h"

namespace taskly::memory {
namespace {

TEST(SpinningMutexConcurrencyTest, GuardsEveryIncrementUnderContention) {
  constexpr int kThreads = 6;
  constexpr int kIncrements = 20'000;
  SpinningMutex mu;
  int64_t counter = 0;  // guarded by mu
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        std::lock_guard lock(mu);
        // A read, some work and a write: a lost update shows if two threads ever overlap here.
        int64_t seen = counter;
        if (i % 64 == 0) std::this_thread::yield();
        counter = seen + 1;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counter, int64_t{kThreads} * kIncrements);
}

TEST(SpinningMutexConcurrencyTest, TryLockFailsWhileHeldAndWaitersGetItOnUnlock) {
  SpinningMutex mu;
  mu.lock();
  bool acquired = false;  // guarded by mu
  std::thread waiter([&] {
    std::lock_guard lock(mu);  // spins, then parks until the main thread unlocks
    acquired = true;
  });
  // Another thread's try: try_lock by the holder itself is undefined, as for std::mutex.
  std::thread([&mu] { EXPECT_FALSE(mu.try_lock()); }).join();
  mu.unlock();
  waiter.join();
  std::lock_guard lock(mu);
  EXPECT_TRUE(acquired);
}

// The condition variable waits on native(): a waiter woken through it holds the SpinningMutex.
TEST(SpinningMutexConcurrencyTest, ConditionVariableWaitsOnTheNativeMutex) {
  SpinningMutex mu;
  std::condition_variable cv;
  int round = 0;  // guarded by mu
  std::thread ponger([&] {
    for (int i = 0; i < 1000; ++i) {
      std::unique_lock lock(mu.native());
      cv.wait(lock, [&] { return round % 2 == 1; });
      round++;
      cv.notify_all();
    }
  });
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard lock(mu);
      round++;
    }
    cv.notify_all();
    std::unique_lock lock(mu.native());
    cv.wait(lock, [&] { return round % 2 == 0; });
  }
  ponger.join();
  std::lock_guard lock(mu);
  EXPECT_EQ(round, 2000);
}

}  // namespace
}  // namespace taskly::memory
