#include "codec/text.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "codec/bounded_json.h"
#include "codec/raw_json.h"
#include "codec/strict_json.h"

namespace taskly::codec::internal {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of a base64 character, or -1.
int Sextet(char c) {
  const size_t i = kAlphabet.find(c);
  return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

// `bytes` as a JSON value when it is exactly the compact dump() of one, or its exact form (a raw
// value, see json_codec.h), so that writing the value and reading it back gives the same bytes.
// Bytes nested deeper than a request may be are not read as JSON (they could not have been sent as
// a value, and rendering them would recurse without bound): they are written as text.
std::optional<Json> CanonicalJson(const std::string& bytes) {
  Json value = ParseBoundedJson(bytes);
  if (!value.is_discarded() && value.dump() == bytes) return value;
  // A value whose numbers dump() would write differently is kept as the compact text of the
  // value with its numbers as written (raw_json.h); such bytes are written as that raw value.
  Result<Json> exact = ParseStrictJson(
      bytes,
      {.max_depth = kMaxJsonDepth, .exact_numbers = StrictJsonOptions::ExactNumbers::kEverywhere});
  if (exact.ok() && IsRawJson(*exact) && RawJsonText(*exact) == bytes) return std::move(*exact);
  return std::nullopt;
}

}  // namespace

bool IsUtf8(std::string_view s) {
  if (std::all_of(s.begin(), s.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return true;
  }
  try {
    (void)Json(s).dump();
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

Json Text(std::string_view s) {
  if (IsUtf8(s)) return Json(s);
  return Json::parse(Json(s).dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string Quote(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string quoted =
      Json(text.substr(0, kMax)).dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kMax) quoted.insert(quoted.size() - 1, "...");
  return quoted;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) {
      group = (group << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (size_t k = 0; k < 4; ++k) {
      out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 0x3f] : '=';
    }
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    // Padding: up to two '=' at the very end.
    size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t group = 0;
    for (size_t k = 0; k < 4; ++k) {
      int v = 0;
      if (k < 4 - pad) {
        v = Sextet(text[i + k]);
        if (v < 0) return std::nullopt;
      }
      group = (group << 6) | static_cast<uint32_t>(v);
    }
    // The bits under the padding must be zero, so each byte string has one encoding.
    if ((pad == 1 && (group & 0xff) != 0) || (pad == 2 && (group & 0xffff) != 0)) {
      return std::nullopt;
    }
    for (size_t k = 0; k < 3 - pad; ++k) {
      out += static_cast<char>((group >> (16 - 8 * k)) & 0xff);
    }
  }
  return out;
}

void WriteBytes(Json& object, const std::string& key, const std::string& bytes, bool json_values) {
  if (bytes.empty()) return;
  if (json_values) {
    // null is left out: a null member reads as absent.
    if (std::optional<Json> value = CanonicalJson(bytes); value && !value->is_null()) {
      object[key] = std::move(*value);
      return;
    }
  }
  const std::string format_key = key + "_format";
  if (IsUtf8(bytes)) {
    object[key] = bytes;
    if (json_values) object[format_key] = kFormatText;
  } else {
    object[key] = Base64Encode(bytes);
    object[format_key] = kFormatBase64;
  }
}

}  // namespace taskly::codec::internal
