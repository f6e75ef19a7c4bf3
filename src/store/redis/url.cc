#include "store/redis/url.h"

#include <algorithm>
#include <charconv>

namespace taskly::redis {
namespace {

constexpr std::string_view kScheme = "redis://";

Status BadUrl(std::string_view url, std::string_view why) {
  // The URL may hold a password: quote only what comes after the last '@'.
  size_t at = url.rfind('@');
  std::string shown(at == std::string_view::npos ? url : url.substr(at + 1));
  return InvalidArgument("url", std::string(why) + " in \"" + shown +
                                    "\" (expected redis://[[user]:password@]host[:port][/db])");
}

bool ParseInt(std::string_view text, int min, int max, int* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= min && *out <= max;
}

}  // namespace

Result<RedisAddress> ParseRedisUrl(std::string_view url) {
  if (url.substr(0, kScheme.size()) != kScheme) return BadUrl(url, "not a redis:// URL");
  std::string_view rest = url.substr(kScheme.size());
  RedisAddress address;

  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = credentials.find(':');
    if (colon == std::string_view::npos) return BadUrl(url, "credentials without ':'");
    address.user = std::string(credentials.substr(0, colon));
    address.password = std::string(credentials.substr(colon + 1));
    if (address.password.empty()) return BadUrl(url, "empty password");
  }

  std::string_view db;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && !ParseInt(db, 0, 1'000'000, &address.db)) {
      return BadUrl(url, "bad database number");
    }
  }

  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "unclosed '['");
    address.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadUrl(url, "text after the host");
      port = after.substr(1);
      if (port.empty()) return BadUrl(url, "empty port");
    }
  } else {
    size_t colon = rest.find(':');
    address.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return BadUrl(url, "empty port");
    }
  }
  if (address.host.empty()) return BadUrl(url, "empty host");
  if (!port.empty() && !ParseInt(port, 1, 65535, &address.port)) return BadUrl(url, "bad port");
  return address;
}

std::string Describe(const RedisAddress& address) {
  bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port) + "/" +
         std::to_string(address.db);
}

Status ValidateKeyPrefix(const std::string& prefix) {
  auto allowed = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '{' || c == '}' || c == '-';
  };
  if (prefix.empty() || prefix.size() > 64 || !std::all_of(prefix.begin(), prefix.end(), allowed)) {
    return InvalidArgument("prefix", "must be 1-64 characters of [A-Za-z0-9_.:{}-], got \"" +
                                         prefix.substr(0, 80) + "\"");
  }
  return Status();
}

}  // namespace taskly::redis
