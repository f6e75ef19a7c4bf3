// Test support for the `taskly` command's integration tests: run the real binary (its path is
// TASKLY_BINARY, set by CMake) with a bounded wait, and start `taskly server` on a free
// loopback port (port 0; the URL is read from the banner) in a temporary directory, stopping it
// by its process id.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace taskly::cli::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// Sanitizer builds are several times slower; every wait below is bounded by these.
inline constexpr auto kCommandTimeout = std::chrono::seconds(60);
inline constexpr auto kStartTimeout = std::chrono::seconds(60);

// A fresh directory under /tmp, removed with everything in it at the end of the scope.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/taskly-cli-test-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (made == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    path_ = made;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

using Env = std::map<std::string, std::string>;

// This process's environment without TASKLY_* variables (the tests set what they mean), plus
// `extra`.
inline std::vector<std::string> ChildEnvironment(const Env& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("TASKLY_")) continue;
    env.emplace_back(*e);
  }
  for (const auto& [key, value] : extra) env.push_back(key + "=" + value);
  return env;
}

// Starts `binary args...` (by default `taskly`) with stdin from /dev/null and stdout/stderr into
// the given files.
inline pid_t Spawn(const std::vector<std::string>& args, const Env& env, const std::string& cwd,
                   const std::string& out_path, const std::string& err_path,
                   const std::string& binary = TASKLY_BINARY) {
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = ChildEnvironment(env);
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = -1;
  const int error = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    ADD_FAILURE() << "posix_spawn " << binary << ": " << std::strerror(error);
    return -1;
  }
  return pid;
}

// Waits for `pid` until `timeout`; its exit code (128 + signal if killed), or nullopt when it
// is still running.
inline std::optional<int> WaitExit(pid_t pid, std::chrono::steady_clock::duration timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (done < 0) return -1;
    if (std::chrono::steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;

  Json json() const {
    Json j = Json::parse(out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << out;
    return j;
  }
};

inline std::ostream& operator<<(std::ostream& os, const CliRun& r) {
  return os << "exit " << r.code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

// Runs `taskly args...` to completion (killed, and the test failed, after `timeout`).
inline CliRun RunTaskly(const std::vector<std::string>& args, const Env& env = {},
                        const std::string& cwd = "",
                        std::chrono::steady_clock::duration timeout = kCommandTimeout) {
  TempDir io;
  CliRun run;
  const pid_t pid = Spawn(args, env, cwd, io / "out", io / "err");
  if (pid < 0) return run;
  std::optional<int> code = WaitExit(pid, timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    code = WaitExit(pid, kCommandTimeout);
    ADD_FAILURE() << "taskly did not finish in time; killed";
  }
  run.code = code.value_or(-1);
  run.out = ReadFile(io / "out");
  run.err = ReadFile(io / "err");
  return run;
}

// Flags that let exec tasks run here: as root, the server needs a user to run commands as.
inline std::vector<std::string> ExecFlags() {
  std::vector<std::string> flags = {"--allow-exec"};
  if (::geteuid() == 0) {
    flags.push_back("--exec-user");
    flags.push_back("nobody");
  }
  return flags;
}

// One `taskly server` process: started in `dir` (its working directory; the data dir is
// `dir`/taskly-data unless the args say otherwise) on 127.0.0.1:0. `binary` may name another
// program built over RunCli (the crash tests' ledger server).
class Server {
 public:
  Server(const std::string& dir, std::vector<std::string> args, Env env = {},
         std::string binary = TASKLY_BINARY)
      : dir_(dir), args_(std::move(args)), env_(std::move(env)), binary_(std::move(binary)) {}
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)WaitExit(pid_, kCommandTimeout);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the process and waits for its banner; false (with a test failure) if it exits or
  // prints no URL in time.
  bool Start() {
    std::vector<std::string> args = {"server", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), args_.begin(), args_.end());
    pid_ = Spawn(args, env_, dir_, out_path(), err_path(), binary_);
    if (pid_ < 0) return false;
    const auto until = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < until) {
      const std::string out = ReadFile(out_path());
      const size_t at = out.find("url:");
      const size_t end = out.find('\n', at);
      if (at != std::string::npos && end != std::string::npos) {
        std::string url = out.substr(at + 4, end - at - 4);
        url.erase(0, url.find_first_not_of(' '));
        url_ = url;
        return true;
      }
      if (std::optional<int> code = WaitExit(pid_, 0s)) {
        ADD_FAILURE() << "taskly server exited with " << *code << ":\n" << ReadFile(err_path());
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "taskly server printed no URL in time:\n" << ReadFile(err_path());
    return false;
  }

  // Sends `signal` and waits for the exit code (nullopt if it is still running at `timeout`).
  std::optional<int> Stop(int signal = SIGTERM,
                          std::chrono::steady_clock::duration timeout = kCommandTimeout) {
    if (pid_ <= 0) return std::nullopt;
    ::kill(pid_, signal);
    std::optional<int> code = WaitExit(pid_, timeout);
    if (code) pid_ = -1;
    return code;
  }

  pid_t pid() const { return pid_; }
  const std::string& url() const { return url_; }
  std::string out_path() const { return dir_ + "/server.out"; }
  std::string err_path() const { return dir_ + "/server.err"; }
  std::string banner() const { return ReadFile(out_path()); }
  std::string log() const { return ReadFile(err_path()); }
  // The client environment: this server, and its token through the data dir's token file.
  Env client_env(const std::string& data_dir = "") const {
    return {{"TASKLY_SERVER", url_},
            {"TASKLY_DATA_DIR", data_dir.empty() ? dir_ + "/taskly-data" : data_dir}};
  }

 private:
  std::string dir_;
  std::vector<std::string> args_;
  Env env_;
  std::string binary_;
  pid_t pid_ = -1;
  std::string url_;
};

// Polls `predicate` every 20ms until it holds or `timeout` passes; returns whether it held.
template <typename Predicate>
bool PollUntil(Predicate predicate, std::chrono::steady_clock::duration timeout = 30s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return predicate();
}

}  // namespace taskly::cli::testing
