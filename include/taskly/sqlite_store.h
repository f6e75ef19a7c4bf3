// File: taskly/sqlite_store.h
//
// The SQLite backend: the embedded, durable default store for one machine.
// It keeps the whole Store contract (store.h) in one database file, and survives a crash of the
// process or of the machine:
//
//  - Durability: every call that changes state (enqueue, claim, complete, fail, yield, cancel,
//    retry, set_queue, pause_queue, maintain, the schedule calls) returns only after its change
//    is committed, and, with the default `synchronous`, fsync'd. Writes of all callers are
//    batched by one writer thread into one transaction per commit (group commit), so many
//    tasks share one fsync. heartbeat() is not written: leases do not outlive the process.
//  - Restart: opening a database restores every task, queue (config, pause state, cumulative
//    deadline misses), schedule (definition and cursor) and tick idempotency key. Tasks that
//    were active when the process stopped are redelivered: pending again with the attempt they
//    started already counted, or dead (quarantined) when that was their last attempt, exactly as
//    an expired lease is recovered.
//  - Exclusivity: one open store per database file. A second open of the same file, from this
//    or another process, fails until the first is closed (or its process has exited).
//  - Reads (get, list, queues, list_schedules, claim decisions) are served from memory: the
//    ready sets and every stored task are held in memory and rebuilt from the file on open.
//    Memory use therefore grows with the tasks kept, terminal ones included until retention
//    deletes them.
//  - Retention deletes terminal tasks' rows, payload and result included.
//  - If a write fails (disk full, I/O error), the store stops: that call and every later call
//    that changes state returns kUnavailable, and reads may show changes that were not saved.
//    Reopen the store to continue from what was committed.
//
// The database's schema is versioned (PRAGMA user_version); a file written by another version
// of the schema is refused, never altered.
//
// Thread-safety: the returned Store is thread-safe, like every Store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "taskly/clock.h"
#include "taskly/status.h"
#include "taskly/store.h"

namespace taskly {

// When a commit is durable.
enum class SqliteSync : uint8_t {
  // Every commit is fsync'd before the calls in it return (PRAGMA synchronous=FULL in WAL
  // mode): an acknowledged write survives a power loss.
  kFull,
  // Commits are fsync'd only at WAL checkpoints (synchronous=NORMAL): an acknowledged write
  // survives a crash of the process but may be lost on a power loss or kernel crash. Meant for
  // tests and throwaway data; never the default.
  kNormal,
};

struct SqliteStoreOptions {
  // The database file; created (with its schema) if missing. Its directory must exist. SQLite
  // also creates `<path>-wal` beside it while the store is open.
  std::string path;
  Clock* clock = nullptr;  // default: RealClock()
  RetentionPolicy retention;
  SqliteSync sync = SqliteSync::kFull;
  // The store's identity is kept in the database and in a file beside it (`<path>.id`), so that
  // a database that was deleted or truncated is noticed: opening a missing or empty database
  // beside an identity file fails (FailedPrecondition) rather than starting an empty store.
  // `init` creates a new, empty store there anyway, and adopts a database whose identity differs
  // from the file's.
  bool init = false;
  // Called during the open for each stored row (a task or a schedule) that cannot be decoded,
  // with an Internal status naming it and saying why. Such a row is left in the file as it is
  // and skipped: the store opens and serves everything else, get() of the task is Internal
  // with the same reason, and damaged_rows() counts them. Default: nothing is said.
  std::function<void(const Status&)> on_damaged_row;
};

// Opens the store at `options.path`. On success the store holds the database's exclusive lock
// until it is destroyed; destroying it waits for the writes in flight and closes the file.
//
// Errors:
//   InvalidArgument ("path")  the path is empty.
//   Unavailable               the file cannot be opened or created (its directory is missing,
//                             permissions, not a database), or another store holds its lock;
//                             the message names the path and the reason.
//   FailedPrecondition        the file holds another schema version than this build's, or is a
//                             database that taskly did not create; the message names both
//                             versions. Also (without `init`) when the database is missing or
//                             empty but its identity file exists, or the identity file names
//                             another store than the database.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options);

// An online backup: writes a consistent copy of `store` (one returned by OpenSqliteStore) into a
// new file at `path` while the store keeps serving. The copy holds every write acknowledged
// before the call; it is a complete database (no `-wal` beside it) that OpenSqliteStore opens
// like the original, redelivering the tasks that were active. Writes wait while it is made
// (VACUUM INTO: about as long as reading the whole database once). The copy is created with
// mode 0600, whatever the umask: it holds every payload.
//
// Errors:
//   FailedPrecondition ("store")  `store` is not a SQLite store.
//   AlreadyExists ("path")        something exists at `path` (it is never overwritten).
//   Unavailable                   the copy could not be written (its directory, permissions, a
//                                 full disk); a partial file is removed.
Status BackupSqliteStore(Store& store, const std::string& path);

}  // namespace taskly
