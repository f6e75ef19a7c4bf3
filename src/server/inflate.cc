#include "server/inflate.h"

#include <zlib.h>

#include <array>

namespace taskly::server {

namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

InflateResult Inflate(std::string_view encoding, std::string_view body, int64_t limit,
                      std::string& out) {
  out.clear();
  if (encoding.empty() || EqualsIgnoringCase(encoding, "identity")) {
    if (static_cast<int64_t>(body.size()) > limit) return InflateResult::kTooLarge;
    out.assign(body);
    return InflateResult::kOk;
  }
  if (!EqualsIgnoringCase(encoding, "gzip") && !EqualsIgnoringCase(encoding, "x-gzip") &&
      !EqualsIgnoringCase(encoding, "deflate")) {
    return InflateResult::kUnsupported;
  }
  z_stream z{};
  // 15 window bits, +32: a gzip or a zlib header, whichever the data has.
  if (inflateInit2(&z, 15 + 32) != Z_OK) return InflateResult::kMalformed;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  std::array<char, 16 << 10> chunk;
  int rc = Z_OK;
  InflateResult result = InflateResult::kOk;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      result = InflateResult::kMalformed;  // Z_BUF_ERROR included: the input ended early
      break;
    }
    const size_t n = chunk.size() - z.avail_out;
    if (static_cast<int64_t>(out.size() + n) > limit) {
      result = InflateResult::kTooLarge;
      break;
    }
    out.append(chunk.data(), n);
  }
  inflateEnd(&z);
  if (result != InflateResult::kOk) out.clear();
  return result;
}

}  // namespace taskly::server
