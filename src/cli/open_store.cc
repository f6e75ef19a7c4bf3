#include "cli/open_store.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>

#include "taskly/redis_store.h"
#include "taskly/sqlite_store.h"

namespace taskly::cli {
namespace {

// Logs a stored row that cannot be decoded; the store skips it and serves the rest.
void LogDamagedRow(const Status& why) {
  spdlog::error("{} (the row is left as it is; the rest of the store is served)", why.message());
}

// `remote`: the store is a server over the network, so kUnavailable means it cannot be reached
// (SQLite says kUnavailable of a locked or unreadable file).
Exit OpenError(const Status& s, bool remote) {
  const ExitCode code = remote && s.code() == StatusCode::kUnavailable ? ExitCode::kUnreachable
                                                                       : ExitCode::kServerError;
  return Exit{code, "cannot open the store: " + s.ToString()};
}

}  // namespace

Expected<OpenedStore> OpenStore(const std::string& spec, const RetentionPolicy& retention,
                                bool init) {
  OpenedStore opened;
  if (spec == "memory") {
    opened.store = NewMemoryStore({.retention = retention});
    opened.coordinator = NewLocalCoordinator();
    opened.description = "memory (not durable: tasks are lost when the process stops)";
    return opened;
  }
  if (spec.starts_with("redis://")) {
    RedisStoreOptions options;
    options.url = spec;
    options.retention = retention;
    options.on_damaged_row = LogDamagedRow;
    Result<std::unique_ptr<Store>> store = OpenRedisStore(options);
    if (!store.ok()) return OpenError(store.status(), true);
    Result<std::unique_ptr<Coordinator>> coordinator = OpenRedisCoordinator(options);
    if (!coordinator.ok()) return OpenError(coordinator.status(), true);
    opened.store = std::move(*store);
    opened.coordinator = std::move(*coordinator);
    const size_t at = spec.rfind('@');  // the URL without its password
    opened.description = at == std::string::npos ? spec : "redis://" + spec.substr(at + 1);
    opened.shared = true;
    return opened;
  }
  SqliteStoreOptions options;
  options.path = spec.substr(std::strlen("sqlite:"));
  options.retention = retention;
  options.init = init;
  options.on_damaged_row = LogDamagedRow;
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(options);
  if (!store.ok()) return OpenError(store.status(), false);
  opened.store = std::move(*store);
  opened.coordinator = NewLocalCoordinator();
  opened.description = "sqlite:" + std::filesystem::absolute(options.path).string();
  return opened;
}

std::string DefaultNodeId() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) std::strcpy(host.data(), "localhost");
  return std::string(host.data()) + "-" + std::to_string(::getpid());
}

}  // namespace taskly::cli
