// EqualShort against std::string_view's own equality, for every length that takes each of its
// paths (byte loop, 4-byte loads, 8-byte loads, the general compare) and a difference at every
// position: ids and names are matched with it, and a settle's fencing relies on the ids.

#include "core/equal_short.h"

#include <gtest/gtest.h>

#include <string>

namespace taskly {
namespace {

TEST(EqualShortTest, AgreesWithStringEqualityForEveryLengthAndPosition) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string a;
    for (size_t i = 0; i < n; ++i) a.push_back(static_cast<char>('a' + i % 26));
    const std::string same = a;  // another buffer, the same bytes
    EXPECT_TRUE(EqualShort(a, same)) << "length " << n;
    for (size_t pos = 0; pos < n; ++pos) {
      std::string other = a;
      other[pos] = static_cast<char>(other[pos] ^ 0x20);
      EXPECT_FALSE(EqualShort(a, other)) << "length " << n << ", difference at " << pos;
      EXPECT_FALSE(EqualShort(other, a)) << "length " << n << ", difference at " << pos;
    }
    EXPECT_FALSE(EqualShort(a, a + "x")) << "length " << n << " against one longer";
  }
}

TEST(EqualShortTest, ComparesOnlyTheViewsBytes) {
  // Views into longer buffers: bytes past the end must not take part.
  const std::string x = "0123456789ABCDEFxyz";
  const std::string y = "0123456789ABCDEFXYZ";
  for (size_t n = 0; n <= 16; ++n) {
    EXPECT_TRUE(EqualShort(std::string_view(x).substr(0, n), std::string_view(y).substr(0, n)))
        << "length " << n;
  }
  EXPECT_FALSE(EqualShort(std::string_view(x).substr(0, 17), std::string_view(y).substr(0, 17)));
  EXPECT_TRUE(EqualShort(std::string_view(x).substr(3, 13), std::string_view(y).substr(3, 13)));
}

}  // namespace
}  // namespace taskly
