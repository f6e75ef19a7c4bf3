#include "server/reply.h"

#include <spdlog/spdlog.h>

namespace taskly::server {

Reply JsonReply(int status, const Json& body) {
  return Reply{.status = status, .body = DumpJson(body)};
}

Reply ErrorReply(int status, std::string_view code, std::string_view message,
                 std::string_view field) {
  Json error = {{"code", code}, {"message", message}, {"field", field}};
  return JsonReply(status, {{"error", std::move(error)}});
}

Reply ErrorReply(const Status& s, std::string_view field) {
  std::string_view named = s.field().empty() ? field : std::string_view(s.field());
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return ErrorReply(400, "invalid_argument", s.message(), named);
    case StatusCode::kNotFound:
      return ErrorReply(404, "not_found", s.message(), named);
    case StatusCode::kAlreadyExists:
      return ErrorReply(409, "already_exists", s.message(), named);
    case StatusCode::kFailedPrecondition:
      return ErrorReply(409, "failed_precondition", s.message(), named);
    case StatusCode::kResourceExhausted:
      return ErrorReply(429, "resource_exhausted", s.message(), named);
    case StatusCode::kUnauthenticated:
      return ErrorReply(401, "unauthenticated", s.message(), named);
    case StatusCode::kPermissionDenied:
      return ErrorReply(403, "permission_denied", s.message(), named);
    case StatusCode::kUnavailable:
      return ErrorReply(503, "unavailable", s.message(), named);
    default:
      // Not the caller's fault: say what failed, but nothing beyond the status's own message.
      spdlog::error("api: {}", s.ToString());
      return ErrorReply(500, "internal", s.message(), named);
  }
}

Reply TooLarge(std::string_view field, std::string_view message) {
  return ErrorReply(413, "too_large", message, field);
}

}  // namespace taskly::server
