// Bearer-token authentication of API requests.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

namespace taskly::server {

// Compares in time that depends only on the lengths of the two strings (never on where they
// differ), so that timing the server's answers does not reveal the token a byte at a time.
bool ConstantTimeEquals(std::string_view given, std::string_view expected);

// True when `authorization` (an Authorization header's value) is "Bearer <token>" (the scheme in
// any letter case, one or more spaces after it) with exactly `token`. REQUIRES: `token` is not
// empty.
bool BearerTokenMatches(std::string_view authorization, std::string_view token);

}  // namespace taskly::server
