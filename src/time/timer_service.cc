#include <sys/prctl.h>

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/saturating.h"
#include "taskly/timer.h"

namespace taskly {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kArity = 4;  // half the depth of a binary heap; siblings are adjacent

// A pending timer in the heap. Ties on `due` are broken by `seq`, the scheduling order.
struct Node {
  std::int64_t due;  // ns since the epoch
  std::uint64_t seq;
  std::uint32_t slot;
};

// The bookkeeping half of a slot (the callback is the other half, in a parallel vector, so
// that heap moves, which update `link`, touch 8 bytes per timer instead of 40). `generation` is
// odd while the slot holds a pending timer and even while it is free, so a TimerId (generation,
// slot) stops matching as soon as its timer fires, is cancelled or is dropped, and a reused
// slot gets a fresh id.
struct Slot {
  std::uint32_t generation = 0;
  std::uint32_t link = kNone;  // pending: position in the heap; free: next free slot
};

// Retire a slot rather than let its generation wrap, so that ids are never reused.
constexpr std::uint32_t kLastFreeGeneration = std::numeric_limits<std::uint32_t>::max() - 1;

TimerId MakeId(std::uint32_t slot, std::uint32_t generation) {
  return (TimerId{generation} << 32) | slot;
}

}  // namespace

struct TimerService::Impl {
  explicit Impl(Clock& c) : clock(c) {}

  void Run();

  std::uint32_t AcquireSlot();
  void ReleaseSlot(std::uint32_t slot);

  static bool Before(const Node& a, const Node& b) {
    return a.due < b.due || (a.due == b.due && a.seq < b.seq);
  }
  void Place(std::size_t pos, const Node& node) {
    heap[pos] = node;
    slots[node.slot].link = static_cast<std::uint32_t>(pos);
  }
  void SiftUp(std::size_t pos);
  void SiftDown(std::size_t pos);
  void RemoveAt(std::size_t pos);
  // Removes the pending timer in `slot` and returns its callback (to be destroyed unlocked).
  std::function<void()> Take(std::uint32_t slot);

  Clock& clock;
  Histogram lateness;

  std::mutex mu;
  std::condition_variable cv;  // the timer thread waits on it; notified on a new earliest timer
  std::vector<Node> heap;      // guarded by mu
  std::vector<Slot> slots;     // guarded by mu
  std::vector<std::function<void()>> callbacks;  // guarded by mu; indexed like slots
  std::uint32_t free_head = kNone;  // guarded by mu; free slots linked through Slot::link
  std::uint64_t next_seq = 0;       // guarded by mu
  bool stopping = false;            // guarded by mu
  std::thread::id thread_id;        // guarded by mu; the timer thread's, set when it starts
  TimerStats stats;                 // guarded by mu; `pending` is heap.size()

  std::mutex join_mu;  // serializes joining the thread between concurrent stop() calls
  std::thread thread;  // started last, once everything above is initialized
};

std::uint32_t TimerService::Impl::AcquireSlot() {
  std::uint32_t slot = free_head;
  if (slot != kNone) {
    free_head = slots[slot].link;
  } else {
    assert(slots.size() < kNone);
    slot = static_cast<std::uint32_t>(slots.size());
    slots.emplace_back();
    callbacks.emplace_back();
  }
  ++slots[slot].generation;  // now odd: pending
  return slot;
}

void TimerService::Impl::ReleaseSlot(std::uint32_t slot) {
  Slot& s = slots[slot];
  ++s.generation;  // now even: free
  if (s.generation == kLastFreeGeneration) return;
  s.link = free_head;
  free_head = slot;
}

void TimerService::Impl::SiftUp(std::size_t pos) {
  const Node node = heap[pos];
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / kArity;
    if (!Before(node, heap[parent])) break;
    Place(pos, heap[parent]);
    pos = parent;
  }
  Place(pos, node);
}

void TimerService::Impl::SiftDown(std::size_t pos) {
  const Node node = heap[pos];
  const std::size_t size = heap.size();
  while (true) {
    const std::size_t first = pos * kArity + 1;
    if (first >= size) break;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < std::min(first + kArity, size); ++c) {
      if (Before(heap[c], heap[best])) best = c;
    }
    if (!Before(heap[best], node)) break;
    Place(pos, heap[best]);
    pos = best;
  }
  Place(pos, node);
}

void TimerService::Impl::RemoveAt(std::size_t pos) {
  const Node last = heap.back();
  heap.pop_back();
  if (pos == heap.size()) return;
  Place(pos, last);
  if (pos > 0 && Before(last, heap[(pos - 1) / kArity])) {
    SiftUp(pos);
  } else {
    SiftDown(pos);
  }
}

std::function<void()> TimerService::Impl::Take(std::uint32_t slot) {
  RemoveAt(slots[slot].link);
  std::function<void()> callback = std::move(callbacks[slot]);
  callbacks[slot] = nullptr;  // a moved-from std::function is unspecified
  ReleaseSlot(slot);
  return callback;
}

void TimerService::Impl::Run() {
  // Linux lets a timed futex wait (the condition variable) end up to the thread's timer slack
  // late, 50 µs by default, to batch wake-ups; a timer thread wants its wake-ups on time.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  std::unique_lock lock(mu);
  thread_id = std::this_thread::get_id();
  while (!stopping) {
    if (heap.empty()) {
      cv.wait(lock);
      continue;
    }
    const TimePoint due{Duration(heap.front().due)};
    if (clock.now() < due) {
      // Woken early by a new earliest timer, by stop(), or spuriously: the loop re-checks.
      clock.wait_until(cv, lock, due);
      continue;
    }
    std::function<void()> callback = Take(heap.front().slot);
    ++stats.fired;
    lock.unlock();

    lateness.record(SaturatingSub(clock.now(), due));
    bool threw = false;
    try {
      if (callback) callback();
    } catch (...) {
      threw = true;  // the callback's own failure; it must not stop the other timers
    }
    callback = nullptr;  // its captures are destroyed unlocked: they may call into the service

    lock.lock();
    if (threw) ++stats.failed;
  }
}

TimerService::TimerService(Clock& clock) : impl_(std::make_unique<Impl>(clock)) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

TimerService::~TimerService() { stop(); }

TimerId TimerService::schedule(TimePoint due, std::function<void()> callback) {
  Impl& s = *impl_;
  std::lock_guard lock(s.mu);
  if (s.stopping) return kNoTimer;  // `callback` is destroyed after the lock is released
  const std::uint32_t slot = s.AcquireSlot();
  s.callbacks[slot] = std::move(callback);
  s.heap.push_back(Node{due.time_since_epoch().count(), s.next_seq++, slot});
  s.SiftUp(s.heap.size() - 1);
  ++s.stats.scheduled;
  if (s.slots[slot].link == 0) s.cv.notify_one();  // new earliest: the thread waits too long
  return MakeId(slot, s.slots[slot].generation);
}

TimerId TimerService::schedule_after(Duration delay, std::function<void()> callback) {
  return schedule(SaturatingAdd(impl_->clock.now(), delay), std::move(callback));
}

bool TimerService::cancel(TimerId id) {
  Impl& s = *impl_;
  const auto slot = static_cast<std::uint32_t>(id);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  std::function<void()> callback;  // destroyed after the lock is released
  {
    std::lock_guard lock(s.mu);
    if (generation % 2 == 0 || slot >= s.slots.size() || s.slots[slot].generation != generation) {
      return false;
    }
    callback = s.Take(slot);
    ++s.stats.cancelled;
  }
  return true;
}

void TimerService::stop() {
  Impl& s = *impl_;
  std::vector<std::function<void()>> dropped;  // destroyed after the lock is released
  bool on_timer_thread = false;
  {
    std::lock_guard lock(s.mu);
    on_timer_thread = std::this_thread::get_id() == s.thread_id;
    if (!s.stopping) {
      s.stopping = true;
      s.stats.dropped += s.heap.size();
      dropped.swap(s.callbacks);
      std::vector<Slot>().swap(s.slots);
      std::vector<Node>().swap(s.heap);
      s.free_head = kNone;
      s.cv.notify_all();
    }
  }
  // Called from a callback, the thread cannot wait for itself; it ends after that callback.
  // (The destructor called from a callback gets here too, and then std::thread's destructor
  // terminates the process: a loud failure instead of freeing what the thread still uses.)
  if (on_timer_thread) return;
  std::lock_guard join(s.join_mu);
  if (s.thread.joinable()) s.thread.join();
}

const Histogram& TimerService::lateness() const { return impl_->lateness; }

TimerStats TimerService::stats() const {
  std::lock_guard lock(impl_->mu);
  TimerStats stats = impl_->stats;
  stats.pending = impl_->heap.size();
  return stats;
}

}  // namespace taskly
