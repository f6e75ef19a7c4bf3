#include "codec/bounded_json.h"

namespace taskly::codec {

bool JsonDepthWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return false;
        break;
      case ']':
      case '}':
        // Unbalanced closers make the text invalid JSON; the parser says so.
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return true;
}

Json ParseBoundedJson(std::string_view text, int max_depth) {
  if (!JsonDepthWithin(text, max_depth)) return Json(Json::value_t::discarded);
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace taskly::codec
