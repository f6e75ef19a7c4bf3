// GET /v1/backup: an online backup of a SQLite store, streamed to the client. The copy is made
// by the store (BackupSqliteStore: consistent, holding every acknowledged write) into a private
// temporary directory, sent, and deleted.
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "server/routes.h"
#include "taskly/sqlite_store.h"

namespace taskly::server {
namespace {

// A new directory only this user can enter, under `parent` (or the system's temporary one).
Result<std::string> PrivateDirectory(const std::string& parent) {
  std::error_code error;
  const std::string base =
      parent.empty() ? std::filesystem::temp_directory_path(error).string() : parent;
  std::string pattern = base + "/.taskly-backup-XXXXXX";
  if (error || ::mkdtemp(pattern.data()) == nullptr) {
    return Status(StatusCode::kUnavailable, "cannot create a directory for the backup in " + base +
                                                ": " +
                                                std::strerror(error ? error.value() : errno));
  }
  return pattern;
}

}  // namespace

void AddBackupRoutes(Router& router, ApiContext& ctx) {
  router.Add("GET", "/v1/backup", [&ctx](const ApiRequest&) {
    Result<std::string> dir = PrivateDirectory(ctx.options.backup_dir);
    if (!dir.ok()) return ErrorReply(dir.status());
    const std::string path = *dir + "/taskly.db";
    Status s = BackupSqliteStore(ctx.scheduler.store(), path);
    if (!s.ok()) {
      std::error_code ignored;
      std::filesystem::remove_all(*dir, ignored);
      return ErrorReply(s);
    }
    return Reply{.file = path,
                 .content_type = "application/vnd.sqlite3",
                 .headers = {{"Content-Disposition", R"(attachment; filename="taskly.db")"}}};
  });
}

}  // namespace taskly::server
