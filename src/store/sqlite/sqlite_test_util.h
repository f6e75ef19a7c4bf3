// Helpers for the SQLite store's tests: a temporary directory, and raw access to a database file
// (with the store closed) to check what is really on disk.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/sqlite/database.h"

namespace taskly::sqlite {

// A fresh directory under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "taskly-sqlite-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs `sql` (one value) on the database file at `path` through a connection of its own.
inline std::string RawQuery(const std::string& path, const std::string& sql) {
  Result<Database> db = Database::Open(path);
  if (!db.ok()) {
    ADD_FAILURE() << db.status().ToString();
    return "";
  }
  Result<std::string> value = db->query_text(sql);
  if (!value.ok()) {
    ADD_FAILURE() << value.status().ToString();
    return "";
  }
  return *value;
}

inline void RawExec(const std::string& path, const std::string& sql) {
  Result<Database> db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status s = db->exec(sql);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

}  // namespace taskly::sqlite
