// What the SQLite store does with a data directory that lost its database, and with rows it
// cannot decode: it never silently starts empty where a store was kept, and no stored row stops
// it from opening and serving the rest.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "store/sqlite/sqlite_test_util.h"
#include "store/sqlite/store_identity.h"
#include "taskly/sqlite_store.h"

namespace taskly::sqlite {
namespace {

using ::testing::HasSubstr;

class SqliteDamageTest : public ::testing::Test {
 protected:
  SqliteStoreOptions Options(bool init = false) {
    SqliteStoreOptions options;
    options.path = path_;
    options.clock = &clock_;
    options.sync = SqliteSync::kNormal;
    options.init = init;
    options.on_damaged_row = [this](const Status& s) { reported_.push_back(s); };
    return options;
  }

  std::unique_ptr<Store> Open(bool init = false) {
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(Options(init));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  TaskId Enqueue(Store& store, std::string payload = "") {
    Result<EnqueueResult> r = store.enqueue_one({.type = "t", .payload = std::move(payload)});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : TaskId();
  }

  TempDir dir_;
  const std::string path_ = dir_.file("taskly.db");
  SimulatedClock clock_;
  std::vector<Status> reported_;
};

TEST_F(SqliteDamageTest, ATruncatedDatabaseIsRefusedNotReinitialised) {
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    Enqueue(*store);
  }
  ASSERT_TRUE(std::filesystem::exists(IdentityPath(path_)));
  std::filesystem::resize_file(path_, 0);

  Result<std::unique_ptr<Store>> refused = OpenSqliteStore(Options());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr(path_ + " is empty"));
  EXPECT_THAT(refused.status().message(), HasSubstr(IdentityPath(path_)));
  EXPECT_THAT(refused.status().message(), HasSubstr("--init"));
  EXPECT_EQ(std::filesystem::file_size(path_), 0u) << "the refused open wrote nothing";

  // Asked for explicitly, a new empty store starts there.
  std::unique_ptr<Store> fresh = Open(/*init=*/true);
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->list({}, {.limit = 10})->tasks.empty());
  fresh.reset();
  EXPECT_NE(Open(), nullptr) << "the new store's identity was recorded";
}

TEST_F(SqliteDamageTest, AMissingDatabaseIsRefused) {
  ASSERT_NE(Open(), nullptr);
  std::filesystem::remove(path_);
  Result<std::unique_ptr<Store>> refused = OpenSqliteStore(Options());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr(path_ + " is missing"));
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(SqliteDamageTest, AnotherStoresDatabaseIsRefused) {
  const std::string other = dir_.file("other.db");
  {
    SqliteStoreOptions options = Options();
    options.path = other;
    ASSERT_TRUE(OpenSqliteStore(options).ok());
  }
  ASSERT_NE(Open(), nullptr);
  std::filesystem::copy_file(other, path_, std::filesystem::copy_options::overwrite_existing);
  Result<std::unique_ptr<Store>> refused = OpenSqliteStore(Options());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("not the database that was here"));
  EXPECT_NE(Open(/*init=*/true), nullptr) << "init adopts it";
  EXPECT_NE(Open(), nullptr);
}

TEST_F(SqliteDamageTest, ANewDirectoryNeedsNoInit) {
  EXPECT_NE(Open(), nullptr);
  EXPECT_NE(Open(), nullptr);
  EXPECT_TRUE(reported_.empty());
}

TEST_F(SqliteDamageTest, AnUndecodableTaskRowIsReportedAndTheRestIsServed) {
  TaskId good, bad;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    good = Enqueue(*store, "fine");
    bad = Enqueue(*store, "broken");
  }
  RawExec(path_, "UPDATE tasks SET state = 'bogus' WHERE id = '" + bad + "'");
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_THAT(reported_[0].message(), HasSubstr(bad));
  EXPECT_EQ(store->damaged_rows(), 1);

  Result<Task> damaged = store->get(bad);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::kInternal);
  EXPECT_THAT(damaged.status().message(), HasSubstr("cannot be read"));
  EXPECT_THAT(damaged.status().message(), HasSubstr("bogus"));

  ASSERT_TRUE(store->get(good).ok());
  Result<TaskPage> page = store->list({}, {.limit = 10});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->tasks.size(), 1u);
  EXPECT_EQ(page->tasks[0].id, good);
  Result<std::vector<Lease>> claimed = store->claim({.queues = {"default"}, .worker = "w"});
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().task.id, good);
  // New ids never collide with the damaged row's.
  EXPECT_GT(Enqueue(*store), bad);
  store.reset();
  EXPECT_EQ(RawQuery(path_, "SELECT state FROM tasks WHERE id = '" + bad + "'"), "bogus")
      << "the damaged row is left as it was";
}

TEST_F(SqliteDamageTest, AnUndecodableScheduleIsReportedAndTheRestTick) {
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    for (const char* id : {"a", "b"}) {
      ScheduleSpec spec{.id = id, .every = std::chrono::seconds(10)};
      spec.task.type = "t";
      ASSERT_TRUE(store->put_schedule(spec).ok());
    }
  }
  RawExec(path_, "UPDATE schedules SET spec = '{\"every\": 12' WHERE id = 'a'");
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_THAT(reported_[0].message(), HasSubstr("schedule a"));
  Result<std::vector<StoredSchedule>> schedules = store->list_schedules();
  ASSERT_TRUE(schedules.ok());
  ASSERT_EQ(schedules->size(), 1u);
  EXPECT_EQ(schedules->front().spec.id, "b");
}

// A schedule whose task template is 90k nested '[' (stored as text) opens, lists and renders.
TEST_F(SqliteDamageTest, ADeeplyNestedTemplateDoesNotStopTheStore) {
  const std::string deep = std::string(90000, '[') + std::string(90000, ']');
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ScheduleSpec spec{.id = "deep", .every = std::chrono::seconds(10)};
    spec.task.type = "t";
    spec.task.payload = deep;
    ASSERT_TRUE(store->put_schedule(spec).ok());
    Enqueue(*store, deep);
  }
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(reported_.empty());
  Result<std::vector<StoredSchedule>> schedules = store->list_schedules();
  ASSERT_TRUE(schedules.ok());
  ASSERT_EQ(schedules->size(), 1u);
  EXPECT_EQ(schedules->front().spec.task.payload, deep);
}

}  // namespace
}  // namespace taskly::sqlite
