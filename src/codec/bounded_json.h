// Parsing JSON that taskly did not write itself (stored bytes, request bodies, CLI input) with a
// bound on nesting. nlohmann::json parses iteratively, but copying, comparing and serializing a
// value recurse once per level, so a document of 100k nested '[' (200 KB) parses and then
// overflows the stack when rendered. Every parse of such bytes goes through here.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "codec/json_codec.h"

namespace taskly::codec {

// The deepest nesting taskly reads or writes: arrays and objects inside each other, the
// outermost counting as 1. Request bodies are refused beyond it, so a payload sent as a JSON
// value is always shallower.
inline constexpr int kMaxJsonDepth = 64;

// True when `text` nests arrays and objects at most `max_depth` deep. Looks only at brackets
// outside strings, in one pass; says nothing about whether `text` is valid JSON.
bool JsonDepthWithin(std::string_view text, int max_depth = kMaxJsonDepth);

// The value of `text`, or a discarded value (is_discarded()) when it is not JSON or nests
// deeper than `max_depth`. Never throws.
Json ParseBoundedJson(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace taskly::codec
