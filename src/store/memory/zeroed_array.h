// A fixed-size array of trivial values, all zero at first, in its own anonymous memory mapping.
// The kernel hands out mapped pages already zeroed, so unlike a std::vector (which writes every
// value before use) no byte is written twice, and pages never written are never touched: the
// memory store's id table grows by doubling, and on a VM the first touch of a page is the
// dearest part of such a growth. Large arrays use transparent huge pages (mapping.h).
//
// Thread-safety: none; the owner serializes access.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <type_traits>
#include <utility>

#include "store/memory/mapping.h"

namespace taskly::memory {

template <typename T>
class ZeroedArray {
  static_assert(std::is_trivial_v<T>, "values are zero bytes until written");

 public:
  ZeroedArray() = default;
  // Throws std::bad_alloc if the memory cannot be mapped, as operator new would.
  explicit ZeroedArray(size_t size) : size_(size) {
    if (size == 0) return;
    items_ = static_cast<T*>(MapZeroed(bytes()));
  }
  ~ZeroedArray() {
    if (items_ != nullptr) munmap(items_, MappedSize(bytes()));
  }
  ZeroedArray(ZeroedArray&& other) noexcept
      : items_(std::exchange(other.items_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  ZeroedArray& operator=(ZeroedArray&& other) noexcept {
    std::swap(items_, other.items_);
    std::swap(size_, other.size_);
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // REQUIRES: i < size().
  T& operator[](size_t i) { return items_[i]; }
  const T& operator[](size_t i) const { return items_[i]; }
  T* begin() { return items_; }
  T* end() { return items_ + size_; }
  const T* begin() const { return items_; }
  const T* end() const { return items_ + size_; }

 private:
  size_t bytes() const { return size_ * sizeof(T); }

  T* items_ = nullptr;
  size_t size_ = 0;
};

}  // namespace taskly::memory
