// Group commit: one thread owns the write connection and commits the mutations (WriteSets) of
// all callers, as many as have queued up, in one transaction per commit. Callers submit and then
// wait for their ticket; while one commit is being written and fsync'd the next batch
// accumulates, so under load many mutations share one fsync.
//
// Tickets are handed out in submission order and commits are applied in that order, so a
// ticket is durable once every ticket before it is. A failed commit (I/O error, disk full)
// stops the writer for good: that batch is rolled back, mutations queued behind it are dropped,
// and every waiter whose ticket is not durable gets the error, as do later submissions.
//
// Thread-safety: submit, wait, last_ticket, health and commits may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/database.h"
#include "store/sqlite/tables.h"
#include "store/sqlite/write_set.h"

namespace taskly::sqlite {

class GroupCommitWriter {
 public:
  // Takes over `db` and `tables` (prepared on it) and starts the writer thread. `path` names
  // the store in error messages.
  GroupCommitWriter(Database db, Tables tables, std::string path);
  // Commits everything submitted so far, then stops the thread and closes the connection.
  ~GroupCommitWriter();

  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // Queues `writes` for the next commit and returns its ticket. Callers whose writes must reach
  // the file in the order of their decisions submit under the lock that orders those decisions.
  uint64_t submit(WriteSet writes);
  // The ticket of the latest submission (0 before the first): waiting for it waits for every
  // write submitted so far.
  uint64_t last_ticket() const;
  // Blocks until `ticket` is durable (OK), or returns the error that stopped the writer first.
  Status wait(uint64_t ticket);
  // OK while the writer runs; the error that stopped it otherwise.
  Status health() const;
  // Transactions committed so far.
  uint64_t commits() const;
  // Writes a copy of the database into a new file at `path` (VACUUM INTO: one consistent,
  // compact file with no WAL beside it), holding every write that was durable when the call
  // was made (so every acknowledged one). It runs on the writer thread between two commits;
  // writes submitted meanwhile wait for it. The file must not exist. Returns SQLite's error
  // (kUnavailable) if the copy cannot be written, or the writer's error once it has stopped.
  Status snapshot(const std::string& path);

 private:
  void run();
  Status commit(const std::vector<WriteSet>& batch);
  void take_snapshots(std::unique_lock<std::mutex>& lock);

  const std::string path_;
  Database db_;    // used by the writer thread only
  Tables tables_;  // prepared on db_; destroyed before it
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // submissions and stop, for the writer thread
  // Waiters sleep on the variable of the batch that holds their ticket (by the batch number's
  // parity): the one being committed or the next. A commit wakes its own waiters only, not
  // those whose writes are still queued behind it.
  std::condition_variable done_cv_[2];
  // Snapshots asked for and not yet taken, and their results (guarded by mu_).
  struct SnapshotRequest {
    std::string path;
    bool done = false;
    Status result;
  };
  std::vector<SnapshotRequest*> snapshots_;
  std::condition_variable snapshot_cv_;
  std::vector<WriteSet> pending_;  // guarded by mu_: the next batch's mutations
  uint64_t submitted_ = 0;         // guarded by mu_: the last ticket handed out
  uint64_t in_flight_ = 0;         // guarded by mu_: the last ticket of the latest batch taken
  uint64_t batches_ = 0;           // guarded by mu_: batches taken (the latest's number)
  uint64_t durable_ = 0;           // guarded by mu_: every ticket up to this is committed
  uint64_t commits_ = 0;           // guarded by mu_
  Status failed_;                  // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::thread thread_;             // last: starts after everything above is ready
};

}  // namespace taskly::sqlite
