// Test fixture of the API tests: a Scheduler over a memory store on a SimulatedClock, an
// ApiServer on a free loopback port, and a real HTTP client (httplib::Client).
//
// Time-driven behaviour runs on the simulated clock; the tests wait (bounded, in real time) only
// for worker threads to act, never for a timer.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "codec/json_codec.h"
#include "server/api_server.h"
#include "taskly/scheduler.h"

namespace taskly::server {

using codec::Json;

inline constexpr char kToken[] = "test-token-0123456789abcdef";

// Waits, in real time, until `pred` holds; false after 20 s.
template <typename Pred>
bool WaitFor(Pred pred) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

struct HttpResult {
  int status = 0;  // 0: no response (connection error)
  std::string body;
  httplib::Headers headers;
  Json json;  // the body parsed, or null when it is not JSON

  const Json& error() const { return json["error"]; }
  std::string error_code() const { return json.value("/error/code"_json_pointer, ""); }
  std::string error_field() const { return json.value("/error/field"_json_pointer, ""); }
};

class ApiTest : public ::testing::Test {
 protected:
  // Creates the scheduler (not started: call scheduler().start() when a test needs workers)
  // and starts the server. `options` is adjusted: port 0 and kToken unless a token is given.
  void StartServer(ApiOptions options = {}, SchedulerOptions scheduler_options = {},
                   std::function<Status()> ready = {}) {
    client_.reset();
    server_.reset();
    scheduler_.reset();
    store_ = NewMemoryStore(MemoryStoreOptions{.clock = &clock_});
    scheduler_options.store = store_.get();
    scheduler_options.clock = &clock_;
    if (scheduler_options.slots == 0) scheduler_options.slots = 2;
    scheduler_options.seed = 7;
    auto scheduler = Scheduler::Create(scheduler_options);
    ASSERT_TRUE(scheduler.ok()) << scheduler.status().ToString();
    scheduler_ = std::move(*scheduler);
    options.host = "127.0.0.1";
    options.port = 0;
    if (options.token.empty()) options.token = kToken;
    if (options.threads == 8) options.threads = 4;
    auto server = ApiServer::Start(*scheduler_, options, std::move(ready));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_connection_timeout(std::chrono::seconds(10));
    client_->set_read_timeout(std::chrono::seconds(20));
    client_->set_write_timeout(std::chrono::seconds(20));
  }

  void SetUp() override { StartServer(); }

  // The server stops before the scheduler, the scheduler before the store and clock. The
  // simulated clock never ends a grace period: stop with none.
  void TearDown() override {
    if (server_) server_->stop();
    if (scheduler_) scheduler_->stop(Duration::zero());
  }

  // One request. `token`: nullptr sends no Authorization header.
  HttpResult Call(const std::string& method, const std::string& path, const std::string& body = "",
                  const char* token = kToken) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    if (token != nullptr) req.headers.emplace("Authorization", std::string("Bearer ") + token);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.body = body;
      req.headers.emplace("Content-Type", "application/json");
    }
    httplib::Result res = client_->send(req);
    HttpResult out;
    if (!res) return out;
    out.status = res->status;
    out.body = res->body;
    out.headers = res->headers;
    out.json = Json::parse(res->body, nullptr, /*allow_exceptions=*/false);
    if (out.json.is_discarded()) out.json = nullptr;
    return out;
  }
  HttpResult Get(const std::string& path) { return Call("GET", path); }
  HttpResult Post(const std::string& path, const std::string& body = "{}") {
    return Call("POST", path, body);
  }

  // Submits {"type": type} plus `extra` fields; returns the new task's id.
  std::string Submit(const std::string& type, Json extra = Json::object()) {
    extra["type"] = type;
    HttpResult r = Post("/v1/tasks", extra.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json.value("id", "");
  }

  std::string StateOf(const std::string& id) {
    return Get("/v1/tasks/" + id).json.value("state", "");
  }

  Scheduler& scheduler() { return *scheduler_; }
  Store& store() { return *store_; }

  SimulatedClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace taskly::server
