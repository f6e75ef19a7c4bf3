// A std::mutex that spins briefly before it blocks. The memory store's lock is held for a few
// microseconds at a time (a group of enqueues, or a worker's batch of settles and claims), and
// on a virtual machine a thread that blocks pays two system calls and a wake-up (the futex wait,
// and its waker's futex wake) that cost more than the wait itself. Spinning is bounded, so a long
// hold (or a holder that lost its core) still parks the waiter.
//
// Thread-safety: a mutex. Meets Lockable, so std::lock_guard and std::unique_lock take it;
// native() is for std::condition_variable, which needs the std::mutex itself.
#pragma once

#include <mutex>

namespace taskly::memory {

class SpinningMutex {
 public:
  // Pauses spent spinning before blocking, in all: about 2.5 us on current x86 cores (a pause
  // is some 20 ns), a few of the lock's usual holds. Much longer spins cost more CPU in spins
  // that fail than blocking costs.
  static constexpr int kSpinPauses = 128;
  // The most pauses between two attempts: the attempts back off exponentially up to this, so
  // a spinner does not keep taking the lock's cache line away from the holder.
  static constexpr int kMaxStep = 8;

  void lock() {
    if (mu_.try_lock()) return;
    for (int spent = 0, step = 1; spent < kSpinPauses; spent += step) {
      for (int i = 0; i < step; ++i) Pause();
      if (mu_.try_lock()) return;
      if (step < kMaxStep) step *= 2;
    }
    mu_.lock();
  }
  bool try_lock() { return mu_.try_lock(); }
  void unlock() { mu_.unlock(); }
  std::mutex& native() { return mu_; }

 private:
  static void Pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  std::mutex mu_;
};

}  // namespace taskly::memory
