// The exit codes of the `taskly` command (documented in docs/cli.md), and the values commands
// return: an exit code with, when the command failed, the message for stderr.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace taskly::cli {

enum class ExitCode : int {
  kOk = 0,
  kServerError = 1,  // the server answered with an error (4xx, 5xx), or `taskly server` failed
  kUsage = 2,        // a bad command line, environment variable or config file value
  kUnreachable = 3,  // the server could not be reached (connection refused, timeout, DNS)
  kTaskFailed = 4,   // --wait: the task ended dead, cancelled or expired
  kWaitTimeout = 5,  // --wait: --wait-timeout passed before the task ended
};

// How a command ended: its exit code and, when not empty, a one-line message that main()
// prints to stderr as "taskly: <message>".
struct Exit {
  ExitCode code = ExitCode::kOk;
  std::string message;
};

inline Exit Ok() { return {}; }
inline Exit UsageError(std::string message) { return {ExitCode::kUsage, std::move(message)}; }

// A value, or the Exit of a command that cannot go on; like taskly::Result with an exit code.
template <typename T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}   // NOLINT: implicit by design
  Expected(Exit exit) : v_(std::move(exit)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  // REQUIRES: ok().
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok().
  const Exit& exit() const { return std::get<Exit>(v_); }

 private:
  std::variant<T, Exit> v_;
};

}  // namespace taskly::cli
