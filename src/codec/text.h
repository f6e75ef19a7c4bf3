// Internal to the codec: strings and byte strings as JSON values. nlohmann::json's dump() throws
// on invalid UTF-8, so everything the codec writes goes through these helpers and the output
// always serializes; byte strings that are not UTF-8 travel as base64 so they round-trip.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codec/json_codec.h"

namespace taskly::codec::internal {

// How a byte string is written: the values of "<field>_format".
inline constexpr std::string_view kFormatJson = "json";
inline constexpr std::string_view kFormatText = "text";
inline constexpr std::string_view kFormatBase64 = "base64";

bool IsUtf8(std::string_view s);

// `s` as a JSON string, each invalid UTF-8 sequence replaced by U+FFFD.
Json Text(std::string_view s);

// `text` (at most its first 64 bytes) as a quoted, escaped JSON string, for error messages.
std::string Quote(std::string_view text);

// RFC 4648 base64 with padding. Decode returns nullopt for anything that is not the canonical
// encoding of some bytes (bad length, characters, padding or non-zero padding bits).
std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

// Writes `bytes` as member `key` of `object` (see "bytes" in json_codec.h), with a
// "<key>_format" member when the form is not the default: for a payload or result
// (`json_values`), the JSON value when `bytes` is exactly the compact text of one, else text,
// else base64; for a checkpoint, text, else base64. An empty `bytes` writes nothing.
void WriteBytes(Json& object, const std::string& key, const std::string& bytes, bool json_values);

}  // namespace taskly::codec::internal
