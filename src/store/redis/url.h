// Parsing of redis:// URLs and checking of key prefixes (RedisStoreOptions::url, ::prefix).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "taskly/status.h"

namespace taskly::redis {

struct RedisAddress {
  std::string host;  // without brackets for IPv6
  int port = 6379;
  int db = 0;
  std::string user;      // empty: the default user
  std::string password;  // empty: no AUTH
};

// redis://[[user]:password@]host[:port][/db]. InvalidArgument naming "url" on anything else:
// another scheme, an empty host, a port outside 1-65535, a db that is not a number from 0 to
// 1000000, or trailing text.
Result<RedisAddress> ParseRedisUrl(std::string_view url);

// "host:port/db" for messages (never the password).
std::string Describe(const RedisAddress& address);

// Checks a key prefix (RedisStoreOptions::prefix): 1-64 characters of [A-Za-z0-9_.:{}-].
// InvalidArgument naming "prefix" otherwise.
Status ValidateKeyPrefix(const std::string& prefix);

}  // namespace taskly::redis
