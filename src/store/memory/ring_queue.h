// A FIFO of small trivially copyable entries in one circular buffer that doubles when full. Once
// it has grown to its working size, pushes and pops allocate nothing, where a std::deque
// allocates a block every 512 bytes of entries and frees it when its last entry leaves. The
// memory store keeps its terminal tasks in one: their number is bounded by retention, so the
// buffer soon stops growing. (Not the ready sets: a producer that runs ahead of the workers grows
// those to a million entries, and every doubling would copy them all under the store's lock.)
//
// Thread-safety: none; the store's mutex guards it.
#pragma once

#include <cstddef>
#include <type_traits>
#include <vector>

namespace taskly::memory {

template <typename T>
class RingQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // REQUIRES: i < size() (front(), back(): not empty).
  T& operator[](size_t i) { return buf_[(head_ + i) & (buf_.size() - 1)]; }
  const T& operator[](size_t i) const { return buf_[(head_ + i) & (buf_.size() - 1)]; }
  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  void push_back(const T& v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  void pop_front() {
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
  }
  void clear() { head_ = size_ = 0; }

  // Removes the entries for which pred(entry) is true, keeping the others in order.
  template <typename Pred>
  void erase_if(Pred&& pred) {
    size_t kept = 0;
    for (size_t i = 0; i < size_; ++i) {
      const T v = (*this)[i];
      if (!pred(v)) (*this)[kept++] = v;
    }
    size_ = kept;
  }

  template <typename F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

 private:
  void grow() {
    std::vector<T> grown(buf_.empty() ? 16 : 2 * buf_.size());
    for (size_t i = 0; i < size_; ++i) grown[i] = (*this)[i];
    buf_.swap(grown);
    head_ = 0;
  }

  std::vector<T> buf_;  // its size is zero or a power of two
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace taskly::memory
