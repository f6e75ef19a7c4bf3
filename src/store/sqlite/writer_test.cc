// The group-commit writer on its own: commits in submission order, and stops for good after a
// failed commit.
#include "store/sqlite/writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_test_util.h"

namespace taskly::sqlite {
namespace {

using ::testing::HasSubstr;

class WriterTest : public ::testing::Test {
 protected:
  // A writer over a fresh store database; `before` runs on the connection first.
  std::unique_ptr<GroupCommitWriter> MakeWriter(const std::string& before = "") {
    Result<Database> db = OpenStoreDatabase(path_, SqliteSync::kNormal);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return nullptr;
    Result<Tables> tables = Tables::Prepare(*db);
    EXPECT_TRUE(tables.ok()) << tables.status().ToString();
    if (!tables.ok()) return nullptr;
    if (!before.empty()) {
      EXPECT_TRUE(db->exec(before).ok());
    }
    return std::make_unique<GroupCommitWriter>(std::move(db).value(), std::move(tables).value(),
                                               path_);
  }

  static WriteSet Meta(std::string value) {
    WriteSet ws;
    ws.put_meta("k", std::move(value));
    return ws;
  }

  TempDir dir_;
  const std::string path_ = dir_.file("store.db");
};

TEST_F(WriterTest, AWaitedTicketIsCommittedInSubmissionOrder) {
  std::unique_ptr<GroupCommitWriter> writer = MakeWriter();
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->last_ticket(), 0u);
  uint64_t first = writer->submit(Meta("one"));
  uint64_t second = writer->submit(Meta("two"));
  EXPECT_LT(first, second);
  EXPECT_EQ(writer->last_ticket(), second);
  ASSERT_TRUE(writer->wait(second).ok());
  ASSERT_TRUE(writer->wait(first).ok());  // earlier tickets are durable too
  EXPECT_GE(writer->commits(), 1u);
  EXPECT_LE(writer->commits(), 2u);
  writer.reset();
  EXPECT_EQ(RawQuery(path_, "SELECT value FROM meta WHERE key = 'k'"), "two");
}

TEST_F(WriterTest, DestroyingTheWriterCommitsWhatWasSubmitted) {
  std::unique_ptr<GroupCommitWriter> writer = MakeWriter();
  ASSERT_NE(writer, nullptr);
  writer->submit(Meta("kept"));
  writer.reset();
  EXPECT_EQ(RawQuery(path_, "SELECT value FROM meta WHERE key = 'k'"), "kept");
}

TEST_F(WriterTest, AFailedCommitStopsTheWriterForGood) {
  // The statements were prepared against a table that is then dropped: every write fails.
  std::unique_ptr<GroupCommitWriter> writer = MakeWriter("DROP TABLE meta");
  ASSERT_NE(writer, nullptr);
  EXPECT_TRUE(writer->health().ok());
  Status s = writer->wait(writer->submit(Meta("lost")));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr(path_));
  EXPECT_THAT(s.message(), HasSubstr("reopen"));
  EXPECT_EQ(writer->health(), s);
  EXPECT_EQ(writer->commits(), 0u);

  WriteSet fine;
  fine.put_tick(TickRow{"s", TimePoint{}, "id"});  // a table that exists
  EXPECT_EQ(writer->wait(writer->submit(std::move(fine))), s) << "a stopped writer wrote again";
  writer.reset();
  EXPECT_EQ(RawQuery(path_, "SELECT count(*) FROM ticks"), "0");
}

}  // namespace
}  // namespace taskly::sqlite
