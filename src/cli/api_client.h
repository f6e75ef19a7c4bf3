// The CLI's side of the HTTP API (docs/api.md): one request, one JSON answer, and every way it
// can go wrong turned into an Exit with the right code:
//   - the server cannot be reached (refused, timeout, name resolution): kUnreachable (3);
//   - the server answered 4xx/5xx: kServerError (1), with the server's error code, field and
//     message ("HTTP 400 invalid_argument: field \"timeout\": ..."); a 401 adds where the
//     CLI looked for a token.
//
// Token: TASKLY_TOKEN (or the config file's `token`) or --token-file (secrets.h); else the
// token file of the local data dir (<--data-dir>/token, as `taskly server` writes it); else none
// (the server will answer 401).
//
// Thread-safety: one ApiClient per thread.
#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "taskly/clock.h"

namespace taskly::cli {

using Json = nlohmann::json;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

class ApiClient {
 public:
  // Checks --server (http:// or https://, a host, an optional port; exit 2 naming --server
  // otherwise) and --request-timeout, and finds the token. Does not connect yet.
  static Expected<std::unique_ptr<ApiClient>> Create(const GlobalOptions& options);

  // Each returns the answer's JSON body (an empty object for 204 or an empty body).
  Expected<Json> get(const std::string& path, const QueryParams& query = {});
  Expected<Json> post(const std::string& path, const Json& body = Json::object());
  Expected<Json> put(const std::string& path, const Json& body);
  Expected<Json> patch(const std::string& path, const Json& body);
  Expected<Json> del(const std::string& path);
  // Streams the body of GET `path` into a new file `file`: written to `file`.part, fsync'd,
  // then renamed, so `file` appears only whole. Returns its size. Errors as above, and
  // kServerError naming the file when it cannot be written (the .part file is removed).
  Expected<int64_t> download(const std::string& path, const std::string& file);

  const std::string& url() const { return url_; }

 private:
  ApiClient(std::string url, std::string token, std::string token_source, Duration timeout);
  Expected<Json> Answer(const httplib::Result& result, const std::string& method,
                        const std::string& path);
  httplib::Headers Headers() const;

  std::string url_;
  std::string token_;
  std::string token_source_;  // where the token came from, or where it was looked for
  std::unique_ptr<httplib::Client> http_;
};

// `segment` escaped for use as one path segment (ids and names are already safe; this keeps
// a stray '/' or '?' from changing the route).
std::string PathSegment(const std::string& segment);

}  // namespace taskly::cli
