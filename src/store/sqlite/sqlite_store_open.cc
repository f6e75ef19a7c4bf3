// Opening the SQLite store: the database, the in-memory state rebuilt from its tables, and the
// redelivery of the tasks that were active when the previous process stopped.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "codec/bounded_json.h"
#include "codec/json_codec.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/store_identity.h"

namespace taskly::sqlite {
namespace {

// Makes `ids` issue only ids that sort after `last`, the largest id issued before the restart
// (perhaps when the wall clock was ahead of ours). Ids lead with their millisecond, so the
// generator is moved to the first millisecond whose ids sort after `last`, found by bisection
// with throwaway generators (the id format stays task_id.cc's business).
void ResumeAfter(TaskIdGenerator& ids, const TaskId& last) {
  using std::chrono::milliseconds;
  int64_t lo = 0;
  int64_t hi = int64_t{9'000'000'000'000};  // in milliseconds: year 2255, fits TimePoint
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    TaskIdGenerator probe;
    if (probe.next(TimePoint(milliseconds(mid))) > last) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  static_cast<void>(ids.next(TimePoint(milliseconds(lo))));
}

}  // namespace

SqliteStore::SqliteStore(const SqliteStoreOptions& options)
    : clock_(options.clock ? *options.clock : RealClock()),
      retention_(options.retention),
      path_(options.path),
      on_damaged_row_(options.on_damaged_row) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  if (Status s = CheckDatabasePresent(options.path, options.init); !s.ok()) return s;
  Result<Database> db = OpenStoreDatabase(options.path, options.sync);
  if (!db.ok()) return db.status();
  if (Status s = RecordIdentity(*db, options.path, options.init); !s.ok()) return s;
  Result<Tables> tables = Tables::Prepare(*db);
  if (!tables.ok()) return tables.status();
  std::unique_ptr<SqliteStore> store(new SqliteStore(options));
  {
    // No other thread knows the store yet; the lock is for the analysis of who guards what.
    std::lock_guard lock(store->mu_);
    if (Status s = store->load(*tables); !s.ok()) return s;
  }
  store->writer_ = std::make_unique<GroupCommitWriter>(std::move(db).value(),
                                                       std::move(tables).value(), options.path);
  if (Status s = store->redeliver_active(); !s.ok()) return s;
  return store;
}

Status SqliteStore::load(Tables& tables) {
  const TimePoint now = clock_.now();
  Result<std::vector<QueueRow>> queues = tables.load_queues();
  if (!queues.ok()) return queues.status();
  for (QueueRow& row : *queues) {
    bool created = false;
    QueueState& q = index_.queue(row.name, now, &created);
    index_.configure(q, row.config, now);
    q.paused = row.paused;
    q.deadline_misses = row.deadline_misses;
  }

  TaskId last_id;
  Status s = tables.for_each_task(
      [&](Task&& t) {
        bool created = false;
        QueueState& q = index_.queue(t.spec.queue, now, &created);
        next_seq_ = std::max(next_seq_, t.seq);
        last_id = t.id;               // ascending
        index_.add(std::move(t), q);  // active tasks too: redeliver_active() moves them on
      },
      [&](const TaskId& id, const Status& why) {
        damaged_tasks_[id] = why.message();
        report_damaged(why);
      });
  if (!s.ok()) return s;

  Result<std::vector<TickRow>> ticks = tables.load_ticks();
  if (!ticks.ok()) return ticks.status();
  for (TickRow& row : *ticks) {
    ticks_[row.schedule_id] = {row.due, std::move(row.task_id)};
  }

  // The largest id ever issued may belong to a task that retention deleted.
  Result<std::optional<std::string>> stored_last = tables.load_meta("last_id");
  if (!stored_last.ok()) return stored_last.status();
  if (*stored_last && **stored_last > last_id) last_id = **stored_last;
  if (!last_id.empty()) ResumeAfter(ids_, last_id);

  return load_schedules(tables);
}

Status SqliteStore::load_schedules(Tables& tables) {
  Result<std::vector<ScheduleRow>> rows = tables.load_schedules();
  if (!rows.ok()) return rows.status();
  for (const ScheduleRow& row : *rows) {
    // A schedule that cannot be read is skipped: it does not tick, and the rest still do.
    auto bad = [&](const std::string& why) {
      report_damaged(Status(StatusCode::kInternal, "sqlite store " + path_ + ": schedule " +
                                                       row.id + " cannot be read: " + why));
    };
    codec::Json json = codec::ParseBoundedJson(row.spec_json);
    if (json.is_discarded()) {
      bad("its definition is not JSON (or nests too deep)");
      continue;
    }
    Result<ScheduleSpec> spec = codec::ScheduleSpecFromJson(json);
    if (!spec.ok()) {
      bad(spec.status().ToString());
      continue;
    }
    spec->task.payload = row.payload;
    if (Status s = schedules_.put(*spec); !s.ok()) {
      bad(s.ToString());
      continue;
    }
    if (row.last_due) {
      if (Status s = schedules_.advance(row.id, *row.last_due); !s.ok()) bad(s.ToString());
    }
  }
  return Status();
}

void SqliteStore::report_damaged(const Status& why) {
  damaged_rows_++;
  if (on_damaged_row_) on_damaged_row_(why);
}

// The process that ran these tasks is gone: each goes back to pending with the attempt it
// started already counted (a crash never loses an attempt), or dead when that was its last one,
// as lease recovery would do once their leases ran out.
Status SqliteStore::redeliver_active() {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_.now();
    WriteSet ws;
    while (!index_.leases().empty()) {
      Entry& e = *index_.leases().begin()->second;
      if (e.task.attempts >= e.task.spec.max_attempts) {
        transition(e, TaskState::kDead, now, ws, [](Entry& x) {
          x.task.last_error = "the process stopped during its last attempt (" +
                              std::to_string(x.task.attempts) + " attempts): quarantined";
        });
      } else {
        e.task.last_error = "redelivered: the process stopped while the task was active";
        make_pending(e, now, /*new_seq=*/false, ws);
      }
    }
    ticket = submit(std::move(ws));
  }
  return durable(ticket);
}

}  // namespace taskly::sqlite

namespace taskly {

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options) {
  Result<std::unique_ptr<sqlite::SqliteStore>> store = sqlite::SqliteStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(store).value());
}

Status BackupSqliteStore(Store& store, const std::string& path) {
  auto* sqlite_store = dynamic_cast<sqlite::SqliteStore*>(&store);
  if (sqlite_store == nullptr) {
    return Status(StatusCode::kFailedPrecondition, "only a SQLite store has an online backup",
                  "store");
  }
  if (path.empty()) return InvalidArgument("path", "must not be empty");
  // Created empty (VACUUM INTO fills an empty file) with mode 0600, as it holds every payload;
  // O_EXCL also makes sure nothing is overwritten. Other failures are the backup's to report.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {
    return Status(StatusCode::kAlreadyExists, path + " already exists", "path");
  }
  if (fd >= 0) ::close(fd);
  std::error_code error;
  Status s = sqlite_store->backup(path);
  if (!s.ok()) std::filesystem::remove(path, error);
  return s;
}

}  // namespace taskly
