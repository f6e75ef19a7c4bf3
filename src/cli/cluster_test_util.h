// Test support for the cluster's process tests: a private redis-server, `taskly server` and
// `taskly worker` processes of the ledger binary (tests/support/ledger_server.cc) on it, each
// in a directory of its own, and the HTTP calls the tests make to the servers.
#pragma once

#include <httplib.h>

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_test_util.h"
#include "tests/support/ledger.h"
#include "tests/support/redis_server.h"

namespace taskly::cli::testing {

using taskly::testing::ReadLedger;
using taskly::testing::Tally;

inline constexpr char kClusterToken[] = "cluster-test-token-0123456789";

inline httplib::Headers Bearer(const std::string& token = kClusterToken) {
  return {{"Authorization", "Bearer " + token}};
}

// GET `path` of the server at `url`; the answer's status (0 when it could not be reached) and
// its JSON body (null when it is not JSON).
struct Answer {
  int status = 0;
  Json body;
};
inline Answer Get(const std::string& url, const std::string& path,
                  const std::string& token = kClusterToken) {
  httplib::Client client(url);
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  httplib::Result res = client.Get(path, Bearer(token));
  if (!res) return {};
  return {res->status, Json::parse(res->body, nullptr, /*allow_exceptions=*/false)};
}
inline Answer Post(const std::string& url, const std::string& path, const Json& body,
                   const std::string& token = kClusterToken) {
  httplib::Client client(url);
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  httplib::Result res = client.Post(path, Bearer(token), body.dump(), "application/json");
  if (!res) return {};
  return {res->status, Json::parse(res->body, nullptr, /*allow_exceptions=*/false)};
}

// The value of `name` (a metric without labels) in the server's /metrics, or nullopt.
inline std::optional<double> Metric(const std::string& url, const std::string& name) {
  httplib::Client client(url);
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  httplib::Result res = client.Get("/metrics", Bearer());
  if (!res || res->status != 200) return std::nullopt;
  std::istringstream lines(res->body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(name + " ")) return std::stod(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

// One node process (`server` or `worker` of `binary`), in `dir` (created), with node id `id`.
// Restartable: Start() again after Stop() starts a new process with the same arguments.
class NodeProcess {
 public:
  NodeProcess(std::string command, std::string id, const std::string& parent,
              std::vector<std::string> args, Env env, std::string binary = TASKLY_LEDGER_SERVER)
      : command_(std::move(command)),
        id_(std::move(id)),
        dir_(parent + "/" + id_),
        args_(std::move(args)),
        env_(std::move(env)),
        binary_(std::move(binary)) {
    std::filesystem::create_directories(dir_);
  }
  ~NodeProcess() { (void)Stop(SIGKILL); }
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Starts the process and waits for its banner ("url:" for a server, "node:" for a worker);
  // false (with a test failure) if it exits or prints none in time.
  bool Start() {
    std::vector<std::string> args = {command_, "--node-id", id_};
    if (command_ == "server") args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    args.insert(args.end(), args_.begin(), args_.end());
    ++starts_;
    Env env = env_;
    env.emplace("TASKLY_TOKEN", kClusterToken);
    pid_ = Spawn(args, env, dir_, out_path(), err_path(), binary_);
    if (pid_ < 0) return false;
    const std::string key = command_ == "server" ? "url:" : "node:";
    const auto until = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < until) {
      const std::string out = ReadFile(out_path());
      const size_t at = out.find(key);
      const size_t end = out.find('\n', at);
      if (at != std::string::npos && end != std::string::npos) {
        std::string value = out.substr(at + key.size(), end - at - key.size());
        value.erase(0, value.find_first_not_of(' '));
        if (command_ == "server") url_ = value;
        return true;
      }
      if (std::optional<int> code = WaitExit(pid_, 0s)) {
        ADD_FAILURE() << command_ << " " << id_ << " exited with " << *code << ":\n" << log();
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << command_ << " " << id_ << " printed no banner in time:\n" << log();
    return false;
  }

  // Sends `signal` and reaps the process; its exit code, or nullopt if it is not running or did
  // not exit within `timeout`.
  std::optional<int> Stop(int signal = SIGTERM,
                          std::chrono::steady_clock::duration timeout = kCommandTimeout) {
    if (pid_ <= 0) return std::nullopt;
    ::kill(pid_, signal);
    std::optional<int> code = WaitExit(pid_, timeout);
    if (code) pid_ = -1;
    return code;
  }
  void Signal(int signal) const {
    if (pid_ > 0) ::kill(pid_, signal);
  }

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  const std::string& id() const { return id_; }
  const std::string& url() const { return url_; }
  std::string out_path() const {
    return dir_ + "/" + command_ + "." + std::to_string(starts_) + ".out";
  }
  std::string err_path() const {
    return dir_ + "/" + command_ + "." + std::to_string(starts_) + ".err";
  }
  std::string log() const { return ReadFile(err_path()); }

 private:
  std::string command_, id_, dir_;
  std::vector<std::string> args_;
  Env env_;
  std::string binary_;
  pid_t pid_ = -1;
  int starts_ = 0;
  std::string url_;
};

// Every task of the store, through the server's paged list; empty (with a test failure) when
// a page cannot be read.
inline std::vector<Json> ListAllTasks(const std::string& url, const std::string& query = "") {
  std::vector<Json> all;
  std::string after;
  while (true) {
    std::string path = "/v1/tasks?limit=1000" + query;
    if (!after.empty()) path += "&after=" + after;
    Answer page = Get(url, path);
    if (page.status != 200) {
      ADD_FAILURE() << "GET " << path << ": " << page.status;
      return {};
    }
    for (Json& t : page.body["tasks"]) all.push_back(std::move(t));
    if (!page.body.contains("next")) return all;
    after = page.body["next"].get<std::string>();
  }
}

}  // namespace taskly::cli::testing
