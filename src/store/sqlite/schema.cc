#include "store/sqlite/schema.h"

namespace taskly::sqlite {
namespace {

// No secondary indexes: every read is served from memory, and the file is read whole on open.
constexpr char kCreateSchema[] = R"sql(
CREATE TABLE tasks (
  id TEXT PRIMARY KEY NOT NULL,
  type TEXT NOT NULL,
  payload BLOB NOT NULL,
  queue TEXT NOT NULL,
  priority INTEGER NOT NULL,
  deadline INTEGER,
  timeout INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  backoff_initial INTEGER NOT NULL,
  backoff_cap INTEGER NOT NULL,
  backoff_multiplier REAL NOT NULL,
  run_at INTEGER,
  unique_key TEXT NOT NULL,
  unique_ttl INTEGER NOT NULL,
  labels TEXT NOT NULL,
  period INTEGER NOT NULL,
  schedule_id TEXT NOT NULL,
  tick_due INTEGER,
  state TEXT NOT NULL,
  seq INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  lease_token INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  ready_at INTEGER NOT NULL,
  scheduled_for INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  checkpoint BLOB NOT NULL,
  result BLOB NOT NULL,
  last_error TEXT NOT NULL,
  worker TEXT NOT NULL
);
CREATE TABLE queues (
  name TEXT PRIMARY KEY NOT NULL,
  policy TEXT NOT NULL,
  aging_step INTEGER NOT NULL,
  concurrency INTEGER NOT NULL,
  rate REAL NOT NULL,
  burst INTEGER NOT NULL,
  weight INTEGER NOT NULL,
  paused INTEGER NOT NULL,
  deadline_misses INTEGER NOT NULL
);
CREATE TABLE ticks (
  schedule_id TEXT PRIMARY KEY NOT NULL,
  due INTEGER NOT NULL,
  task_id TEXT NOT NULL
);
CREATE TABLE schedules (
  id TEXT PRIMARY KEY NOT NULL,
  spec TEXT NOT NULL,
  payload BLOB NOT NULL,
  last_due INTEGER
);
CREATE TABLE meta (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
)sql";

// An error met while opening `path`: a busy database is held by another store; anything else
// means the file cannot serve as a store.
Status OpenError(const std::string& path, const Status& s) {
  if (s.code() == StatusCode::kUnavailable) {
    return Status(StatusCode::kUnavailable,
                  "sqlite store " + path +
                      " is locked: another store, in this or another process, has it open");
  }
  return Status(StatusCode::kUnavailable,
                "cannot open sqlite store at " + path + ": " + s.message());
}

Status CreateOrCheckSchema(Database& db, const std::string& path) {
  Result<std::string> version = db.query_text("PRAGMA user_version");
  if (!version.ok()) return OpenError(path, version.status());
  const std::string expected = std::to_string(kSchemaVersion);
  if (*version == expected) return Status();
  if (*version != "0") {
    return FailedPrecondition("sqlite store " + path + " has schema version " + *version +
                              "; this build of taskly reads schema version " + expected);
  }
  Result<std::string> tables = db.query_text("SELECT count(*) FROM sqlite_master");
  if (!tables.ok()) return OpenError(path, tables.status());
  if (*tables != "0") {
    return FailedPrecondition("sqlite store " + path +
                              " is a database that taskly did not create (schema version 0, "
                              "with tables); this build of taskly reads schema version " +
                              expected);
  }
  Status s = db.exec("BEGIN; " + std::string(kCreateSchema) + "PRAGMA user_version = " + expected +
                     "; COMMIT;");
  if (!s.ok()) {
    (void)db.exec("ROLLBACK");
    return OpenError(path, s);
  }
  return Status();
}

}  // namespace

Result<Database> OpenStoreDatabase(const std::string& path, SqliteSync sync) {
  if (path.empty()) return InvalidArgument("path", "the sqlite store needs a file path");
  Result<Database> db = Database::Open(path);
  if (!db.ok()) return db.status();

  // Exclusive locking mode, set before the first access: the first transaction takes the
  // file's lock and the connection keeps it until it closes, so no other connection (of any
  // process) can read or write underneath the in-memory state. With it, WAL needs no
  // shared-memory index either.
  if (Status s = db->exec("PRAGMA locking_mode = EXCLUSIVE"); !s.ok()) return OpenError(path, s);
  // In WAL mode, FULL syncs the WAL on every commit: an acknowledged write has been fsync'd.
  // NORMAL syncs it only at checkpoints. Set first, so that it also governs creating the file.
  const char* synchronous = sync == SqliteSync::kFull ? "FULL" : "NORMAL";
  if (Status s = db->exec(std::string("PRAGMA synchronous = ") + synchronous); !s.ok()) {
    return OpenError(path, s);
  }
  Result<std::string> mode = db->query_text("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return OpenError(path, mode.status());
  if (*mode != "wal") {
    return Status(StatusCode::kUnavailable, "cannot open sqlite store at " + path +
                                                ": WAL mode is not available (journal mode is " +
                                                *mode + ")");
  }
  if (Status s = db->exec("BEGIN EXCLUSIVE; COMMIT"); !s.ok()) return OpenError(path, s);

  if (Status s = CreateOrCheckSchema(*db, path); !s.ok()) return s;
  return db;
}

}  // namespace taskly::sqlite
