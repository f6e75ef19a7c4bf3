// Fuzz target: the parts of request handling the API owns, whatever HTTP library carries the
// request: the Router's path matching and query checks (src/server/router.h) over the API's
// route table, and ParseJsonObject and CheckQuery (src/server/request.h).
//
// Input, line by line: the method, the path, the query as name=value pairs joined by '&' (no
// percent-decoding: the HTTP library has done that), and the rest is the body.
//
// Checked: nothing throws or crashes; Dispatch answers the route's handler (200), 400, 404, or
// 405 with an Allow header, always with a JSON body; a handler sees only non-empty path
// parameters that are single segments of the path; ParseJsonObject returns an object or an
// InvalidArgument error about "body"; CheckQuery refuses exactly unknown and repeated names.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/request.h"
#include "server/router.h"

namespace {

using taskly::Result;
using taskly::Status;
using taskly::StatusCode;
using namespace taskly::server;

[[noreturn]] void Fail(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "http_request_fuzz: %s\n%s\n", what.c_str(), detail.c_str());
  std::abort();
}

// What a route does with its request before it reaches the scheduler: the path parameters, and
// the body of the routes that take one.
Reply Handle(const ApiRequest& req, bool has_body) {
  for (const auto& [name, value] : req.params) {
    if (value.empty() || value.find('/') != std::string::npos ||
        req.path.find(value) == std::string_view::npos) {
      Fail("a bad path parameter " + name, "\"" + value + "\" from " + std::string(req.path));
    }
  }
  if (!has_body) return JsonReply(200, {{"ok", true}});
  Result<Json> body = ParseJsonObject(req.body);
  if (!body.ok()) return ErrorReply(body.status());
  return JsonReply(200, *body);
}

struct RouteSpec {
  const char* method;
  const char* pattern;
  bool has_body;
  std::vector<std::string> query;
};

// The API's routes (src/server/*_routes.cc; docs/api.md), literal patterns first.
const std::vector<RouteSpec>& ApiRoutes() {
  static const std::vector<RouteSpec> routes = {
      {"GET", "/healthz", false, {}},
      {"GET", "/readyz", false, {}},
      {"GET", "/v1/workers", false, {}},
      {"GET", "/v1/cluster", false, {}},
      {"GET", "/v1/stats", false, {}},
      {"GET", "/v1/analysis", false, {}},
      {"GET", "/metrics", false, {}},
      {"GET", "/v1/backup", false, {}},
      {"POST", "/v1/tasks", true, {}},
      {"GET", "/v1/tasks", false, {"state", "queue", "type", "label", "after", "limit"}},
      {"POST", "/v1/tasks/batch", true, {}},
      {"GET", "/v1/tasks/{id}", false, {}},
      {"POST", "/v1/tasks/{id}/cancel", false, {}},
      {"POST", "/v1/tasks/{id}/retry", false, {}},
      {"GET", "/v1/schedules", false, {}},
      {"POST", "/v1/schedules", true, {}},
      {"GET", "/v1/schedules/{id}", false, {}},
      {"PUT", "/v1/schedules/{id}", true, {}},
      {"DELETE", "/v1/schedules/{id}", false, {}},
      {"POST", "/v1/schedules/{id}/pause", false, {}},
      {"POST", "/v1/schedules/{id}/resume", false, {}},
      {"GET", "/v1/queues", false, {}},
      {"GET", "/v1/queues/{name}", false, {}},
      {"PATCH", "/v1/queues/{name}", true, {}},
      {"POST", "/v1/queues/{name}/pause", false, {}},
      {"POST", "/v1/queues/{name}/resume", false, {}},
  };
  return routes;
}

const Router& ApiRouter() {
  static const Router* router = [] {
    auto* r = new Router;
    for (const RouteSpec& spec : ApiRoutes()) {
      const bool has_body = spec.has_body;
      r->Add(
          spec.method, spec.pattern,
          [has_body](const ApiRequest& req) { return Handle(req, has_body); }, spec.query);
    }
    return r;
  }();
  return *router;
}

std::string_view NextLine(std::string_view& in) {
  const size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

QueryParams ParseQuery(std::string_view text) {
  QueryParams query;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    const size_t eq = pair.find('=');
    query.emplace(std::string(pair.substr(0, eq)),
                  eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
    text.remove_prefix(amp == std::string_view::npos ? text.size() : amp + 1);
  }
  return query;
}

void CheckReply(const Reply& reply, std::string_view method, std::string_view path) {
  const std::string where = std::string(method) + " " + std::string(path);
  if (reply.status != 200 && reply.status != 400 && reply.status != 404 && reply.status != 405) {
    Fail("unexpected status " + std::to_string(reply.status), where);
  }
  const Json body = Json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) Fail("a reply body that is not a JSON object", reply.body);
  if (reply.status != 200 && !body.contains("error"))
    Fail("an error without \"error\"", reply.body);
  bool allow = false;
  for (const auto& [name, value] : reply.headers) allow = allow || name == "Allow";
  if ((reply.status == 405) != allow) Fail("Allow header on a reply that is not 405", where);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string method(NextLine(in));
  const std::string path(NextLine(in));
  const QueryParams query = ParseQuery(NextLine(in));
  const std::string body(in);

  CheckReply(ApiRouter().Dispatch(method, path, query, body), method, path);

  Result<Json> object = ParseJsonObject(body);
  if (object.ok() && !object->is_object()) Fail("ParseJsonObject returned a non-object", body);
  // Refusals name "body" for the document as a whole, or the path of the bad member.
  if (!object.ok() &&
      (object.status().code() != StatusCode::kInvalidArgument || object.status().field().empty())) {
    Fail("ParseJsonObject refused with the wrong status", object.status().ToString());
  }
  if (object.ok()) static_cast<void>(DumpJson(*object));

  const std::vector<std::string> known = {"state", "limit", ""};
  const Status s = CheckQuery(query, known);
  bool bad = false;
  for (const auto& [name, value] : query) {
    bad = bad || query.count(name) > 1 || (name != "state" && name != "limit" && !name.empty());
  }
  if (s.ok() == bad) Fail("CheckQuery disagrees on " + std::to_string(query.size()), s.ToString());
  return 0;
}
