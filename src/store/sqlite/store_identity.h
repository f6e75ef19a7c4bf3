// The store's identity: a random id created with the database, kept in its `meta` table
// (`store_id`) and in an identity file beside it (`<path>.id`). The file outlives a database
// that is deleted or truncated, so a data directory that once held a store is never silently
// re-initialised: an empty or missing database beside an identity file is refused unless the
// caller asks for a new store (SqliteStoreOptions::init).
//
// Thread-safety: functions of their arguments; the caller holds the database's exclusive lock
// for RecordIdentity.
#pragma once

#include <string>

#include "store/sqlite/database.h"
#include "taskly/status.h"

namespace taskly::sqlite {

// The identity file of the database at `path`.
std::string IdentityPath(const std::string& path);

// Before the database is opened (and perhaps created): FailedPrecondition naming both files when
// the identity file exists but the database is missing or empty, unless `init`.
Status CheckDatabasePresent(const std::string& path, bool init);

// After the schema is in place: gives a database without an identity a new one (a new store, or
// one created before identities existed), and writes the identity file when it is missing or,
// with `init`, stale. FailedPrecondition when the identity file names another store than the
// database (without `init`); Unavailable when the file cannot be written.
Status RecordIdentity(Database& db, const std::string& path, bool init);

}  // namespace taskly::sqlite
