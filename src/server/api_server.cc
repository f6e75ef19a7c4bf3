// ApiServer over cpp-httplib. Every request goes through Serve(): it reads the body (if the
// method has one) under the size limit, authenticates, and hands the request to the Router.
//
// Bodies are read through httplib's content readers rather than by httplib itself, because
// httplib's own reading (of the httplib 0.11 that Debian ships) would refuse a form-labelled
// body over 8 KiB (curl -d labels every body a form), would read a chunked body without any
// limit, and would inflate a compressed body without any limit. A content reader passes the
// (inflated) bytes to us, so the one limit applies to all of them.
#include "server/api_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "server/auth.h"
#include "server/routes.h"

namespace taskly::server {
namespace {

using httplib::Server;

// When the request being served on this thread started, for the access log; set in the
// pre-routing hook, which httplib runs on the thread that then writes the response.
thread_local std::optional<std::chrono::steady_clock::time_point> t_request_start;

bool NeedsAuth(const std::string& path) { return path != "/healthz" && path != "/readyz"; }

// Streams `path` (a temporary file the reply owns) as the body, then deletes it and its
// directory. If it cannot be opened, a 500 is sent instead.
void SendFile(const Reply& reply, httplib::Response& res) {
  const std::filesystem::path path = reply.file;
  auto remove = [path] {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    std::filesystem::remove(path.parent_path(), ignored);  // only if empty
  };
  auto in = std::make_shared<std::ifstream>(path, std::ios::binary);
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (!*in || error) {
    remove();
    spdlog::error("api: cannot read {}", path.string());
    Reply failed = ErrorReply(500, "internal", "the backup file could not be read");
    res.status = failed.status;
    res.set_content(failed.body, failed.content_type);
    return;
  }
  res.set_content_provider(
      static_cast<size_t>(size), reply.content_type,
      [in](size_t offset, size_t length, httplib::DataSink& sink) {
        std::array<char, 64 << 10> chunk;
        in->seekg(static_cast<std::streamoff>(offset));
        in->read(chunk.data(), static_cast<std::streamsize>(std::min(length, chunk.size())));
        const std::streamsize n = in->gcount();
        return n > 0 && sink.write(chunk.data(), static_cast<size_t>(n));
      },
      [remove](bool) { remove(); });
}

void Send(const Reply& reply, httplib::Response& res) {
  res.status = reply.status;
  for (const auto& [name, value] : reply.headers) res.set_header(name, value);
  if (!reply.file.empty()) {
    SendFile(reply, res);
  } else if (!reply.body.empty()) {
    res.set_content(reply.body, reply.content_type);
  }
}

Reply Unauthenticated(bool token_given) {
  Reply reply = ErrorReply(Status(
      StatusCode::kUnauthenticated,
      token_given ? "the bearer token is not valid" : "missing Authorization: Bearer <token>",
      "Authorization"));
  reply.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="taskly")");
  return reply;
}

// A request body as read through a content reader.
struct Body {
  std::string bytes;
  bool too_large = false;  // over the limit: `bytes` is empty
  bool failed = false;     // not read whole, for another reason (a broken stream, a bad chunk)
  bool multipart = false;  // multipart/form-data: read and dropped
};

class HttpApiServer final : public ApiServer {
 public:
  explicit HttpApiServer(const ApiOptions& options) : options_(options) { Configure(); }
  ~HttpApiServer() override { stop(); }

  Status Bind() {
    const ApiOptions& o = options_;
    if (o.port == 0) {
      port_ = http_.bind_to_any_port(o.host);
    } else if (http_.bind_to_port(o.host, o.port)) {
      port_ = o.port;
    }
    if (port_ <= 0) {
      return Status(StatusCode::kUnavailable,
                    "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                        " (address in use, or not an address of this host)");
    }
    return Status();
  }

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
    thread_ = std::thread([this] {
      http_.listen_after_bind();
      listen_returned_ = true;
    });
    // httplib's stop() does nothing until the accept loop has started (it checks is_running()),
    // so a stop() right after Start() would leave the loop running forever: wait for it.
    while (!http_.is_running() && !listen_returned_) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    spdlog::info("api: listening on http://{}:{}", options_.host, port_);
    return Status();
  }

  int port() const override { return port_; }

  void stop() override {
    std::lock_guard lock(stop_mu_);
    stopped_ = true;
    http_.stop();  // closes the listening socket; the pool finishes requests in flight
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Configure() {
    const ApiOptions& o = options_;
    http_.new_task_queue = [n = static_cast<size_t>(o.threads)] {
      return new httplib::ThreadPool(n);
    };
    // httplib writes a response's headers and body separately: without TCP_NODELAY, Nagle's
    // algorithm holds the body back until the client's delayed ACK (~40 ms per request).
    http_.set_tcp_nodelay(true);
    // Bodies with a Content-Length over the limit are skipped unread by httplib (413).
    http_.set_payload_max_length(static_cast<size_t>(o.max_body_bytes));
    Server::Handler without_body = [this](const httplib::Request& req, httplib::Response& res) {
      Send(Serve(req, Body{}), res);
    };
    Server::HandlerWithContentReader with_body = [this](const httplib::Request& req,
                                                        httplib::Response& res,
                                                        const httplib::ContentReader& reader) {
      Body body = Read(req, res, reader);
      Send(Serve(req, body), res);
    };
    http_.Get(".*", without_body);
    http_.Options(".*", without_body);
    http_.Post(".*", with_body);
    http_.Put(".*", with_body);
    http_.Patch(".*", with_body);
    http_.Delete(".*", with_body);
    http_.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      t_request_start = std::chrono::steady_clock::now();
      return Server::HandlerResponse::Unhandled;
    });
    http_.set_error_handler(
        Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
          return OnHttpError(req, res);
        }));
    http_.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown exception";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          spdlog::error("api: {} {}: {}", req.method, req.path, what);
          Send(ErrorReply(500, "internal", "internal error"), res);
        });
    http_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      double ms = 0;
      if (t_request_start) {
        ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                       *t_request_start)
                 .count();
        t_request_start.reset();
      }
      spdlog::debug("api: {} {} {} {:.3f}ms", req.method, req.path, res.status, ms);
    });
  }

  // Reads the body, keeping at most max_body_bytes of it (the bytes past the limit are read and
  // dropped). It is read before the request is authenticated so that the connection stays in
  // step for the client's next request; nothing is done with it until then.
  Body Read(const httplib::Request& req, httplib::Response& res,
            const httplib::ContentReader& reader) const {
    const auto limit = static_cast<size_t>(options_.max_body_bytes);
    Body body;
    // A request with neither header has no body (RFC 9112 section 6.3); httplib would wait for
    // the connection to close instead.
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) return body;
    size_t seen = 0;
    auto receive = [&](const char* data, size_t n) {
      seen += n;
      if (seen > limit && !body.too_large) {
        body.too_large = true;
        std::string().swap(body.bytes);
      }
      // Past the limit the rest is read and dropped (as httplib skips a body whose length is
      // over it): stopping would leave it in the connection, to be read as the next request.
      if (!body.too_large && !body.multipart) body.bytes.append(data, n);
      return true;
    };
    bool read = false;
    if (req.is_multipart_form_data()) {
      body.multipart = true;
      read = reader([](const httplib::MultipartFormData&) { return true; }, receive);
    } else {
      read = reader(receive);
    }
    if (!read && res.status == 413) body.too_large = true;  // httplib skipped it by its length
    if (!read && !body.too_large) body.failed = true;
    return body;
  }

  // 401 for a request to an authenticated route without the right token.
  std::optional<Reply> Authenticate(const httplib::Request& req) const {
    if (!NeedsAuth(req.path)) return std::nullopt;
    const std::string& token = options_.token;
    if (BearerTokenMatches(req.get_header_value("Authorization"), token)) return std::nullopt;
    return Unauthenticated(req.has_header("Authorization"));
  }

  Reply BodyTooLarge() const {
    return TooLarge("body", "the request body is larger than the limit of " +
                                std::to_string(options_.max_body_bytes) + " bytes");
  }

  Reply Serve(const httplib::Request& req, const Body& body) {
    if (std::optional<Reply> refused = Authenticate(req)) return *refused;
    if (body.too_large) return BodyTooLarge();
    if (body.failed) {
      return ErrorReply(400, "invalid_argument", "the request body could not be read", "body");
    }
    if (body.multipart) {
      return ErrorReply(415, "invalid_argument",
                        "multipart/form-data bodies are not accepted: send a JSON object", "body");
    }
    // Only the URL's query: httplib also adds the fields of a form-encoded body to req.params.
    QueryParams query;
    if (size_t mark = req.target.find('?'); mark != std::string::npos) {
      httplib::detail::parse_query_text(req.target.substr(mark + 1), query);
    }
    return router_.Dispatch(req.method, req.path, query, body.bytes);
  }

  // httplib answered by itself (a malformed request, a request line over its limit): give that
  // answer the API's error form. Replies of ours (they have a body) pass unchanged.
  Server::HandlerResponse OnHttpError(const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return Server::HandlerResponse::Unhandled;
    if (std::optional<Reply> refused = Authenticate(req)) {
      Send(*refused, res);
    } else if (res.status == 413) {
      Send(BodyTooLarge(), res);
    } else if (res.status == 414) {
      Send(TooLarge("path", "the request line is too long"), res);
    } else if (res.status < 500) {
      Send(ErrorReply(res.status, "invalid_argument", "malformed HTTP request"), res);
    } else {
      Send(ErrorReply(res.status, "internal", "internal error"), res);
    }
    return Server::HandlerResponse::Handled;
  }

  const ApiOptions options_;
  std::optional<ApiContext> ctx_;  // set by Serve()
  Router router_;
  Server http_;
  int port_ = -1;
  std::atomic<bool> listen_returned_{false};
  std::mutex stop_mu_;
  bool stopped_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

Status CheckOptions(const ApiOptions& o) {
  if (Status s = CheckToken(o.token, "token"); !s.ok()) return s;
  if (o.port < 0 || o.port > 65535) return InvalidArgument("port", "must be from 0 to 65535");
  if (o.max_body_bytes < 1) return InvalidArgument("max_body_bytes", "must be positive");
  if (o.max_payload_bytes < 1) return InvalidArgument("max_payload_bytes", "must be positive");
  if (o.threads < 1) return InvalidArgument("threads", "must be at least 1");
  return Status();
}

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::Bind(const ApiOptions& options) {
  if (Status s = CheckOptions(options); !s.ok()) return s;
  auto server = std::make_unique<HttpApiServer>(options);
  if (Status s = server->Bind(); !s.ok()) return s;
  return std::unique_ptr<ApiServer>(std::move(server));
}

Result<std::unique_ptr<ApiServer>> ApiServer::Start(Scheduler& scheduler, const ApiOptions& options,
                                                    std::function<Status()> ready) {
  Result<std::unique_ptr<ApiServer>> server = Bind(options);
  if (!server.ok()) return server.status();
  if (Status s = (*server)->Serve(scheduler, std::move(ready)); !s.ok()) return s;
  return server;
}

}  // namespace taskly::server
