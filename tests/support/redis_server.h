// A private redis-server for tests: started on a free loopback port in a fresh temporary
// directory, and stopped (by its pid, never by name) and removed when the RedisServer is
// destroyed. Tests never touch any other Redis.
//
//   std::unique_ptr<RedisServer> redis = RedisServer::Start();
//   ASSERT_NE(redis, nullptr) << RedisServer::last_error();
//   options.url = redis->url();
//
// The server runs with `--bind 127.0.0.1 --save '' --appendonly yes --appendfsync always
// --maxmemory-policy noeviction`, its AOF under the temporary directory; `extra_args` are
// appended and so override these (redis takes the last value of a repeated option).
//
// Redis cannot listen on port 0, so a free port is found by binding a socket to port 0 and
// closing it; another process may take the port before redis does, in which case the start is
// retried on another port.
//
// Thread-safety: not thread-safe; one test (or one test environment) owns a server.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace taskly::testing {

class RedisServer {
 public:
  struct Options {
    std::vector<std::string> extra_args;  // e.g. {"--maxmemory-policy", "allkeys-lru"}
  };

  // Starts a server and waits until it answers PING. Returns nullptr on failure; last_error()
  // then says why (the server's log included).
  static std::unique_ptr<RedisServer> Start(Options options = {}) {
    std::string dir = (std::filesystem::temp_directory_path() / "taskly-redis-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) {
      LastError() = "mkdtemp failed for " + dir;
      return nullptr;
    }
    std::unique_ptr<RedisServer> server(new RedisServer(std::move(options), dir));
    for (int attempt = 0; attempt < 10; ++attempt) {
      int port = FreePort();
      if (port <= 0) {
        LastError() = "no free loopback port";
        return nullptr;
      }
      if (server->Launch(port)) return server;
      if (server->Log().find("Address already in use") == std::string::npos) return nullptr;
    }
    return nullptr;
  }

  static std::string& last_error() { return LastError(); }

  ~RedisServer() {
    Stop(SIGTERM);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // The server's process id (benchmarks read its CPU time from /proc); -1 when stopped.
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string url(int db = 0) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }

  // Stops the server with `signal` (SIGTERM: a clean shutdown; SIGKILL: a crash) and starts
  // it again on the same port and directory, so it reloads its AOF. False on failure.
  bool Restart(int signal) {
    Stop(signal);
    return Launch(port_);
  }

  // Restart() in two steps, for a test that looks at its clients while the server is down:
  // Kill() stops it with `signal`; Relaunch() starts it again on the same port and directory.
  void Kill(int signal) { Stop(signal); }
  bool Relaunch() { return Launch(port_); }

  // Sends a raw inline command and returns the first line of the reply ("+PONG"), or "" if the
  // server did not answer.
  std::string Command(const std::string& inline_command) const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return "";
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr = Loopback(port_);
    std::string line;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      std::string request = inline_command + "\r\n";
      if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
        char c;
        while (read(fd, &c, 1) == 1 && c != '\r') line.push_back(c);
      }
    }
    close(fd);
    return line;
  }

 private:
  RedisServer(Options options, std::string dir)
      : options_(std::move(options)), dir_(std::move(dir)) {}

  static std::string& LastError() {
    static std::string error;
    return error;
  }

  static sockaddr_in Loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr = Loopback(0);
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
  }

  std::string Log() const {
    std::ifstream in(dir_ + "/redis.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Starts redis-server on `port` and waits for PING. On failure the process is reaped.
  bool Launch(int port) {
    port_ = port;
    std::vector<std::string> args = {"/usr/bin/redis-server",
                                     "--port",
                                     std::to_string(port),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "yes",
                                     "--appendfsync",
                                     "always",
                                     "--dir",
                                     dir_,
                                     "--logfile",
                                     dir_ + "/redis.log",
                                     "--daemonize",
                                     "no",
                                     "--maxmemory-policy",
                                     "noeviction"};
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      LastError() = "cannot start /usr/bin/redis-server: " + std::string(strerror(rc));
      return false;
    }
    pid_ = pid;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        LastError() = "redis-server exited at start; its log:\n" + Log();
        return false;
      }
      if (Command("PING") == "+PONG") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    LastError() = "redis-server did not answer PING within 10 s; its log:\n" + Log();
    Stop(SIGKILL);
    return false;
  }

  // Signals the server and reaps it; SIGKILL after 10 s if it has not exited.
  void Stop(int signal) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > give_up) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

  Options options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace taskly::testing
