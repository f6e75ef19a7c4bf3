#include "store/sqlite/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

namespace taskly::sqlite {
namespace {

// The database and its -wal and -shm files hold every task's payload, so only their owner may
// read them. SQLite creates the -wal and -shm files with the database file's permissions, so a
// missing database is created here with mode 0600 before SQLite opens it (an empty file is an
// empty database), and files that an earlier run left readable by group or others are narrowed
// to their owner's bits. Failures are left for SQLite's open to report.
void MakeFilesPrivate(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);  // the umask cannot widen 0600, but an ACL default could
    ::close(fd);
    return;
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const std::string file = path + suffix;
    struct stat st {};
    if (::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
      ::chmod(file.c_str(), st.st_mode & 07700);
    }
  }
}

// Strings are bound in place (SQLITE_STATIC): the statement is reset before the data goes.
const sqlite3_destructor_type kStatic = nullptr;

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  // SQLITE_BUSY means another connection holds the lock: the caller may retry later.
  StatusCode code = (rc & 0xff) == SQLITE_BUSY ? StatusCode::kUnavailable : StatusCode::kInternal;
  return Status(code, std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Database::~Database() { sqlite3_close_v2(db_); }

Result<Database> Database::Open(const std::string& path) {
  MakeFilesPrivate(path);
  sqlite3* db = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (see the header), so SQLite's
  // per-connection mutex would only cost time.
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database out(db);  // closes `db` on every path below, even when the open failed
  if (rc != SQLITE_OK) {
    return Status(StatusCode::kUnavailable, "cannot open sqlite store at " + path + ": " +
                                                (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db, 1);
  return out;
}

Status Database::exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status() : error(rc, sql);
}

Result<std::string> Database::query_text(const std::string& sql) {
  Result<Statement> stmt = Statement::Prepare(*this, sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  return *row ? stmt->text(0) : std::string();
}

Status Database::error(int rc, std::string_view what) const { return SqliteError(db_, rc, what); }

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Result<Statement> Statement::Prepare(Database& db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return db.error(rc, "preparing \"" + std::string(sql) + "\"");
  return Statement(stmt);
}

void Statement::bind(int i, std::string_view text) {
  sqlite3_bind_text64(stmt_, i, text.data(), text.size(), kStatic, SQLITE_UTF8);
}

void Statement::bind_blob(int i, std::string_view bytes) {
  // A zero-length blob, not NULL: data() of an empty string_view may be null.
  if (bytes.empty()) {
    sqlite3_bind_zeroblob(stmt_, i, 0);
  } else {
    sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), kStatic);
  }
}

void Statement::bind(int i, const std::optional<TimePoint>& t) {
  if (t) {
    bind(i, *t);
  } else {
    bind_null(i);
  }
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = error(rc);
  sqlite3_reset(stmt_);
  return s;
}

Status Statement::run() {
  Result<bool> r = step();
  sqlite3_reset(stmt_);
  return r.status();
}

std::string Statement::text(int c) const {
  // column_blob returns the bytes as stored whatever the declared type, NULs included.
  const void* data = sqlite3_column_blob(stmt_, c);
  int size = sqlite3_column_bytes(stmt_, c);
  if (data == nullptr || size <= 0) return std::string();
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

std::optional<TimePoint> Statement::optional_time(int c) const {
  if (is_null(c)) return std::nullopt;
  return time(c);
}

Status Statement::error(int rc) const {
  return SqliteError(sqlite3_db_handle(stmt_), rc, std::string("\"") + sqlite3_sql(stmt_) + "\"");
}

}  // namespace taskly::sqlite
