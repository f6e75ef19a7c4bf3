// SQLite-store specifics the conformance suite cannot see: what survives closing and reopening
// (and a crash), redelivery of active tasks, the exclusive lock, schema versions, retention on
// disk, group commit, and errors on open.
#include "store/sqlite/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_test_util.h"
#include "taskly/sqlite_store.h"
#include "tests/support/model_compare.h"

namespace taskly::sqlite {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(RetentionPolicy retention = {}, Clock* clock = nullptr) {
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(Options(retention, clock));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  SqliteStoreOptions Options(RetentionPolicy retention = {}, Clock* clock = nullptr) {
    SqliteStoreOptions options;
    options.path = path_;
    options.clock = clock ? clock : &clock_;
    options.retention = retention;
    options.sync = SqliteSync::kNormal;  // survives a process crash, which is all tested here
    return options;
  }

  TaskId Enqueue(Store& store, TaskSpec spec) {
    Result<EnqueueResult> r = store.enqueue_one(spec);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : TaskId();
  }

  Lease ClaimOne(Store& store, const std::string& queue, Duration lease = 1h) {
    Result<std::vector<Lease>> r = store.claim({.queues = {queue}, .worker = "w", .lease = lease});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->size() != 1) {
      ADD_FAILURE() << "nothing to claim in " << queue;
      return {};
    }
    return r->front();
  }

  std::map<TaskId, Task> AllTasks(Store& store) {
    Result<TaskPage> page = store.list(TaskFilter{}, PageRequest{.limit = 10'000});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::map<TaskId, Task> out;
    if (page.ok()) {
      for (Task& t : page->tasks) out.emplace(t.id, std::move(t));
    }
    return out;
  }

  std::map<std::string, QueueInfo> AllQueues(Store& store) {
    Result<std::vector<QueueInfo>> queues = store.queues();
    EXPECT_TRUE(queues.ok()) << queues.status().ToString();
    std::map<std::string, QueueInfo> out;
    if (queues.ok()) {
      for (QueueInfo& q : *queues) out.emplace(q.name, std::move(q));
    }
    return out;
  }

  static TaskSpec Spec(std::string queue) {
    TaskSpec spec;
    spec.type = "t";
    spec.queue = std::move(queue);
    return spec;
  }

  TempDir dir_;
  const std::string path_ = dir_.file("store.db");
  SimulatedClock clock_;
};

TEST_F(SqliteStoreTest, TasksInEveryStateSurviveReopen) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const TimePoint t0 = clock_.now();

  TaskSpec full = Spec("full");
  full.type = "email.send";
  full.payload = std::string("{\"a\":1}\0tail\xff", 13);
  full.priority = -7;
  full.deadline = t0 + 10h;
  full.timeout = 42s;
  full.max_attempts = 9;
  full.backoff = Backoff{250ms, 90s, 3.5};
  full.unique_key = "user-17/welcome";
  full.unique_ttl = 15min;
  full.labels = {{"tenant", "acme"}, {"tier", "gold"}};
  full.period = 5min;
  full.schedule_id = "sched-9";
  full.tick_due = t0 - 1s;
  Enqueue(*store, full);

  TaskSpec later = Spec("scheduled");
  later.run_at = t0 + 1h;
  Enqueue(*store, later);

  TaskId succeeded = Enqueue(*store, Spec("succeeded"));
  Lease l = ClaimOne(*store, "succeeded");
  ASSERT_TRUE(store->complete(succeeded, l.token, std::string("res\0ult", 7)).ok());

  TaskId dead = Enqueue(*store, Spec("dead"));
  l = ClaimOne(*store, "dead");
  ASSERT_TRUE(store->fail(dead, l.token, "bad input", FailOptions{{}, true}).ok());

  ASSERT_TRUE(store->cancel(Enqueue(*store, Spec("cancelled"))).ok());

  TaskSpec expiring = Spec("expired");
  expiring.deadline = t0 + 1s;
  Enqueue(*store, expiring);

  TaskId yielded = Enqueue(*store, Spec("yielded"));
  l = ClaimOne(*store, "yielded");
  ASSERT_TRUE(store->yield(yielded, l.token, std::string("cp\0x", 4)).ok());

  TaskId retrying = Enqueue(*store, Spec("retrying"));
  l = ClaimOne(*store, "retrying");
  ASSERT_TRUE(store->fail(retrying, l.token, "boom", FailOptions{t0 + 10min, false}).ok());

  clock_.advance(2s);
  ASSERT_EQ(store->maintain()->expired, 1);

  QueueConfig config;
  config.policy = OrderingPolicy::kPriority;
  config.aging_step = 5s;
  config.concurrency = 3;
  config.rate = 2.5;
  config.burst = 4;
  config.weight = 2;
  ASSERT_TRUE(store->set_queue("configured", config).ok());
  ASSERT_TRUE(store->pause_queue("configured", true).ok());

  const std::map<TaskId, Task> before = AllTasks(*store);
  const std::map<std::string, QueueInfo> queues_before = AllQueues(*store);
  ASSERT_EQ(before.size(), 8u);
  store.reset();

  store = Open();
  ASSERT_NE(store, nullptr);
  const std::map<TaskId, Task> after = AllTasks(*store);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [id, task] : before) {
    SCOPED_TRACE("task " + id);
    testing::ExpectTaskEq(after.at(id), task);
  }

  const std::map<std::string, QueueInfo> queues_after = AllQueues(*store);
  ASSERT_EQ(queues_after.size(), queues_before.size());
  for (const auto& [name, want] : queues_before) {
    SCOPED_TRACE("queue " + name);
    const QueueInfo& got = queues_after.at(name);
    EXPECT_EQ(got.config.policy, want.config.policy);
    EXPECT_EQ(got.config.aging_step, want.config.aging_step);
    EXPECT_EQ(got.config.concurrency, want.config.concurrency);
    EXPECT_EQ(got.config.rate, want.config.rate);
    EXPECT_EQ(got.config.burst, want.config.burst);
    EXPECT_EQ(got.config.weight, want.config.weight);
    EXPECT_EQ(got.paused, want.paused);
    EXPECT_EQ(got.deadline_misses, want.deadline_misses);
    EXPECT_EQ(got.scheduled, want.scheduled);
    EXPECT_EQ(got.pending, want.pending);
    EXPECT_EQ(got.succeeded, want.succeeded);
    EXPECT_EQ(got.dead, want.dead);
    EXPECT_EQ(got.cancelled, want.cancelled);
    EXPECT_EQ(got.expired, want.expired);
  }
  EXPECT_EQ(queues_after.at("expired").deadline_misses, 1);
  EXPECT_TRUE(queues_after.at("configured").paused);

  // The reopened store goes on: the scheduled retry comes due, and new ids sort after old ones.
  clock_.advance(10min);
  EXPECT_EQ(ClaimOne(*store, "retrying").task.attempts, 2);
  TaskId newer = Enqueue(*store, Spec("p"));
  EXPECT_GT(newer, before.rbegin()->first);
}

TEST_F(SqliteStoreTest, ReadyOrderAndDedupKeysSurviveReopen) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const TimePoint due = clock_.now();
  TaskSpec unique = Spec("u");
  unique.unique_key = "k";
  TaskId unique_id = Enqueue(*store, unique);
  TaskSpec tick = Spec("u");
  tick.schedule_id = "s1";
  tick.tick_due = due;
  TaskId tick_id = Enqueue(*store, tick);
  // A finished tick's key holds too, and so does its queue's FIFO order.
  Lease l = ClaimOne(*store, "u");
  ASSERT_EQ(l.task.id, unique_id);
  ASSERT_TRUE(store->yield(unique_id, l.token, "").ok());  // now behind the tick's task
  l = ClaimOne(*store, "u");
  ASSERT_EQ(l.task.id, tick_id);
  ASSERT_TRUE(store->complete(tick_id, l.token, "").ok());
  TaskId last = Enqueue(*store, Spec("u"));
  store.reset();

  store = Open();
  ASSERT_NE(store, nullptr);
  Result<EnqueueResult> again = store->enqueue_one(unique);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, unique_id);
  Result<EnqueueResult> tick_again = store->enqueue_one(tick);
  ASSERT_TRUE(tick_again.ok());
  EXPECT_FALSE(tick_again->created);
  EXPECT_EQ(tick_again->id, tick_id);
  tick.tick_due = due - 1s;  // older than the newest tick
  EXPECT_FALSE(store->enqueue_one(tick)->created);

  EXPECT_EQ(ClaimOne(*store, "u").task.id, unique_id);
  EXPECT_EQ(ClaimOne(*store, "u").task.id, last);
}

TEST_F(SqliteStoreTest, SchedulesAndCursorsSurviveReopen) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const TimePoint t0 = clock_.now();
  ScheduleSpec every;
  every.id = "every";
  every.every = 10s;
  every.anchor = t0 - 1h;
  every.task = Spec("q");
  every.task.payload = std::string("not json \0 \xff", 12);  // bytes, kept exactly
  every.task.labels = {{"team", "ops"}};
  every.task.max_attempts = 4;
  every.misfire = Misfire{MisfirePolicy::kCatchUp, 3, 5s};
  every.overlap = OverlapPolicy::kReplace;
  every.start_within = 30s;
  every.wcet = 2s;
  ScheduleSpec cron;
  cron.id = "cron";
  cron.cron = "0 9 * * MON-FRI";
  cron.tz = "Europe/Berlin";
  cron.paused = true;
  cron.task = Spec("reports");
  ASSERT_TRUE(store->put_schedule(every).ok());
  ASSERT_TRUE(store->put_schedule(cron).ok());
  ASSERT_TRUE(store->advance_schedule("every", t0 + 20s).ok());
  ASSERT_TRUE(store->advance_schedule("every", t0 + 10s).ok());  // never backwards
  ScheduleSpec gone = every;
  gone.id = "gone";
  ASSERT_TRUE(store->put_schedule(gone).ok());
  ASSERT_TRUE(store->remove_schedule("gone").ok());
  store.reset();

  store = Open();
  ASSERT_NE(store, nullptr);
  Result<std::vector<StoredSchedule>> all = store->list_schedules();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  const StoredSchedule& c = (*all)[0];
  const StoredSchedule& e = (*all)[1];
  EXPECT_EQ(c.spec.id, "cron");
  EXPECT_EQ(c.spec.cron, "0 9 * * MON-FRI");
  EXPECT_EQ(c.spec.tz, "Europe/Berlin");
  EXPECT_TRUE(c.spec.paused);
  EXPECT_EQ(c.spec.task.queue, "reports");
  EXPECT_EQ(c.last_due, std::nullopt);
  EXPECT_EQ(e.spec.id, "every");
  EXPECT_EQ(e.spec.every, 10s);
  EXPECT_EQ(e.spec.anchor, t0 - 1h);
  EXPECT_EQ(e.spec.task.payload, every.task.payload);
  EXPECT_EQ(e.spec.task.labels, every.task.labels);
  EXPECT_EQ(e.spec.task.max_attempts, 4);
  EXPECT_EQ(e.spec.misfire.policy, MisfirePolicy::kCatchUp);
  EXPECT_EQ(e.spec.misfire.max_catch_up, 3);
  EXPECT_EQ(e.spec.misfire.grace, 5s);
  EXPECT_EQ(e.spec.overlap, OverlapPolicy::kReplace);
  EXPECT_EQ(e.spec.start_within, 30s);
  EXPECT_EQ(e.spec.wcet, 2s);
  EXPECT_EQ(e.last_due, t0 + 20s);

  // Replacing a reopened schedule keeps its cursor, on disk too.
  every.every = 30s;
  ASSERT_TRUE(store->put_schedule(every).ok());
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  all = store->list_schedules();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].spec.every, 30s);
  EXPECT_EQ((*all)[1].last_due, t0 + 20s);
}

TEST_F(SqliteStoreTest, ActiveTasksAreRedeliveredOnReopenWithTheirAttemptCounted) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  TaskSpec two = Spec("q");
  two.max_attempts = 2;
  TaskId again = Enqueue(*store, two);
  TaskSpec one = Spec("last");
  one.max_attempts = 1;
  TaskId spent = Enqueue(*store, one);
  Lease first = ClaimOne(*store, "q");
  ClaimOne(*store, "last");
  store.reset();

  clock_.advance(1s);
  store = Open();
  ASSERT_NE(store, nullptr);
  Task redelivered = *store->get(again);
  EXPECT_EQ(redelivered.state, TaskState::kPending);
  EXPECT_EQ(redelivered.attempts, 1);
  EXPECT_EQ(redelivered.ready_at, clock_.now());
  EXPECT_THAT(redelivered.last_error, HasSubstr("redelivered"));
  Task quarantined = *store->get(spent);
  EXPECT_EQ(quarantined.state, TaskState::kDead);
  EXPECT_EQ(quarantined.attempts, 1);
  EXPECT_EQ(quarantined.finished_at, clock_.now());
  EXPECT_THAT(quarantined.last_error, HasSubstr("quarantined"));
  EXPECT_EQ(AllQueues(*store).at("q").active, 0);

  Lease second = ClaimOne(*store, "q");
  EXPECT_EQ(second.task.id, again);
  EXPECT_EQ(second.task.attempts, 2);
  EXPECT_GT(second.token, first.token);
  EXPECT_EQ(store->complete(again, first.token, "").code(), StatusCode::kAborted);

  // The redelivery itself was written: a second reopen finds the same states.
  ASSERT_TRUE(store->complete(again, second.token, "").ok());
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->get(again)->state, TaskState::kSucceeded);
  EXPECT_EQ(store->get(spent)->state, TaskState::kDead);
}

// A child process works on the store and dies without closing it (no destructor, no
// checkpoint): everything it had acknowledged is there, and its claimed task is redelivered.
TEST_F(SqliteStoreTest, AProcessCrashLosesNoAcknowledgedWrite) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SimulatedClock clock;
    SqliteStoreOptions options = Options({}, &clock);
    options.sync = SqliteSync::kFull;
    Result<std::unique_ptr<Store>> r = OpenSqliteStore(options);
    if (!r.ok()) _exit(2);
    Store& s = **r;
    for (int i = 0; i < 50; ++i) {
      if (!s.enqueue_one(Spec("q")).ok()) _exit(3);
    }
    Result<std::vector<Lease>> claimed = s.claim({.queues = {"q"}, .worker = "w", .max_tasks = 3});
    if (!claimed.ok() || claimed->size() != 3) _exit(4);
    if (!s.complete((*claimed)[0].task.id, (*claimed)[0].token, "done").ok()) _exit(5);
    _exit(0);  // a crash as far as the store can tell
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  QueueInfo q = AllQueues(*store).at("q");
  EXPECT_EQ(q.succeeded, 1);
  EXPECT_EQ(q.pending, 49);  // 47 never claimed, 2 redelivered
  EXPECT_EQ(q.active, 0);
  Result<TaskPage> redelivered =
      store->list(TaskFilter{.state = TaskState::kPending}, PageRequest{.limit = 2});
  ASSERT_TRUE(redelivered.ok());
  ASSERT_EQ(redelivered->tasks.size(), 2u);
  for (const Task& t : redelivered->tasks) EXPECT_EQ(t.attempts, 1) << t.id;
}

TEST_F(SqliteStoreTest, IdsKeepAscendingAfterReopenWithAClockThatIsBehind) {
  clock_.advance(1h);
  std::unique_ptr<Store> store = Open(RetentionPolicy{.max_count = 0});
  ASSERT_NE(store, nullptr);
  TaskId first = Enqueue(*store, Spec("q"));
  TaskId last = Enqueue(*store, Spec("q"));
  // Retention deletes `last` (the largest id) before the restart.
  Lease l = ClaimOne(*store, "q");
  ASSERT_TRUE(store->cancel(last).ok());
  ASSERT_EQ(store->maintain()->deleted, 1);
  store.reset();

  SimulatedClock behind(SimulatedClock::DefaultStart());  // an hour earlier
  store = Open(RetentionPolicy{.max_count = 0}, &behind);
  ASSERT_NE(store, nullptr);
  TaskId next = Enqueue(*store, Spec("q"));
  EXPECT_GT(next, last);
  EXPECT_GT(next, first);
  EXPECT_EQ(store->get(first)->state, TaskState::kPending);  // redelivered
  EXPECT_EQ(l.task.id, first);
}

TEST_F(SqliteStoreTest, RetentionDeletesTheRowsAndTheirPayloads) {
  std::unique_ptr<Store> store = Open(RetentionPolicy{.max_count = 1, .max_age = 24h});
  ASSERT_NE(store, nullptr);
  std::vector<TaskId> ids;
  for (int i = 0; i < 3; ++i) {
    TaskSpec spec = Spec("q");
    spec.payload = "secret-" + std::to_string(i);
    ids.push_back(Enqueue(*store, spec));
    Lease l = ClaimOne(*store, "q");
    ASSERT_TRUE(store->complete(l.task.id, l.token, "result-" + std::to_string(i)).ok());
    clock_.advance(1s);
  }
  EXPECT_EQ(store->maintain()->deleted, 2);
  store.reset();  // closes the file: the lock is released and the WAL checkpointed

  EXPECT_EQ(RawQuery(path_, "SELECT count(*) FROM tasks"), "1");
  EXPECT_EQ(RawQuery(path_,
                     "SELECT count(*) FROM tasks WHERE id IN ('" + ids[0] + "', '" + ids[1] + "')"),
            "0");
  EXPECT_EQ(RawQuery(path_,
                     "SELECT count(*) FROM tasks WHERE CAST(payload AS TEXT) LIKE "
                     "'secret-%' OR CAST(result AS TEXT) LIKE 'result-%'"),
            "1");
  EXPECT_EQ(RawQuery(path_, "SELECT CAST(payload AS TEXT) FROM tasks"), "secret-2");
}

TEST_F(SqliteStoreTest, ASecondOpenOfTheSameFileFailsUntilTheFirstCloses) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  Result<std::unique_ptr<Store>> second = OpenSqliteStore(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(path_));
  EXPECT_THAT(second.status().message(), HasSubstr("locked"));
  // The refused open did not disturb the first store.
  EXPECT_FALSE(Enqueue(*store, Spec("q")).empty());

  store.reset();
  EXPECT_NE(Open(), nullptr);
}

TEST_F(SqliteStoreTest, AnotherSchemaVersionIsRefusedAndLeftAlone) {
  ASSERT_NE(Open(), nullptr);
  RawExec(path_, "PRAGMA user_version = 99");
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 99"));
  EXPECT_THAT(store.status().message(),
              HasSubstr("reads schema version " + std::to_string(kSchemaVersion)));
  EXPECT_EQ(RawQuery(path_, "PRAGMA user_version"), "99");
}

TEST_F(SqliteStoreTest, ADatabaseTasklyDidNotCreateIsRefused) {
  RawExec(path_, "CREATE TABLE other (x)");
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("did not create"));
  EXPECT_EQ(RawQuery(path_, "SELECT count(*) FROM sqlite_master"), "1");
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Payloads are in the database and its WAL: no other user may read them, whatever the umask.
TEST_F(SqliteStoreTest, TheDatabaseAndItsWalAreReadableByTheOwnerOnly) {
  const mode_t old_umask = ::umask(022);
  std::unique_ptr<Store> store = Open();
  ::umask(old_umask);
  ASSERT_NE(store, nullptr);
  Enqueue(*store, TaskSpec{.type = "t", .payload = "secret"});
  EXPECT_EQ(ModeOf(path_), 0600u);
  ASSERT_TRUE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(ModeOf(path_ + "-wal"), 0600u);

  const std::string copy = dir_.file("copy.db");
  ::umask(022);
  Status backed_up = BackupSqliteStore(*store, copy);
  ::umask(old_umask);
  ASSERT_TRUE(backed_up.ok()) << backed_up.ToString();
  EXPECT_EQ(ModeOf(copy), 0600u);
}

TEST_F(SqliteStoreTest, OpeningNarrowsADatabaseOthersCouldRead) {
  Open().reset();
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ModeOf(path_), 0600u);
}

TEST_F(SqliteStoreTest, OpenErrorsNameThePathAndTheReason) {
  SqliteStoreOptions options = Options();
  options.path = dir_.file("no-such-dir/store.db");
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr(options.path));
  EXPECT_THAT(store.status().message(), HasSubstr("unable to open"));

  options.path = dir_.file("garbage.db");
  std::ofstream(options.path) << std::string(8192, 'x');
  store = OpenSqliteStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr(options.path));
  EXPECT_THAT(store.status().message(), HasSubstr("not a database"));

  options.path = "";
  store = OpenSqliteStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.status().field(), "path");
}

// JSON, the labels column's format, cannot hold bytes that are not UTF-8.
TEST_F(SqliteStoreTest, LabelValuesThatAreNotUtf8AreRefused) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  std::vector<TaskSpec> batch(2, Spec("q"));
  batch[1].labels = {{"ok", "fine"}, {"raw", "\xff\xfe"}};
  Result<std::vector<EnqueueResult>> r = store->enqueue(batch);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "tasks[1].labels.raw");
  EXPECT_TRUE(AllTasks(*store).empty());
}

// Eight callers enqueueing one task at a time share commits: while one commit is written, the
// others' tasks gather for the next.
TEST_F(SqliteStoreTest, GroupCommitPutsManyCallersInOneCommit) {
  SqliteStoreOptions options = Options();
  options.sync = SqliteSync::kFull;  // the fsync is what makes the others wait and gather
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  SqliteStore& store = **opened;
  constexpr int kThreads = 8, kEach = 40;
  const uint64_t commits_before = store.commits();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!store.enqueue_one(Spec("q")).ok()) failures++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const uint64_t commits = store.commits() - commits_before;
  EXPECT_GE(commits, 1u);
  EXPECT_LE(commits, static_cast<uint64_t>(kThreads * kEach / 2))
      << "enqueues from 8 threads were not grouped";
  EXPECT_EQ(AllQueues(store).at("q").pending, kThreads * kEach);
  // A batch is written a lock group (64 tasks) at a time, not task by task.
  const uint64_t before_batch = store.commits();
  std::vector<TaskSpec> batch(500, Spec("q"));
  ASSERT_TRUE(store.enqueue(batch).ok());
  EXPECT_LE(store.commits() - before_batch, 8u);
}

TEST_F(SqliteStoreTest, OnlineBackupHoldsEveryAcknowledgedWriteAndOpensLikeTheOriginal) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  TaskId done = Enqueue(*store, Spec("q"));
  Lease lease = ClaimOne(*store, "q");
  ASSERT_EQ(lease.task.id, done);
  ASSERT_TRUE(store->complete(done, lease.token, "ok").ok());
  TaskId running = Enqueue(*store, Spec("q"));
  ClaimOne(*store, "q");
  TaskId waiting = Enqueue(*store, Spec("q"));

  // Writers keep going while the copy is made; the copy holds what was acknowledged before.
  std::atomic<bool> stop = false;
  std::thread writer([&] {
    while (!stop) (void)store->enqueue_one(Spec("other"));
  });
  const std::string copy = dir_.file("backup.db");
  Status s = BackupSqliteStore(*store, copy);
  stop = true;
  writer.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(std::filesystem::exists(copy + "-wal"));

  // Never over an existing file.
  Status again = BackupSqliteStore(*store, copy);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.field(), "path");
  // A directory that does not exist: Unavailable, nothing left behind.
  const std::string nowhere = dir_.file("missing/backup.db");
  EXPECT_EQ(BackupSqliteStore(*store, nowhere).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(nowhere));
  // Only a SQLite store has one.
  std::unique_ptr<Store> memory = NewMemoryStore();
  EXPECT_EQ(BackupSqliteStore(*memory, dir_.file("m.db")).field(), "store");

  // The copy opens like the original after a crash: the active task is redelivered.
  SqliteStoreOptions options = Options();
  options.path = copy;
  Result<std::unique_ptr<Store>> restored = OpenSqliteStore(options);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ((*restored)->get(done)->state, TaskState::kSucceeded);
  EXPECT_EQ((*restored)->get(done)->result, "ok");
  EXPECT_EQ((*restored)->get(running)->state, TaskState::kPending);
  EXPECT_EQ((*restored)->get(running)->attempts, 1);
  EXPECT_EQ((*restored)->get(waiting)->state, TaskState::kPending);
}

}  // namespace
}  // namespace taskly::sqlite
