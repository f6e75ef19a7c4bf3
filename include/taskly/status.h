// File: taskly/status.h
//
// Errors are values across taskly's API: every fallible call returns a `Status` or a
// `Result<T>`, never throws. Codes are canonical (after Abseil's) so that each maps to one HTTP
// status in one place. A `Status` may name the input `field` it is about ("cron.minute",
// "timeout"), so that surfaces can tell users exactly what to fix.
//
//   Result<EnqueueResult> r = store.enqueue_one(spec);
//   if (!r.ok()) return r.status();
//   use(r->id);
//
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace taskly {

enum class StatusCode {
  kOk = 0,
  kCancelled,           // the operation or task was cancelled
  kInvalidArgument,     // bad input; `field` names it
  kDeadlineExceeded,    // a timeout or deadline passed
  kNotFound,            // no such task, schedule or queue
  kAlreadyExists,       // a unique key or id already taken
  kFailedPrecondition,  // wrong state for this operation (e.g. cancel a finished task)
  kAborted,             // a compare-and-set lost: stale lease token
  kResourceExhausted,   // a limit was hit
  kUnavailable,         // the backend cannot be reached now; retry later
  kInternal,            // a broken invariant
  kPermissionDenied,    // refused by policy (e.g. exec tasks disabled)
  kUnauthenticated,     // missing or wrong credentials
};

// Returns the canonical lower-case name of `code` ("invalid_argument").
std::string_view StatusCodeName(StatusCode code);

// An OK Status is one null pointer: statuses are returned by every store call, most are OK,
// and a per-task path builds several, so an OK one costs no more than a pointer to make, move
// and destroy. An error keeps its code, message and field out of line.
class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, std::string field = {}) {
    if (code != StatusCode::kOk || !message.empty() || !field.empty()) {
      rep_ = std::make_unique<Rep>(Rep{code, std::move(message), std::move(field)});
    }
  }
  Status(const Status& other) : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }

  bool ok() const { return code() == StatusCode::kOk; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const { return rep_ ? rep_->message : Empty(); }
  // The input field the error is about, or empty.
  const std::string& field() const { return rep_ ? rep_->field : Empty(); }

  // "invalid_argument: cron.minute: value 61 out of range 0-59 in \"61\""
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message() && a.field() == b.field();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    std::string field;
  };
  static const std::string& Empty() {
    static const std::string kEmpty;
    return kEmpty;
  }

  std::unique_ptr<Rep> rep_;  // null: OK
};

inline Status InvalidArgument(std::string field, std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message), std::move(field));
}
inline Status NotFound(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status FailedPrecondition(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}
inline Status PermissionDenied(std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message));
}
inline Status Aborted(std::string message) {
  return Status(StatusCode::kAborted, std::move(message));
}

// Result<T> holds a T or a non-OK Status.
// REQUIRES: a Result is never built from an OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace taskly
