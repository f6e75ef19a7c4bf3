#include "server/router.h"

#include <optional>

#include "server/request.h"

namespace taskly::server {
namespace {

// "/v1/tasks/x" -> {"v1", "tasks", "x"}; "/" -> {""}; empty segments are kept, so that
// "/v1/tasks/" (a trailing slash) does not match "/v1/tasks".
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The parameters of `segments` matched against `pattern`, or nullopt when they do not match.
std::optional<std::map<std::string, std::string, std::less<>>> Match(
    const std::vector<std::string>& pattern, const std::vector<std::string_view>& segments) {
  if (pattern.size() != segments.size()) return std::nullopt;
  std::map<std::string, std::string, std::less<>> params;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (IsParam(pattern[i])) {
      if (segments[i].empty()) return std::nullopt;
      params.emplace(pattern[i].substr(1, pattern[i].size() - 2), segments[i]);
    } else if (pattern[i] != segments[i]) {
      return std::nullopt;
    }
  }
  return params;
}

}  // namespace

void Router::Add(std::string method, std::string_view pattern, RouteHandler handler,
                 std::vector<std::string> query) {
  std::vector<std::string> segments;
  for (std::string_view s : Split(pattern)) segments.emplace_back(s);
  routes_.push_back({std::move(method), std::move(segments), std::move(handler), std::move(query)});
}

Reply Router::Dispatch(std::string_view method, std::string_view path, const QueryParams& query,
                       const std::string& body) const {
  if (method == "HEAD") method = "GET";
  std::vector<std::string_view> segments = Split(path);
  std::string allowed;
  for (const Route& route : routes_) {
    auto params = Match(route.segments, segments);
    if (!params) continue;
    if (route.method == method) {
      if (Status s = CheckQuery(query, route.query); !s.ok()) return ErrorReply(s);
      return route.handler(ApiRequest{.method = method,
                                      .path = path,
                                      .params = std::move(*params),
                                      .query = query,
                                      .body = body});
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += route.method;
  }
  if (allowed.empty()) return ErrorReply(404, "not_found", "no such route");
  Reply reply = ErrorReply(405, "method_not_allowed",
                           std::string(method) + " is not allowed here (allowed: " + allowed + ")");
  reply.headers.emplace_back("Allow", allowed);
  return reply;
}

}  // namespace taskly::server
