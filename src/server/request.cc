#include "server/request.h"

#include <algorithm>

#include "codec/strict_json.h"

namespace taskly::server {

Result<Json> ParseJsonObject(const std::string& body) {
  // Deeper documents are refused: serializing or destroying JSON recurses once per level, so a
  // body of a million '[' would exhaust a serving thread's stack. Numbers in a payload come back
  // exactly as sent: a payload holding one that JSON's doubles would change is kept as its text
  // (codec/raw_json.h).
  Result<Json> j = codec::ParseStrictJson(
      body, {.field = "body",
             .max_depth = 64,
             .exact_numbers = codec::StrictJsonOptions::ExactNumbers::kInPayloads});
  if (!j.ok()) return j.status();
  if (!j->is_object()) return InvalidArgument("body", "must be a JSON object");
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
