#include "store/sqlite/writer.h"

#include <utility>

namespace taskly::sqlite {

GroupCommitWriter::GroupCommitWriter(Database db, Tables tables, std::string path)
    : path_(std::move(path)),
      db_(std::move(db)),
      tables_(std::move(tables)),
      thread_([this] { run(); }) {}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  thread_.join();
}

uint64_t GroupCommitWriter::submit(WriteSet writes) {
  uint64_t ticket = 0;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    ticket = ++submitted_;
    // After a failure nothing more is written; the ticket's waiter gets the error.
    if (!failed_.ok()) return ticket;
    pending_.push_back(std::move(writes));
    wake = pending_.size() == 1;
  }
  // Notified unlocked, so that the writer does not wake only to wait for mu_.
  if (wake) work_cv_.notify_one();
  return ticket;
}

uint64_t GroupCommitWriter::last_ticket() const {
  std::lock_guard lock(mu_);
  return submitted_;
}

Status GroupCommitWriter::wait(uint64_t ticket) {
  std::unique_lock lock(mu_);
  while (durable_ < ticket && failed_.ok()) {
    uint64_t batch = ticket <= in_flight_ ? batches_ : batches_ + 1;
    done_cv_[batch % 2].wait(lock);
  }
  return durable_ >= ticket ? Status() : failed_;
}

Status GroupCommitWriter::health() const {
  std::lock_guard lock(mu_);
  return failed_;
}

uint64_t GroupCommitWriter::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

Status GroupCommitWriter::snapshot(const std::string& path) {
  SnapshotRequest request{.path = path};
  std::unique_lock lock(mu_);
  if (!failed_.ok()) return failed_;
  if (stopping_) return Status(StatusCode::kUnavailable, "sqlite store " + path_ + " is closing");
  snapshots_.push_back(&request);
  work_cv_.notify_one();
  snapshot_cv_.wait(lock, [&] { return request.done; });
  return request.result;
}

// Called by the writer thread with `lock` held, between commits: everything durable is in the
// file, and no transaction is open (VACUUM INTO refuses to run inside one).
void GroupCommitWriter::take_snapshots(std::unique_lock<std::mutex>& lock) {
  std::vector<SnapshotRequest*> requests = std::exchange(snapshots_, {});
  lock.unlock();
  for (SnapshotRequest* request : requests) {
    Result<Statement> vacuum = Statement::Prepare(db_, "VACUUM INTO ?1");
    if (!vacuum.ok()) {
      request->result = vacuum.status();
      continue;
    }
    vacuum->bind(1, std::string_view(request->path));
    Status s = vacuum->run();
    request->result =
        s.ok() ? Status()
               : Status(StatusCode::kUnavailable,
                        "snapshot of " + path_ + " into " + request->path + ": " + s.message());
  }
  lock.lock();
  for (SnapshotRequest* request : requests) request->done = true;
  snapshot_cv_.notify_all();
}

void GroupCommitWriter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return !pending_.empty() || !snapshots_.empty() || stopping_; });
    if (!snapshots_.empty()) take_snapshots(lock);
    if (pending_.empty()) {
      if (stopping_) return;  // everything submitted is committed
      continue;
    }
    std::vector<WriteSet> batch = std::exchange(pending_, {});
    in_flight_ = submitted_;
    const uint64_t number = ++batches_;
    // The commit (and its fsync) runs unlocked: new submissions gather for the next one.
    lock.unlock();
    Status s = commit(batch);
    batch.clear();
    lock.lock();
    if (s.ok()) {
      durable_ = in_flight_;
      ++commits_;
    } else {
      failed_ = Status(StatusCode::kUnavailable,
                       "sqlite store " + path_ + " stopped after a failed write (" + s.message() +
                           "); reopen it to continue from what was committed");
      pending_.clear();
      for (SnapshotRequest* request : std::exchange(snapshots_, {})) {
        request->result = failed_;
        request->done = true;
      }
      snapshot_cv_.notify_all();
    }
    lock.unlock();
    if (s.ok()) {
      done_cv_[number % 2].notify_all();
    } else {
      for (std::condition_variable& cv : done_cv_) cv.notify_all();
    }
    lock.lock();
  }
}

Status GroupCommitWriter::commit(const std::vector<WriteSet>& batch) {
  if (Status s = db_.exec("BEGIN"); !s.ok()) return s;
  Status s;
  for (const WriteSet& writes : batch) {
    s = writes.apply(tables_);
    if (!s.ok()) break;
  }
  if (s.ok()) s = db_.exec("COMMIT");
  // A failed COMMIT may leave the transaction open (SQLITE_BUSY, I/O errors): end it.
  if (!s.ok() && sqlite3_get_autocommit(db_.get()) == 0) (void)db_.exec("ROLLBACK");
  return s;
}

}  // namespace taskly::sqlite
