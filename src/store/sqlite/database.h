// A thin RAII layer over the sqlite3 C API: a connection (`Database`) and a prepared statement
// (`Statement`), with errors turned into Status values that carry SQLite's own message.
//
// Thread-safety: neither class is thread-safe. A connection and its statements are used by one
// thread at a time; handing them to another thread needs a happens-before edge (a mutex, thread
// creation).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "taskly/clock.h"
#include "taskly/status.h"

namespace taskly::sqlite {

class Database {
 public:
  Database() = default;
  Database(Database&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Opens (creating if missing) the database file at `path`, for one thread at a time. The
  // file is created with mode 0600 (so are SQLite's -wal and -shm beside it), and existing ones
  // that group or others may access are narrowed to the owner's permissions.
  // kUnavailable with SQLite's reason if it cannot be opened.
  static Result<Database> Open(const std::string& path);

  // Runs one or more statements that return no rows the caller needs.
  Status exec(const std::string& sql);
  // Runs a statement returning one text value (e.g. a PRAGMA); empty if it returned no row.
  Result<std::string> query_text(const std::string& sql);

  // A Status for SQLite result code `rc` on this connection: `what` and SQLite's message.
  Status error(int rc, std::string_view what) const;

  sqlite3* get() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Prepares `sql` on `db` for repeated use.
  static Result<Statement> Prepare(Database& db, std::string_view sql);

  // Binders take 1-based parameter indexes. Strings are bound without a copy: the bound data
  // must stay alive until the next reset(); every use binds every parameter again.
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void bind(int i, std::string_view text);  // TEXT (may hold any bytes; length is explicit)
  void bind_blob(int i, std::string_view bytes);
  void bind(int i, TimePoint t) { bind(i, t.time_since_epoch().count()); }
  void bind(int i, Duration d) { bind(i, d.count()); }
  void bind(int i, const std::optional<TimePoint>& t);  // NULL when absent
  void bind_null(int i) { sqlite3_bind_null(stmt_, i); }

  // Steps once: true if a row is available, false when done; an error otherwise.
  Result<bool> step();
  // Steps a statement that returns no rows, then resets it.
  Status run();
  void reset() { sqlite3_reset(stmt_); }
  // Rows changed by the last statement run on this statement's connection.
  int64_t changes() const { return sqlite3_changes64(sqlite3_db_handle(stmt_)); }

  // Column readers take 0-based column indexes.
  int64_t int64(int c) const { return sqlite3_column_int64(stmt_, c); }
  double real(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) const;  // TEXT or BLOB bytes; "" for NULL
  bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  TimePoint time(int c) const { return TimePoint(Duration(int64(c))); }
  Duration duration(int c) const { return Duration(int64(c)); }
  std::optional<TimePoint> optional_time(int c) const;

 private:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Status error(int rc) const;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace taskly::sqlite
