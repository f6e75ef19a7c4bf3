// Equality of two short strings without a call to memcmp. The engine compares a few names per
// task (its type with the handler it ran last, its queue and type with the store's last lookup,
// a settled lease's id with its record's), all a few to 16 bytes long; for those, the call to
// memcmp (not inlined, as the length is not a constant) cost more than the comparison itself.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace taskly {

[[gnu::always_inline]] inline bool EqualShort(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n > 16) return a == b;
  // Two loads from each side that overlap when n is not a power of two: every byte is
  // compared, none outside the strings is read.
  const auto load8 = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  const auto load4 = [](const char* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8) {
    return ((load8(x) ^ load8(y)) | (load8(x + n - 8) ^ load8(y + n - 8))) == 0;
  }
  if (n >= 4) {
    return ((load4(x) ^ load4(y)) | (load4(x + n - 4) ^ load4(y + n - 4))) == 0;
  }
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

}  // namespace taskly
