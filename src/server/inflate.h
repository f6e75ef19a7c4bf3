// Request bodies sent with Content-Encoding gzip or deflate, inflated under a size limit (the
// limit applies to what the body inflates to, so a small compressed body cannot grow without
// bound).
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace taskly::server {

enum class InflateResult {
  kOk,           // `out` holds the inflated bytes
  kTooLarge,     // it inflates past `limit` bytes
  kMalformed,    // not gzip or zlib data, or cut short
  kUnsupported,  // an encoding other than gzip, x-gzip, deflate or identity
};

// Decodes `body` as sent with Content-Encoding `encoding` ("" or "identity": unchanged) into
// `out`.
InflateResult Inflate(std::string_view encoding, std::string_view body, int64_t limit,
                      std::string& out);

}  // namespace taskly::server
