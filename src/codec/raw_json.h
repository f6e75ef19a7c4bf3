// JSON text kept exactly as written, inside a nlohmann::json document.
//
// nlohmann::json keeps a number beyond 64-bit integers, or with a fraction or an exponent, as a
// double, and writes a double back in its shortest form: 123456789012345678901234567890 comes
// back as 1.2345678901234568e+29, 1.50 as 1.5, 1e2 as 100.0. A payload's numbers must come back
// as they were sent, so a JSON value holding such a number travels as a raw value: its compact
// text (no blanks outside strings; strings and keys escaped as dump() escapes them; keys in the
// order written; every number as written), carried in the document as a binary value of subtype
// kRawJsonSubtype, and written out as that text by DumpJson.
//
// Only DumpJson writes a raw value as JSON; Json::dump() would write the binary form. Everything
// that serializes a document that may hold a payload (HTTP replies, the CLI's requests and its
// output) goes through DumpJson.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace taskly::codec {

using Json = nlohmann::json;

inline constexpr std::uint64_t kRawJsonSubtype = 0x4a;  // 'J'

// A raw value holding `text`, which must be the compact text of one JSON value (see above).
Json RawJson(std::string_view text);
bool IsRawJson(const Json& j);
// The text a raw value holds; "" for any other value.
std::string RawJsonText(const Json& j);

// The compact text of `j`: a raw value's text, else j.dump(). Throws Json::type_error on invalid
// UTF-8 in a string, as dump() does.
std::string CompactJson(const Json& j);

// j.dump(indent) with each raw value written as its text (compact, at any indent), and invalid
// UTF-8 in strings replaced by U+FFFD, so it never throws.
std::string DumpJson(const Json& j, int indent = -1);

}  // namespace taskly::codec
