// A min-queue of (key, record) entries that are never removed from the middle: an entry whose
// record has moved on (claimed, cancelled, settled, re-keyed) goes stale in place and is dropped
// when it reaches the front, or by compact(). The memory store keeps its ready sets and lease
// expiries in these instead of balanced trees: no allocation per entry, and O(1) pushes and
// pops when keys arrive in order, which is what FIFO queues and leases of one duration do.
//
// Entries whose key is not below the last in-order key go to a sorted run (a SegmentedQueue);
// the others (a retry that keeps its place, a higher priority) go to a binary heap. The front is
// the smaller of the two fronts.
//
// `live(entry)` tells whether an entry still stands for its record; it must stay false once it
// is false (a record that comes back gets a new entry).
//
// Thread-safety: none; the store's mutex guards it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <vector>

#include "store/memory/segmented_queue.h"

namespace taskly::memory {

template <typename Key, typename Value>
class LazyQueue {
 public:
  struct Entry {
    Key key;
    Value* value;
  };

  void push(const Key& key, Value* value) {
    if (run_.empty() || !(key < run_.back().key)) {
      run_.push_back({key, value});
    } else {
      heap_.push_back({key, value});
      std::push_heap(heap_.begin(), heap_.end(), Later);
    }
  }

  // The smallest live entry, or null when there is none; drops stale entries on the way.
  template <typename Live>
  const Entry* front(Live&& live) {
    while (!run_.empty() && !live(run_.front())) run_.pop_front();
    while (!heap_.empty() && !live(heap_.front())) PopHeap();
    if (run_.empty()) return heap_.empty() ? nullptr : &heap_.front();
    if (heap_.empty() || !(heap_.front().key < run_.front().key)) return &run_.front();
    return &heap_.front();
  }

  // Removes the entry front() returned. REQUIRES: front() returned an entry, and nothing was
  // pushed since.
  void pop() {
    if (!heap_.empty() && (run_.empty() || heap_.front().key < run_.front().key)) {
      PopHeap();
    } else {
      run_.pop_front();
    }
  }

  // Starts fetching into cache the value of the `n`-th entry after the front of the sorted run
  // (popped n pops from now when keys arrive in order): a store pops entries whose records were
  // written long ago, and would otherwise wait on each record's cache misses in turn. Called
  // once per pop, it fetches each value once, `n` pops ahead.
  void prefetch_ahead(size_t n) const {
    if (n >= run_.size()) return;
    const char* p = reinterpret_cast<const char*>(run_[n].value);
    for (size_t line = 0; line < sizeof(Value); line += 64) __builtin_prefetch(p + line);
  }

  // Entries held, stale ones included.
  size_t size() const { return run_.size() + heap_.size(); }

  // Drops every stale entry when they outnumber the `live_count` live ones by far, so that
  // entries of records that never reach the front (long leases, cancelled tasks of a paused
  // queue) cannot pile up. Amortized O(1) per push.
  template <typename Live>
  void compact_if_sparse(size_t live_count, Live&& live) {
    if (size() <= 2 * live_count + kSlack) return;
    run_.erase_if([&](const Entry& e) { return !live(e); });
    std::erase_if(heap_, [&](const Entry& e) { return !live(e); });
    std::make_heap(heap_.begin(), heap_.end(), Later);
  }

  // Removes every entry (live or not), calling f(entry) on each live one.
  template <typename Live, typename F>
  void drain(Live&& live, F&& f) {
    run_.for_each([&](const Entry& e) {
      if (live(e)) f(e);
    });
    for (const Entry& e : heap_)
      if (live(e)) f(e);
    run_.clear();
    heap_.clear();
  }

 private:
  static constexpr size_t kSlack = 1024;

  static bool Later(const Entry& a, const Entry& b) { return b.key < a.key; }
  void PopHeap() {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    heap_.pop_back();
  }

  SegmentedQueue<Entry> run_;  // keys non-decreasing
  std::vector<Entry> heap_;    // a min-heap by key
};

}  // namespace taskly::memory
