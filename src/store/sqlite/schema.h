// Opening the store's database file: the exclusive lock, WAL mode, durability settings, and the
// versioned schema (created in a new file, checked in an existing one).
//
// Tables (times and durations are int64 nanoseconds since the Unix epoch / in length; states and
// policies are stored by name so that the file reads well in the sqlite3 shell):
//   tasks      one row per task: the spec's fields (labels as a JSON object) and the task's.
//   queues     one row per queue: config, paused, cumulative deadline misses.
//   ticks      per schedule id: the latest tick due enqueued and its task id (idempotency).
//   schedules  per schedule id: the ScheduleSpec as JSON (src/codec) but for its task template's
//              payload, kept as bytes beside it (the codec would re-encode it), and its cursor.
//   meta       key/value: `last_id`, the largest task id ever issued; `store_id`, the store's
//              identity (store_identity.h).
//
// Thread-safety: a function of its arguments.
#pragma once

#include <string>

#include "store/sqlite/database.h"
#include "taskly/sqlite_store.h"

namespace taskly::sqlite {

// The schema this build reads and writes (PRAGMA user_version). Raise it with every change of
// the tables.
inline constexpr int kSchemaVersion = 1;

// Opens `path` for the store: takes the exclusive lock (held until the connection closes),
// switches to WAL, sets `sync`, and creates or checks the schema. Errors as OpenSqliteStore
// documents them, each naming `path`.
Result<Database> OpenStoreDatabase(const std::string& path, SqliteSync sync);

}  // namespace taskly::sqlite
