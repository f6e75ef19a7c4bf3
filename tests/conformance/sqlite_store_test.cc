// Runs the Store conformance suite against the SQLite backend: each test gets a fresh database
// in a fresh temporary directory, removed when the store is destroyed.
#include "taskly/sqlite_store.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include "taskly/store_wrapper.h"
#include "tests/conformance/store_conformance.h"

namespace taskly {
namespace {

// The store under test, owning it and the directory that holds its files.
class TempDirStore final : public StoreWrapper {
 public:
  TempDirStore(std::unique_ptr<Store> store, std::filesystem::path dir)
      : StoreWrapper(*store), store_(std::move(store)), dir_(std::move(dir)) {}
  ~TempDirStore() override {
    store_.reset();  // closes the database before its files go
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

 private:
  std::unique_ptr<Store> store_;
  std::filesystem::path dir_;
};

std::unique_ptr<Store> MakeSqliteStore(Clock* clock, const RetentionPolicy& retention) {
  std::string dir = (std::filesystem::temp_directory_path() / "taskly-sqlite-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << dir;
    return nullptr;
  }
  SqliteStoreOptions options;
  options.path = dir + "/store.db";
  options.clock = clock;
  options.retention = retention;
  // Only here, to keep the suite fast: commits still go through WAL and the group-commit
  // writer, but are not fsync'd one by one. The default (kFull) fsyncs every commit.
  options.sync = SqliteSync::kNormal;
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(options);
  if (!store.ok()) {
    ADD_FAILURE() << "OpenSqliteStore: " << store.status().ToString();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return nullptr;
  }
  return std::make_unique<TempDirStore>(std::move(store).value(), dir);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
                         ::testing::Values(StoreBackend{"sqlite", MakeSqliteStore}),
                         StoreBackendName);

}  // namespace
}  // namespace taskly
