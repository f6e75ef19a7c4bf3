// HttpServer over Boost.Beast and Boost.Asio (see http_server.h for the contract).
//
// Each connection lives on its own strand and owns one timer, which closes the socket when it
// fires: between requests it is the idle timeout (the connection waits for readability, with no
// read buffer or parser allocated), from a request's first byte the request deadline, while a
// response goes out the idle timeout again for each write. Nothing is armed while a handler runs.
//
// A connection that must close with bytes of the client's request still unread (a body over the
// limit, a malformed request) shuts down its sending side and reads and drops for a short while
// before it closes: closing at once would make the kernel answer those bytes with a reset, which
// can destroy the error response before the client has read it.
#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace taskly::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Steady = std::chrono::steady_clock;

// How long a closing connection keeps reading (and dropping) what its client still sends.
constexpr std::chrono::seconds kLingerTime{2};
// After a failed accept (out of file descriptors, most likely), the wait before the next one.
constexpr std::chrono::milliseconds kAcceptRetry{50};

bool IsHttpError(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::end_of_stream).category();
}

std::string Str(beast::string_view s) { return std::string(s.data(), s.size()); }

class BeastHttpServer;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(BeastHttpServer& server, tcp::socket socket);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::any_io_executor executor() { return socket_.get_executor(); }
  // On the connection's strand.
  void Start();
  // From any thread: closes the connection, or, while a handler runs, once its response is out.
  void Stop();

  // Set by BeastHttpServer::Register; the destructor unregisters.
  std::optional<std::list<std::weak_ptr<Connection>>::iterator> registration;

 private:
  using Request = http::request<http::string_body>;
  template <typename Body>
  struct Outgoing {
    explicit Outgoing(http::response<Body>&& r) : response(std::move(r)), serializer(response) {}
    http::response<Body> response;
    http::response_serializer<Body> serializer;
  };

  void Arm(Steady::time_point deadline);
  void Arm(std::chrono::milliseconds timeout) { Arm(Steady::now() + timeout); }
  void Disarm();
  void Close();
  void Linger();
  void DrainSome();

  void WaitForRequest();
  void ReadHeader();
  void OnHeader(const error_code& ec);
  void ReadBody();
  void OnBody(const error_code& ec);
  void Refuse(Reply reply);
  void Dispatch(bool must_close);
  void Respond(Reply reply);
  template <typename Body>
  void Send(http::response<Body>&& response);
  template <typename Body>
  void WriteSome(std::shared_ptr<Outgoing<Body>> out);
  void AfterWrite();

  BeastHttpServer& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;  // a timer wait fires only if still the latest one
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest request_;  // the request being served; read by the worker while busy_
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool must_close_ = false;  // unread request bytes may follow: linger before closing
  bool busy_ = false;        // a request is in a handler or its response is being written
  bool stopping_ = false;
  bool closed_ = false;
  Steady::time_point started_;
};

class BeastHttpServer final : public HttpServer {
 public:
  explicit BeastHttpServer(const HttpServerOptions& options)
      : options_(options),
        acceptor_(asio::make_strand(ioc_)),
        accept_retry_(acceptor_.get_executor()) {}
  ~BeastHttpServer() override { stop(); }

  Status Bind() {
    const std::string address = options_.host + ":" + std::to_string(options_.port);
    error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (!ec && endpoints.empty()) ec = asio::error::host_not_found;
    for (const auto& entry : endpoints) {
      acceptor_.open(entry.endpoint().protocol(), ec);
      // SO_REUSEADDR only (a port in TIME_WAIT can be bound again); never SO_REUSEPORT, which
      // would let two servers share the port and the kernel split the clients between them.
      if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) acceptor_.bind(entry.endpoint(), ec);
      if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
      if (!ec) {
        port_ = acceptor_.local_endpoint(ec).port();
        if (!ec) return Status();
      }
      error_code ignored;
      acceptor_.close(ignored);
    }
    return Status(StatusCode::kUnavailable, "cannot listen on " + address + ": " + ec.message());
  }

  void Serve(HttpHandler handler, std::function<bool(const HttpRequest&)> runs_inline) override {
    handler_ = std::move(handler);
    runs_inline_ = std::move(runs_inline);
    workers_.emplace(static_cast<size_t>(options_.worker_threads));
    work_.emplace(ioc_.get_executor());
    serving_ = true;
    asio::post(acceptor_.get_executor(), [this] { Accept(); });
    for (int i = 0; i < options_.io_threads; ++i) io_threads_.emplace_back([this] { ioc_.run(); });
  }

  int port() const override { return port_; }

  void stop() override {
    std::lock_guard stop_lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (const auto& weak : connections_) {
        if (auto c = weak.lock()) open.push_back(std::move(c));
      }
    }
    if (!serving_) {
      error_code ignored;
      acceptor_.close(ignored);
      return;
    }
    asio::post(acceptor_.get_executor(), [this] {
      error_code ignored;
      acceptor_.close(ignored);
      accept_retry_.cancel();
    });
    for (auto& c : open) c->Stop();
    open.clear();
    {
      std::unique_lock lock(mu_);
      gone_.wait(lock, [this] { return connections_.empty(); });
    }
    work_.reset();
    ioc_.stop();
    for (std::thread& t : io_threads_) t.join();
    workers_->join();
  }

  const HttpServerOptions& options() const { return options_; }
  asio::thread_pool& workers() { return *workers_; }
  bool RunsInline(const HttpRequest& request) const {
    return runs_inline_ && runs_inline_(request);
  }

  Reply Handle(const HttpRequest& request) const {
    try {
      return handler_(request);
    } catch (const std::exception& e) {
      spdlog::error("api: {} {}: {}", EscapeForLog(request.method), EscapeForLog(request.target),
                    EscapeForLog(e.what()));
    } catch (...) {
      spdlog::error("api: {} {}: unknown exception", EscapeForLog(request.method),
                    EscapeForLog(request.target));
    }
    return ErrorReply(500, "internal", "internal error");
  }

  // Counts `c` as open, so that stop() waits for it; false when the server is stopping (then
  // `c` is not registered and must be dropped).
  bool Register(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    c->registration = connections_.insert(connections_.end(), c);
    open_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  void Unregister(std::list<std::weak_ptr<Connection>>::iterator it) {
    std::lock_guard lock(mu_);
    connections_.erase(it);
    open_.fetch_sub(1, std::memory_order_relaxed);
    if (connections_.empty()) gone_.notify_all();
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (ec) {
        spdlog::warn("api: accept failed: {}", ec.message());
        accept_retry_.expires_after(kAcceptRetry);
        accept_retry_.async_wait([this](error_code waited) {
          if (!waited && acceptor_.is_open()) Accept();
        });
        return;
      }
      if (open_.load(std::memory_order_relaxed) >= options_.max_connections) {
        error_code ignored;
        socket.close(ignored);
      } else {
        // Beast writes a response's header and body in one write, but a body streamed from a
        // file goes in several; Nagle's algorithm would hold each back for the client's ACK.
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto c = std::make_shared<Connection>(*this, std::move(socket));
        if (!Register(c)) return;
        asio::dispatch(c->executor(), [c] { c->Start(); });
      }
      Accept();
    });
  }

  const HttpServerOptions options_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::optional<asio::thread_pool> workers_;
  std::vector<std::thread> io_threads_;
  HttpHandler handler_;
  std::function<bool(const HttpRequest&)> runs_inline_;
  int port_ = 0;
  bool serving_ = false;
  std::atomic<int> open_{0};

  std::mutex mu_;
  std::condition_variable gone_;
  std::list<std::weak_ptr<Connection>> connections_;  // guarded by mu_
  bool stopping_ = false;                             // guarded by mu_

  std::mutex stop_mu_;
  bool stopped_ = false;  // guarded by stop_mu_
};

Connection::Connection(BeastHttpServer& server, tcp::socket socket)
    : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

Connection::~Connection() {
  if (registration) server_.Unregister(*registration);
}

void Connection::Start() { WaitForRequest(); }

void Connection::Stop() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (!self->busy_) self->Close();
  });
}

void Connection::Arm(Steady::time_point deadline) {
  timer_.expires_at(deadline);  // cancels the wait before
  timer_.async_wait([self = shared_from_this(), generation = ++timer_generation_](error_code ec) {
    if (!ec && generation == self->timer_generation_) self->Close();
  });
}

void Connection::Disarm() {
  ++timer_generation_;
  timer_.cancel();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  Disarm();
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);  // the pending operations end with operation_aborted
}

void Connection::Linger() {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  Arm(std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTime));
  buffer_.clear();
  DrainSome();
}

void Connection::DrainSome() {
  socket_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](error_code ec, size_t) {
                            if (ec || self->closed_) {
                              self->Close();
                              return;
                            }
                            self->DrainSome();  // nothing is committed: the bytes are dropped
                          });
}

void Connection::WaitForRequest() {
  if (stopping_) {
    Close();
    return;
  }
  parser_.reset();
  if (buffer_.size() > 0) {  // a pipelined request is already here
    ReadHeader();
    return;
  }
  buffer_.shrink_to_fit();  // an idle connection holds no buffer
  Arm(server_.options().idle_timeout);
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    if (ec || self->closed_) {
      self->Close();
      return;
    }
    self->ReadHeader();
  });
}

void Connection::ReadHeader() {
  const HttpServerOptions& o = server_.options();
  started_ = Steady::now();
  Arm(started_ + o.request_timeout);
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(o.max_header_bytes));
  parser_->body_limit(boost::none);  // checked against the limit once the header is in
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
}

void Connection::OnHeader(const error_code& ec) {
  if (closed_) return;
  const HttpServerOptions& o = server_.options();
  if (ec == http::error::header_limit) {
    Refuse(ErrorReply(431, "too_large",
                      "the request headers are larger than the limit of " +
                          std::to_string(o.max_header_bytes) + " bytes",
                      "headers"));
    return;
  }
  if (ec && IsHttpError(ec) && ec != http::error::end_of_stream &&
      ec != http::error::partial_message) {
    Refuse(ErrorReply(400, "invalid_argument", "malformed HTTP request: " + ec.message()));
    return;
  }
  if (ec) {
    Close();  // the client went away, or the deadline passed
    return;
  }
  Request& req = parser_->get();
  version_ = req.version();
  if (std::distance(req.begin(), req.end()) > o.max_header_fields) {
    Refuse(ErrorReply(
        431, "too_large",
        "the request has more than " + std::to_string(o.max_header_fields) + " header fields",
        "headers"));
    return;
  }
  // Beast refuses these pairs as it parses; checked again here because a request read both ways
  // (a request smuggled past a proxy that reads it the other way) must never be served.
  if (req.count(http::field::content_length) > 0 && req.count(http::field::transfer_encoding) > 0) {
    Refuse(ErrorReply(400, "invalid_argument",
                      "malformed HTTP request: both Content-Length and Transfer-Encoding"));
    return;
  }
  request_ = HttpRequest{};
  request_.method = Str(req.method_string());
  request_.target = Str(req.target());
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    request_.authorization = Str(it->value());
  }
  request_.content_type = Str(req[http::field::content_type]);
  request_.content_encoding = Str(req[http::field::content_encoding]);
  if (parser_->is_done()) {
    Dispatch(false);
    return;
  }
  const auto limit = static_cast<uint64_t>(o.max_body_bytes);
  if (parser_->content_length() && *parser_->content_length() > limit) {
    request_.body_state = HttpRequest::BodyState::kTooLarge;
    Dispatch(true);  // the body is never read
    return;
  }
  parser_->body_limit(limit);
  if (beast::iequals(req[http::field::expect], "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](error_code written, size_t) {
                        if (written || self->closed_) {
                          self->Close();
                          return;
                        }
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

void Connection::ReadBody() {
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](error_code ec, size_t) { self->OnBody(ec); });
}

void Connection::OnBody(const error_code& ec) {
  if (closed_) return;
  if (ec == http::error::body_limit) {
    request_.body_state = HttpRequest::BodyState::kTooLarge;
    Dispatch(true);
  } else if (ec && IsHttpError(ec) && ec != http::error::end_of_stream &&
             ec != http::error::partial_message) {
    request_.body_state = HttpRequest::BodyState::kUnreadable;
    Dispatch(true);
  } else if (ec) {
    Close();  // the client went away, or the deadline passed
  } else {
    request_.body = std::move(parser_->get().body());
    Dispatch(false);
  }
}

// Answers a request that cannot be served (it was not read whole), then closes.
void Connection::Refuse(Reply reply) {
  Disarm();
  busy_ = true;
  keep_alive_ = false;
  must_close_ = true;
  request_ = HttpRequest{};
  if (parser_ && parser_->is_header_done()) {
    request_.method = Str(parser_->get().method_string());
    request_.target = Str(parser_->get().target());
  }
  parser_.reset();
  Respond(std::move(reply));
}

void Connection::Dispatch(bool must_close) {
  Disarm();  // a handler's time is not the client's
  busy_ = true;
  must_close_ = must_close;
  keep_alive_ = !must_close && parser_->get().keep_alive();
  parser_.reset();
  if (server_.RunsInline(request_)) {
    Respond(server_.Handle(request_));
    return;
  }
  asio::post(server_.workers(), [self = shared_from_this()] {
    Reply reply = self->server_.Handle(self->request_);
    asio::post(self->socket_.get_executor(),
               [self, reply = std::move(reply)]() mutable { self->Respond(std::move(reply)); });
  });
}

void Connection::Respond(Reply reply) {
  if (spdlog::should_log(spdlog::level::debug)) {
    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - started_).count();
    spdlog::debug("api: {} {} {} {:.3f}ms", EscapeForLog(request_.method),
                  EscapeForLog(request_.target), reply.status, ms);
  }
  const bool head = request_.method == "HEAD";
  request_.body.clear();
  request_.body.shrink_to_fit();
  http::response<http::string_body> response;
  response.version(version_);
  response.result(static_cast<unsigned>(reply.status));
  for (const auto& [name, value] : reply.headers) response.insert(name, value);

  if (!reply.file.empty()) {
    // Opened, then unlinked with its directory: the open file is read to the end all the same,
    // and nothing is left behind however the connection ends.
    const std::filesystem::path path = reply.file;
    http::file_body::value_type file;
    error_code ec;
    file.open(path.c_str(), beast::file_mode::scan, ec);
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    std::filesystem::remove(path.parent_path(), ignored);  // only if empty
    if (!ec) {
      response.set(http::field::content_type, reply.content_type);
      http::response<http::file_body> streamed(std::move(response.base()));
      streamed.body() = std::move(file);
      streamed.prepare_payload();
      if (head) {
        Send(http::response<http::empty_body>(std::move(streamed.base())));
      } else {
        Send(std::move(streamed));
      }
      return;
    }
    spdlog::error("api: cannot read {}: {}", EscapeForLog(path.string()), ec.message());
    reply = ErrorReply(500, "internal", "the backup file could not be read");
    response.result(static_cast<unsigned>(reply.status));
  }
  if (!reply.body.empty()) response.set(http::field::content_type, reply.content_type);
  if (head) {
    http::response<http::empty_body> bodiless(std::move(response.base()));
    bodiless.content_length(reply.body.size());
    Send(std::move(bodiless));
    return;
  }
  response.body() = std::move(reply.body);
  response.prepare_payload();
  Send(std::move(response));
}

template <typename Body>
void Connection::Send(http::response<Body>&& response) {
  response.keep_alive(keep_alive_ && !stopping_);
  WriteSome(std::make_shared<Outgoing<Body>>(std::move(response)));
}

template <typename Body>
void Connection::WriteSome(std::shared_ptr<Outgoing<Body>> out) {
  Arm(server_.options().idle_timeout);
  http::async_write_some(socket_, out->serializer,
                         [self = shared_from_this(), out](error_code ec, size_t) {
                           if (ec || self->closed_) {
                             self->Close();
                           } else if (!out->serializer.is_done()) {
                             self->WriteSome(out);
                           } else {
                             self->AfterWrite();
                           }
                         });
}

void Connection::AfterWrite() {
  Disarm();
  busy_ = false;
  if (stopping_) {
    Close();
  } else if (must_close_) {
    Linger();
  } else if (!keep_alive_) {
    Close();
  } else {
    WaitForRequest();
  }
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Bind(const HttpServerOptions& options) {
  auto server = std::make_unique<BeastHttpServer>(options);
  if (Status s = server->Bind(); !s.ok()) return s;
  return std::unique_ptr<HttpServer>(std::move(server));
}

std::string EscapeForLog(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e || c == '\\') {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace taskly::server
