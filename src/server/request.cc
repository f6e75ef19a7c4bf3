#include "server/request.h"

#include <algorithm>

namespace taskly::server {

namespace {

// Deeper documents are refused: serializing or destroying JSON recurses once per level, so a
// body of a million '[' would exhaust a serving thread's stack.
constexpr int kMaxDepth = 64;

struct TooDeep {};

}  // namespace

Result<Json> ParseJsonObject(const std::string& body) {
  Json j;
  try {
    j = Json::parse(body, [](int depth, Json::parse_event_t, Json&) {
      if (depth > kMaxDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    return InvalidArgument("body",
                           "nested more than " + std::to_string(kMaxDepth) + " levels deep");
  } catch (const Json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 9: ...";
    // the bracketed id means nothing to a user of the API.
    std::string what = e.what();
    size_t start = what.find("] ");
    if (start != std::string::npos) what.erase(0, start + 2);
    return InvalidArgument("body", "malformed JSON (byte " + std::to_string(e.byte) + "): " + what);
  } catch (const Json::out_of_range&) {
    // The parser's only other error: a number beyond a double's range, such as 1e999.
    return InvalidArgument("body", "malformed JSON: a number is out of range");
  }
  if (!j.is_object()) return InvalidArgument("body", "must be a JSON object");
  return j;
}

Status CheckQuery(const QueryParams& query, const std::vector<std::string>& known) {
  for (auto it = query.begin(); it != query.end(); it = query.upper_bound(it->first)) {
    if (std::find(known.begin(), known.end(), it->first) == known.end()) {
      return InvalidArgument(it->first, "unknown query parameter");
    }
    if (query.count(it->first) > 1) return InvalidArgument(it->first, "given more than once");
  }
  return Status();
}

std::optional<Reply> PayloadTooLarge(const std::string& payload, const ApiOptions& options,
                                     const std::string& field) {
  if (static_cast<int64_t>(payload.size()) <= options.max_payload_bytes) return std::nullopt;
  return TooLarge(field, "payload is " + std::to_string(payload.size()) + " bytes; the limit is " +
                             std::to_string(options.max_payload_bytes));
}

std::optional<std::string> QueryValue(const QueryParams& query, const std::string& name) {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

}  // namespace taskly::server
