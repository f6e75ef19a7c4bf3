// A FIFO of trivially copyable entries in segments, each in its own memory mapping. A new
// segment holds twice the entries the queue has (from one 4 KiB page up to 2 MiB), so a short
// queue stays small while a queue that a producer runs a million entries ahead of its consumers
// lives in 2 MiB segments on transparent huge pages. The memory store keeps its ready sets, lease
// expiries and terminal list in these: a std::deque there allocated a block every 512 bytes of
// entries, and its 4 KiB heap pages cost 8,000 page faults per million entries, all under the
// store's lock.
// Here growth costs one mapping per segment, and nothing is ever copied (as a doubling buffer
// would). Emptied segments are kept as spares (a few), so a queue whose size goes up and down
// within what it held before maps and unmaps nothing.
//
// Thread-safety: none; the store's mutex guards it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <deque>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/memory/mapping.h"
#include "store/memory/zeroed_array.h"

namespace taskly::memory {

template <typename T>
class SegmentedQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  static constexpr size_t kMinEntries = std::max<size_t>(1, 4096 / sizeof(T));
  static constexpr size_t kMaxEntries = std::max<size_t>(1, kHugePage / sizeof(T));

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // REQUIRES: i < size(). Walks the segments: O(segments), a few dozen at most.
  const T& operator[](size_t i) const {
    for (const Segment& s : segments_) {
      if (i < s.end - s.begin) return s.items()[s.begin + i];
      i -= s.end - s.begin;
    }
    __builtin_unreachable();
  }
  // REQUIRES: !empty().
  const T& front() const { return segments_.front().items()[segments_.front().begin]; }
  const T& back() const { return segments_.back().items()[segments_.back().end - 1]; }

  void push_back(const T& v) {
    if (segments_.empty() || segments_.back().end == segments_.back().capacity) add_segment();
    Segment& s = segments_.back();
    s.items()[s.end++] = v;
    ++size_;
  }

  // REQUIRES: !empty().
  void pop_front() {
    Segment& s = segments_.front();
    ++s.begin;
    --size_;
    if (s.begin == s.end) retire_front();
  }

  void clear() {
    while (segments_.size() > 1) {
      release(segments_.back());
      segments_.pop_back();
    }
    if (!segments_.empty()) segments_.front().begin = segments_.front().end = 0;
    size_ = 0;
  }

  // Removes the entries for which pred(entry) is true, keeping the others in order; segments
  // left empty at the back are released.
  template <typename Pred>
  void erase_if(Pred&& pred) {
    size_t write_seg = 0;
    size_t write_pos = segments_.empty() ? 0 : segments_.front().begin;
    size_t kept = 0;
    for (Segment& s : segments_) {
      for (size_t i = s.begin; i < s.end; ++i) {
        const T v = s.items()[i];
        if (pred(v)) continue;
        if (write_pos == segments_[write_seg].end) {
          ++write_seg;
          write_pos = segments_[write_seg].begin;
        }
        segments_[write_seg].items()[write_pos++] = v;
        ++kept;
      }
    }
    size_ = kept;
    if (segments_.empty()) return;
    // The kept entries fill the segments from the front up to (write_seg, write_pos).
    segments_[write_seg].end = write_pos;
    while (segments_.size() > write_seg + 1) {
      release(segments_.back());
      segments_.pop_back();
    }
    if (kept == 0) segments_.front().begin = segments_.front().end = 0;
  }

  template <typename F>
  void for_each(F&& f) const {
    for (const Segment& s : segments_) {
      for (size_t i = s.begin; i < s.end; ++i) f(s.items()[i]);
    }
  }

 private:
  struct Segment {
    ZeroedArray<std::byte> memory;
    size_t capacity;  // in entries
    size_t begin = 0;
    size_t end = 0;
    T* items() { return reinterpret_cast<T*>(memory.begin()); }
    const T* items() const { return reinterpret_cast<const T*>(memory.begin()); }
  };

  // A spare if there is one (whatever its capacity), else a new mapping.
  void add_segment() {
    if (!spares_.empty()) {
      segments_.push_back(std::move(spares_.back()));
      spares_.pop_back();
      segments_.back().begin = segments_.back().end = 0;
      return;
    }
    size_t capacity = std::clamp(std::bit_ceil(2 * size_), kMinEntries, kMaxEntries);
    segments_.push_back(Segment{ZeroedArray<std::byte>(capacity * sizeof(T)), capacity});
  }

  void release(Segment& s) {
    if (spares_.size() < kMaxSpares) spares_.push_back(std::move(s));
  }

  // The front segment is empty: the only one is reset for reuse, else it is released.
  void retire_front() {
    if (segments_.size() == 1) {
      segments_.front().begin = segments_.front().end = 0;
      return;
    }
    release(segments_.front());
    segments_.pop_front();
  }

  // Spares beyond this many are unmapped: a queue that once held a million entries keeps at
  // most a few segments of them.
  static constexpr size_t kMaxSpares = 4;

  std::deque<Segment> segments_;
  std::vector<Segment> spares_;
  size_t size_ = 0;
};

}  // namespace taskly::memory
