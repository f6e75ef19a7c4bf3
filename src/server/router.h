// The API's own routing table: method + path pattern -> handler, where a pattern is literal
// segments and `{name}` segments that match any one non-empty segment ("/v1/tasks/{id}/cancel").
// The API must tell "no such path" (404) from "no such method on this path" (405), so the server
// hands every request to Router::Dispatch.
//
// Thread-safety: Add() before serving; Dispatch() from any number of threads after that.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/reply.h"

namespace taskly::server {

// Query parameters, percent-decoded ('+' is a space; a name given twice appears twice).
using QueryParams = std::multimap<std::string, std::string>;

struct ApiRequest {
  std::string_view method;
  std::string_view path;
  std::map<std::string, std::string, std::less<>> params;  // the `{name}` segments
  const QueryParams& query;
  const std::string& body;

  // The path parameter `name`. REQUIRES: the route's pattern has `{name}`.
  const std::string& param(std::string_view name) const { return params.find(name)->second; }
};

using RouteHandler = std::function<Reply(const ApiRequest&)>;

class Router {
 public:
  // Routes `method` on `pattern` to `handler`, which accepts the query parameters `query` and no
  // others. REQUIRES: `pattern` starts with '/'; each (method, pattern) is added once, literal
  // patterns before parameter patterns that would also match them.
  void Add(std::string method, std::string_view pattern, RouteHandler handler,
           std::vector<std::string> query = {});

  // Runs the handler of the first route matching `method` and `path` (HEAD is served as GET).
  // No pattern matches the path: 404 "not_found"; some do but not for this method: 405
  // "method_not_allowed" with an `Allow` header. A query parameter the route does not accept,
  // or one given twice: 400 naming it.
  Reply Dispatch(std::string_view method, std::string_view path, const QueryParams& query,
                 const std::string& body) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{name}" for a parameter
    RouteHandler handler;
    std::vector<std::string> query;
  };
  std::vector<Route> routes_;
};

}  // namespace taskly::server
