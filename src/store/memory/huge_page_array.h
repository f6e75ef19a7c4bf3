// Room for N values in its own memory mapping, advised to use transparent huge pages:
// a store holding a million tasks touches most of a gigabyte, and with 4 KiB pages the page
// faults of first touch cost more than the rest of an enqueue. The mapping is aligned to and
// sized in whole 2 MiB pages, so no memory is lost to alignment. Values are constructed one at a
// time, in index order (construct_next()), so pages no value has reached are never touched.
//
// Thread-safety: none; the owner serializes access.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <memory>
#include <new>

#include "store/memory/mapping.h"

namespace taskly {

template <typename T, size_t N>
class HugePageArray {
 public:
  static constexpr size_t kBytes =
      (N * sizeof(T) + memory::kHugePage - 1) / memory::kHugePage * memory::kHugePage;

  HugePageArray() : items_(static_cast<T*>(memory::MapZeroed(kBytes))) {}
  ~HugePageArray() {
    std::destroy_n(items_, constructed_);
    munmap(items_, kBytes);
  }
  HugePageArray(const HugePageArray&) = delete;
  HugePageArray& operator=(const HugePageArray&) = delete;

  // REQUIRES: i < constructed().
  T& operator[](size_t i) { return items_[i]; }
  size_t constructed() const { return constructed_; }
  // Value-constructs the next value. REQUIRES: constructed() < N.
  void construct_next() { new (items_ + constructed_++) T(); }
  // Touches every page now (each 4 KiB, whether the kernel gave huge pages or not), so that no
  // later write to the array faults: the caller chooses when the faults' cost is paid, e.g.
  // before taking a lock. REQUIRES: nothing constructed yet (the pages hold zero bytes).
  void prefault() {
    auto* bytes = reinterpret_cast<volatile unsigned char*>(items_);
    for (size_t offset = 0; offset < kBytes; offset += 4096) bytes[offset] = 0;
  }

 private:
  T* items_;
  size_t constructed_ = 0;
};

}  // namespace taskly
