#include "server/auth.h"

#include <cstddef>
#include <string>

namespace taskly::server {

Status CheckToken(std::string_view token, const std::string& field) {
  if (token.size() < kMinTokenLength) {
    return InvalidArgument(field, "must be at least " + std::to_string(kMinTokenLength) +
                                      " characters (128 bits when random; it has " +
                                      std::to_string(token.size()) + ")");
  }
  for (char c : token) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return InvalidArgument(field, "must not contain spaces or control characters");
    }
  }
  return Status();
}

bool ConstantTimeEquals(std::string_view given, std::string_view expected) {
  // Every byte of `expected` is visited whatever `given` holds; a length mismatch is folded into
  // the same accumulator instead of returning early.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

bool BearerTokenMatches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return false;
  }
  std::string_view rest = authorization.substr(kScheme.size());
  if (rest.front() != ' ') return false;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return ConstantTimeEquals(rest, token);
}

}  // namespace taskly::server
