// ApiServer over the HTTP transport of http_server.h. Every request goes through Handle(): it
// authenticates, checks what the transport says of the body (over the limit, unreadable),
// inflates a compressed body under the same limit, and hands the request to the Router.
//
// /healthz is answered on the transport's I/O thread: it touches nothing that could block, so it
// answers even while every worker waits on the store.
#include "server/api_server.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>

#include "server/auth.h"
#include "server/http_server.h"
#include "server/inflate.h"
#include "server/routes.h"

namespace taskly::server {
namespace {

bool NeedsAuth(std::string_view path) { return path != "/healthz" && path != "/readyz"; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding as browsers and curl encode: "%XX" is the byte XX (a '%' not followed by two
// hex digits stays as it is) and, in a query, '+' is a space.
std::string DecodeUrl(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

// "a=1&b=&c" -> {a: 1, b: "", c: ""}; a name given twice appears twice; empty names are dropped.
QueryParams ParseQuery(std::string_view text) {
  QueryParams query;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    const size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!name.empty()) query.emplace(DecodeUrl(name, true), DecodeUrl(value, true));
  }
  return query;
}

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

bool IsHealthCheck(const HttpRequest& req) {
  return (req.method == "GET" || req.method == "HEAD") && PathOf(req.target) == "/healthz";
}

Reply Unauthenticated(bool token_given) {
  Reply reply = ErrorReply(Status(
      StatusCode::kUnauthenticated,
      token_given ? "the bearer token is not valid" : "missing Authorization: Bearer <token>",
      "Authorization"));
  reply.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="taskly")");
  return reply;
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

HttpServerOptions TransportOptions(const ApiOptions& o) {
  return HttpServerOptions{.host = o.host,
                           .port = o.port,
                           .io_threads = o.io_threads,
                           .worker_threads = o.threads,
                           .request_timeout = o.request_timeout,
                           .idle_timeout = o.idle_timeout,
                           .max_header_bytes = o.max_header_bytes,
                           .max_header_fields = o.max_header_fields,
                           .max_body_bytes = o.max_body_bytes,
                           .max_connections = o.max_connections};
}

class HttpApiServer final : public ApiServer {
 public:
  HttpApiServer(const ApiOptions& options, std::unique_ptr<HttpServer> http)
      : options_(options), http_(std::move(http)) {}
  ~HttpApiServer() override { stop(); }

  Status Serve(Scheduler& scheduler, std::function<Status()> ready) override {
    std::lock_guard lock(stop_mu_);
    if (ctx_ || stopped_) {
      return Status(StatusCode::kFailedPrecondition, "the API server was started or stopped");
    }
    ApiContext& ctx = ctx_.emplace(scheduler, options_, std::move(ready));
    AddTaskRoutes(router_, ctx);
    AddScheduleRoutes(router_, ctx);
    AddQueueRoutes(router_, ctx);
    AddInspectRoutes(router_, ctx);
    AddBackupRoutes(router_, ctx);
    http_->Serve([this](const HttpRequest& req) { return Handle(req); }, IsHealthCheck);
    spdlog::info("api: listening on http://{}:{}", options_.host, http_->port());
    return Status();
  }

  int port() const override { return http_->port(); }

  void stop() override {
    std::lock_guard lock(stop_mu_);
    stopped_ = true;
    http_->stop();
  }

 private:
  Reply BodyTooLarge() const {
    return TooLarge("body", "the request body is larger than the limit of " +
                                std::to_string(options_.max_body_bytes) + " bytes");
  }

  Reply Handle(const HttpRequest& req) const {
    const std::string_view target = req.target;
    const std::string path = DecodeUrl(PathOf(target), false);
    if (NeedsAuth(path) && !BearerTokenMatches(req.authorization.value_or(""), options_.token)) {
      return Unauthenticated(req.authorization.has_value());
    }
    if (req.body_state == HttpRequest::BodyState::kTooLarge) return BodyTooLarge();
    if (req.body_state == HttpRequest::BodyState::kUnreadable) {
      return ErrorReply(400, "invalid_argument", "the request body could not be read", "body");
    }
    std::string inflated;
    const std::string* body = &req.body;
    if (!req.content_encoding.empty()) {
      switch (Inflate(req.content_encoding, req.body, options_.max_body_bytes, inflated)) {
        case InflateResult::kOk:
          body = &inflated;
          break;
        case InflateResult::kTooLarge:
          return BodyTooLarge();
        case InflateResult::kMalformed:
          return ErrorReply(400, "invalid_argument",
                            "the request body is not valid " + req.content_encoding + " data",
                            "body");
        case InflateResult::kUnsupported:
          return ErrorReply(415, "invalid_argument",
                            "unsupported Content-Encoding (gzip and deflate are accepted)",
                            "Content-Encoding");
      }
    }
    if (StartsWithIgnoringCase(req.content_type, "multipart/form-data")) {
      return ErrorReply(415, "invalid_argument",
                        "multipart/form-data bodies are not accepted: send a JSON object", "body");
    }
    const size_t mark = target.find('?');
    const QueryParams query =
        mark == std::string_view::npos ? QueryParams() : ParseQuery(target.substr(mark + 1));
    return router_.Dispatch(req.method, path, query, *body);
  }

  const ApiOptions options_;
  std::unique_ptr<HttpServer> http_;
  std::optional<ApiContext> ctx_;  // set by Serve()
  Router router_;
  std::mutex stop_mu_;
  bool stopped_ = false;  // guarded by stop_mu_
};

Status CheckOptions(const ApiOptions& o) {
  if (Status s = CheckToken(o.token, "token"); !s.ok()) return s;
  if (o.port < 0 || o.port > 65535) return InvalidArgument("port", "must be from 0 to 65535");
  if (o.max_body_bytes < 1) return InvalidArgument("max_body_bytes", "must be positive");
  if (o.max_payload_bytes < 1) return InvalidArgument("max_payload_bytes", "must be positive");
  if (o.threads < 1) return InvalidArgument("threads", "must be at least 1");
  if (o.io_threads < 1) return InvalidArgument("io_threads", "must be at least 1");
  if (o.request_timeout <= std::chrono::milliseconds::zero()) {
    return InvalidArgument("request_timeout", "must be positive");
  }
  if (o.idle_timeout <= std::chrono::milliseconds::zero()) {
    return InvalidArgument("idle_timeout", "must be positive");
  }
  if (o.max_header_bytes < 1024 || o.max_header_bytes > (int64_t{1} << 30)) {
    return InvalidArgument("max_header_bytes", "must be from 1024 to 2^30");
  }
  if (o.max_header_fields < 1) return InvalidArgument("max_header_fields", "must be positive");
  if (o.max_connections < 1) return InvalidArgument("max_connections", "must be positive");
  return Status();
}

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::Bind(const ApiOptions& options) {
  if (Status s = CheckOptions(options); !s.ok()) return s;
  Result<std::unique_ptr<HttpServer>> http = HttpServer::Bind(TransportOptions(options));
  if (!http.ok()) return http.status();
  return std::unique_ptr<ApiServer>(std::make_unique<HttpApiServer>(options, std::move(*http)));
}

Result<std::unique_ptr<ApiServer>> ApiServer::Start(Scheduler& scheduler, const ApiOptions& options,
                                                    std::function<Status()> ready) {
  Result<std::unique_ptr<ApiServer>> server = Bind(options);
  if (!server.ok()) return server.status();
  if (Status s = (*server)->Serve(scheduler, std::move(ready)); !s.ok()) return s;
  return server;
}

}  // namespace taskly::server
