// Anonymous memory mappings for the memory store's large arrays. The kernel hands out mapped
// pages already zeroed and touches none until they are used; a mapping of whole 2 MiB pages,
// aligned to 2 MiB and advised to use transparent huge pages, takes one page fault per 2 MiB
// instead of 512: on a VM the first touch of a page is the dearest part of filling memory.
//
// Thread-safety: plain functions.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace taskly::memory {

inline constexpr size_t kHugePage = size_t{2} << 20;

// The size of the mapping MapZeroed() makes for `bytes`: whole 2 MiB pages from 2 MiB on.
inline size_t MappedSize(size_t bytes) {
  return bytes < kHugePage ? bytes : (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

// Maps MappedSize(bytes) zeroed bytes, aligned to and advised to use huge pages when at least
// one huge page. Throws std::bad_alloc if the memory cannot be mapped, as operator new would.
// REQUIRES: bytes > 0. Release with munmap(pointer, MappedSize(bytes)).
inline void* MapZeroed(size_t bytes) {
  const size_t size = MappedSize(bytes);
  if (size < kHugePage) {
    void* raw = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    return raw;
  }
  // Map one page more than needed, then unmap the unaligned head and the rest of the tail.
  void* raw =
      mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  auto start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) munmap(raw, aligned - start);
  uintptr_t end = start + size + kHugePage;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  void* mapped = reinterpret_cast<void*>(aligned);
  (void)madvise(mapped, size, MADV_HUGEPAGE);  // advice: without it, only more faults
  return mapped;
}

}  // namespace taskly::memory
