// Bearer-token authentication of API requests.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

#include "taskly/status.h"

namespace taskly::server {

// The shortest token a server accepts: 22 characters of base64 or more hex carry at least 128
// bits when generated at random (the generated token is 64 hex characters, 256 bits).
inline constexpr size_t kMinTokenLength = 22;

// OK, or InvalidArgument naming `field` when `token` is shorter than kMinTokenLength (empty
// included) or holds a byte that cannot be sent in an Authorization header (a control
// character, a space, DEL).
Status CheckToken(std::string_view token, const std::string& field);

// Compares in time that depends only on the lengths of the two strings (never on where they
// differ), so that timing the server's answers does not reveal the token a byte at a time.
bool ConstantTimeEquals(std::string_view given, std::string_view expected);

// True when `authorization` (an Authorization header's value) is "Bearer <token>" (the scheme in
// any letter case, one or more spaces after it) with exactly `token`. REQUIRES: `token` is not
// empty.
bool BearerTokenMatches(std::string_view authorization, std::string_view token);

}  // namespace taskly::server
