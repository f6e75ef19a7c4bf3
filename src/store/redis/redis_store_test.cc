// Redis-store specifics the conformance suite cannot see: URL parsing and open errors, the
// refusal of a server that may evict keys, what survives reopening the store and a crash of
// redis-server, wake-ups across stores sharing one Redis, and the exactness of the ordering
// arithmetic the scripts do on 64-bit keys. Every test runs against private redis-servers
// (tests/support/redis_server.h).
#include "taskly/redis_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <future>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include "store/redis/encoding.h"
#include "store/redis/url.h"
#include "tests/support/redis_server.h"

namespace taskly::redis {
namespace {

using namespace std::chrono_literals;
using ::taskly::testing::RedisServer;
using ::testing::HasSubstr;

TEST(RedisUrlTest, ParsesEveryPart) {
  Result<RedisAddress> a = ParseRedisUrl("redis://127.0.0.1:6380/3");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 3);
  EXPECT_EQ(a->password, "");

  a = ParseRedisUrl("redis://:s3cr@t@cache.local");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "cache.local");
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->db, 0);
  EXPECT_EQ(a->user, "");
  EXPECT_EQ(a->password, "s3cr@t");

  a = ParseRedisUrl("redis://alice:pw@[::1]:7000/");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 7000);
  EXPECT_EQ(a->user, "alice");
  EXPECT_EQ(Describe(*a), "[::1]:7000/0");
}

TEST(RedisUrlTest, RejectsBadUrlsNamingTheField) {
  for (const char* url :
       {"", "http://h:1", "redis://", "redis://:6379", "redis://h:0", "redis://h:65536",
        "redis://h:x", "redis://h:", "redis://h:1/db", "redis://h:1/-1", "redis://nocolon@h",
        "redis://[::1", "redis://[::1]x"}) {
    SCOPED_TRACE(url);
    Result<RedisAddress> a = ParseRedisUrl(url);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(a.status().field(), "url");
  }
  // A password is never echoed in the message.
  Result<RedisAddress> a = ParseRedisUrl("redis://:hunter2@h:bad");
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), ::testing::Not(HasSubstr("hunter2")));
}

TEST(RedisEncodingTest, T8SortsLikeTheNumberAndRoundTrips) {
  const std::vector<int64_t> values = {std::numeric_limits<int64_t>::min(),
                                       -(int64_t{1} << 40),
                                       -1,
                                       0,
                                       1,
                                       255,
                                       256,
                                       int64_t{1} << 53,
                                       1'767'225'600'000'000'000,
                                       std::numeric_limits<int64_t>::max()};
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(FromT8(T8(values[i])), values[i]);
    if (i > 0) {
      EXPECT_LT(T8(values[i - 1]), T8(values[i])) << values[i];
    }
  }
  EXPECT_EQ(FromT8("short"), std::nullopt);
}

TEST(RedisEncodingTest, TaskFieldsRoundTrip) {
  TaskSpec spec;
  spec.type = "t";
  spec.payload = std::string("a\0b", 3);
  spec.queue = "q:1";
  spec.priority = -4;
  spec.deadline = SimulatedClock::DefaultStart() + 1s;
  spec.timeout = 5s;
  spec.backoff = Backoff{3ms, 7min, 1.25};
  spec.labels = {{"k", "v"}};
  spec.period = 9s;
  Fields fields = SpecFields(spec);
  fields.emplace_back("id", "X");
  fields.emplace_back("st", "1");
  Result<Task> t = DecodeTask(fields);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->spec.payload, spec.payload);
  EXPECT_EQ(t->spec.queue, spec.queue);
  EXPECT_EQ(t->spec.priority, -4);
  EXPECT_EQ(t->spec.deadline, spec.deadline);
  EXPECT_EQ(t->spec.backoff.multiplier, 1.25);
  EXPECT_EQ(t->spec.backoff.cap, 7min);
  EXPECT_EQ(t->spec.labels, spec.labels);
  EXPECT_EQ(t->spec.period, 9s);
  EXPECT_EQ(t->state, TaskState::kPending);

  fields.emplace_back("at", "many");
  Result<Task> bad = DecodeTask(fields);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "at");
}

class RedisStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = RedisServer::Start().release();
    ASSERT_NE(server_, nullptr) << RedisServer::last_error();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    prefix_ = "u" + std::to_string(++stores_);
  }

  RedisStoreOptions Options(const std::string& url) {
    RedisStoreOptions options;
    options.url = url;
    options.clock = &clock_;
    options.prefix = prefix_;
    return options;
  }

  std::unique_ptr<Store> Open(const std::string& url) {
    Result<std::unique_ptr<Store>> store = OpenRedisStore(Options(url));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static TaskSpec Spec(std::string queue, std::string payload = "") {
    TaskSpec spec;
    spec.type = "t";
    spec.queue = std::move(queue);
    spec.payload = std::move(payload);
    return spec;
  }

  static TaskId Enqueue(Store& store, const TaskSpec& spec) {
    Result<EnqueueResult> r = store.enqueue_one(spec);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : TaskId();
  }

  static std::vector<Lease> Claim(Store& store, const std::string& queue, int32_t n = 1) {
    Result<std::vector<Lease>> r =
        store.claim({.queues = {queue}, .worker = "w", .max_tasks = n, .lease = 1h});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : std::vector<Lease>{};
  }

  static std::map<TaskId, TaskState> States(Store& store) {
    std::map<TaskId, TaskState> out;
    PageRequest page{.after = "", .limit = 10'000};
    Result<TaskPage> r = store.list(TaskFilter{}, page);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      for (const Task& t : r->tasks) out[t.id] = t.state;
    }
    return out;
  }

  static inline RedisServer* server_ = nullptr;
  static inline int stores_ = 0;
  SimulatedClock clock_;
  std::string prefix_;
};

TEST_F(RedisStoreTest, RefusesAServerThatMayEvictKeys) {
  std::unique_ptr<RedisServer> lru =
      RedisServer::Start({.extra_args = {"--maxmemory-policy", "allkeys-lru"}});
  ASSERT_NE(lru, nullptr) << RedisServer::last_error();
  Result<std::unique_ptr<Store>> store = OpenRedisStore(Options(lru->url()));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("allkeys-lru"));
  EXPECT_THAT(store.status().message(), HasSubstr("evict"));
  EXPECT_THAT(store.status().message(), HasSubstr("CONFIG SET maxmemory-policy noeviction"));
  EXPECT_THAT(store.status().message(), HasSubstr("redis.conf"));

  // Fixed as the message says, the same server is accepted.
  EXPECT_EQ(lru->Command("CONFIG SET maxmemory-policy noeviction"), "+OK");
  EXPECT_NE(Open(lru->url()), nullptr);
}

TEST_F(RedisStoreTest, OpenErrors) {
  RedisStoreOptions options = Options("redis//127.0.0.1");
  Result<std::unique_ptr<Store>> store = OpenRedisStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.status().field(), "url");

  options = Options(server_->url());
  options.prefix = "has space";
  store = OpenRedisStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().field(), "prefix");

  // Nothing listens on port 1: unreachable, named in the message.
  store = OpenRedisStore(Options("redis://127.0.0.1:1"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr("127.0.0.1:1"));

  // A password the server does not have.
  store = OpenRedisStore(Options("redis://:wrong@127.0.0.1:" + std::to_string(server_->port())));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr("AUTH"));
}

TEST_F(RedisStoreTest, DatabasesAndPrefixesAreSeparate) {
  std::unique_ptr<Store> db0 = Open(server_->url(0));
  std::unique_ptr<Store> db1 = Open(server_->url(1));
  ASSERT_NE(db0, nullptr);
  ASSERT_NE(db1, nullptr);
  TaskId id = Enqueue(*db0, Spec("q"));
  EXPECT_EQ(db1->get(id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Claim(*db1, "q").empty());
  prefix_ += "-other";
  std::unique_ptr<Store> other = Open(server_->url(0));
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(Claim(*other, "q").empty());
  EXPECT_EQ(Claim(*db0, "q").size(), 1u);
}

TEST_F(RedisStoreTest, ReopenKeepsEverything) {
  TaskId pending, active, done;
  uint64_t token = 0;
  {
    std::unique_ptr<Store> store = Open(server_->url());
    ASSERT_NE(store, nullptr);
    QueueConfig config;
    config.policy = OrderingPolicy::kPriority;
    config.concurrency = 3;
    ASSERT_TRUE(store->set_queue("q", config).ok());
    ASSERT_TRUE(store->pause_queue("q", true).ok());
    ASSERT_TRUE(store->pause_queue("q", false).ok());
    done = Enqueue(*store, Spec("q", "d"));
    active = Enqueue(*store, Spec("q", "a"));
    pending = Enqueue(*store, Spec("q", "p"));
    std::vector<Lease> l = Claim(*store, "q", 2);
    ASSERT_EQ(l.size(), 2u);
    ASSERT_TRUE(store->complete(done, l[0].token, "r").ok());
    token = l[1].token;
    ScheduleSpec schedule;
    schedule.id = "s";
    schedule.every = 1min;
    schedule.task = Spec("q", std::string("\xff\x00", 2));
    ASSERT_TRUE(store->put_schedule(schedule).ok());
    ASSERT_TRUE(store->advance_schedule("s", clock_.now()).ok());
  }
  std::unique_ptr<Store> store = Open(server_->url());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->get(done)->result, "r");
  EXPECT_EQ(store->get(pending)->state, TaskState::kPending);
  // The lease outlives the process that took it (unlike SQLite's): its holder may settle it.
  EXPECT_EQ(store->get(active)->state, TaskState::kActive);
  EXPECT_TRUE(store->complete(active, token, "late but valid").ok());
  Result<std::vector<QueueInfo>> queues = store->queues();
  ASSERT_TRUE(queues.ok());
  ASSERT_EQ(queues->size(), 1u);
  EXPECT_EQ((*queues)[0].config.policy, OrderingPolicy::kPriority);
  EXPECT_EQ((*queues)[0].config.concurrency, 3);
  EXPECT_EQ((*queues)[0].succeeded, 2);
  Result<std::vector<StoredSchedule>> schedules = store->list_schedules();
  ASSERT_TRUE(schedules.ok());
  ASSERT_EQ(schedules->size(), 1u);
  EXPECT_EQ((*schedules)[0].spec.task.payload, std::string("\xff\x00", 2));
  EXPECT_EQ((*schedules)[0].last_due, clock_.now());
}

// A task hash or schedule document that cannot be decoded (written by something else, or
// damaged) is reported once and skipped: listings and the schedule reload serve the rest.
TEST_F(RedisStoreTest, UndecodableRowsAreReportedAndSkipped) {
  std::vector<Status> reported;
  RedisStoreOptions options = Options(server_->url());
  options.on_damaged_row = [&](const Status& s) { reported.push_back(s); };
  Result<std::unique_ptr<Store>> opened = OpenRedisStore(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  const TaskId good = Enqueue(store, Spec("q"));
  const TaskId bad = Enqueue(store, Spec("q"));
  for (const char* id : {"a", "b"}) {
    ScheduleSpec schedule;
    schedule.id = id;
    schedule.every = 1min;
    schedule.task = Spec("q");
    ASSERT_TRUE(store.put_schedule(schedule).ok());
  }
  ASSERT_EQ(server_->Command("HSET " + prefix_ + ":task:" + bad + " st bogus"), ":0");
  ASSERT_EQ(server_->Command("HSET " + prefix_ + ":schedule:a spec [[[["), ":0");

  for (int i = 0; i < 2; ++i) {
    std::map<TaskId, TaskState> states = States(store);
    EXPECT_EQ(states.size(), 1u);
    EXPECT_TRUE(states.contains(good));
    Result<std::vector<StoredSchedule>> schedules = store.list_schedules();
    ASSERT_TRUE(schedules.ok()) << schedules.status().ToString();
    ASSERT_EQ(schedules->size(), 1u);
    EXPECT_EQ(schedules->front().spec.id, "b");
  }
  ASSERT_EQ(reported.size(), 2u) << "each damaged row is reported once";
  EXPECT_THAT(reported[0].message(), HasSubstr("task " + bad));
  EXPECT_THAT(reported[1].message(), HasSubstr("schedule a"));
  EXPECT_EQ(store.damaged_rows(), 2);
  Result<Task> damaged = store.get(bad);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::kInternal);
}

// With appendfsync always, a write Redis acknowledged is in the AOF on disk: killing the server
// (SIGKILL, no shutdown) and starting it again loses none. The same store object keeps working
// once Redis is back: its broken connections are dropped and replaced.
TEST_F(RedisStoreTest, CrashOfRedisLosesNoAcknowledgedWrite) {
  std::unique_ptr<RedisServer> redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr) << RedisServer::last_error();
  std::unique_ptr<Store> store = Open(redis->url());
  ASSERT_NE(store, nullptr);
  std::vector<TaskSpec> batch(300, Spec("q"));
  Result<std::vector<EnqueueResult>> enqueued = store->enqueue(batch);
  ASSERT_TRUE(enqueued.ok()) << enqueued.status().ToString();
  std::vector<Lease> leases = Claim(*store, "q", 100);
  ASSERT_EQ(leases.size(), 100u);
  for (size_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(store->complete(leases[i].task.id, leases[i].token, "ok").ok());
  }
  const std::map<TaskId, TaskState> before = States(*store);
  ASSERT_EQ(before.size(), 300u);

  ASSERT_TRUE(redis->Restart(SIGKILL)) << RedisServer::last_error();

  // The first call may fail on a connection that died with the server; later ones reconnect.
  Result<Task> probe = store->get(leases[0].task.id);
  for (int i = 0; i < 100 && !probe.ok(); ++i) {
    EXPECT_EQ(probe.status().code(), StatusCode::kUnavailable) << probe.status().ToString();
    std::this_thread::sleep_for(50ms);
    probe = store->get(leases[0].task.id);
  }
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  EXPECT_EQ(States(*store), before);
  // Settling continues where it stopped: the leases survived too.
  EXPECT_TRUE(store->complete(leases[50].task.id, leases[50].token, "after").ok());
  EXPECT_EQ(Claim(*store, "q", 500).size(), 200u);
}

// Stores in different processes share one Redis: an enqueue through one wakes a worker
// waiting through another (pub/sub), without polling.
TEST_F(RedisStoreTest, EnqueueWakesAWaiterOfAnotherStore) {
  std::unique_ptr<Store> producer = Open(server_->url());
  std::unique_ptr<Store> worker = Open(server_->url());
  ASSERT_NE(producer, nullptr);
  ASSERT_NE(worker, nullptr);
  std::stop_source stop;
  auto returned = std::async(std::launch::async, [&] {
    worker->wait_for_work({"w"}, clock_.now() + 24h, stop.get_token());
  });
  while (clock_.waiters() == 0) std::this_thread::sleep_for(1ms);
  Enqueue(*producer, Spec("w"));
  bool woke = returned.wait_for(2s) == std::future_status::ready;
  stop.request_stop();
  returned.wait();
  EXPECT_TRUE(woke) << "wait_for_work was not woken by another store's enqueue";
}

// A large batch is enqueued as pipelined script calls, several windows of them. The server
// lost its scripts first (as after a restart): each call is run again once loaded, and the
// batch still comes out whole, in order, with a unique key honoured across windows.
TEST_F(RedisStoreTest, ALargeBatchIsPipelinedWholeAndInOrderAfterTheScriptsWereFlushed) {
  std::unique_ptr<Store> store = Open(server_->url());
  ASSERT_NE(store, nullptr);
  std::vector<TaskSpec> specs;
  for (int i = 0; i < 2'000; ++i) specs.push_back(Spec("big", std::to_string(i)));
  specs[5].unique_key = "once";
  specs[1'900].unique_key = "once";
  EXPECT_EQ(server_->Command("SCRIPT FLUSH"), "+OK");
  Result<std::vector<EnqueueResult>> r = store->enqueue(specs);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), specs.size());
  EXPECT_FALSE((*r)[1'900].created);
  EXPECT_EQ((*r)[1'900].id, (*r)[5].id);

  std::vector<Lease> leases = Claim(*store, "big", 2'000);
  ASSERT_EQ(leases.size(), specs.size() - 1);
  int payload = 0;
  for (size_t i = 0; i < leases.size(); ++i, ++payload) {
    if (payload == 1'900) ++payload;
    EXPECT_EQ(leases[i].task.spec.payload, std::to_string(payload));
    EXPECT_EQ(leases[i].task.id, (*r)[static_cast<size_t>(payload)].id);
    if (i > 0) {
      EXPECT_LT(leases[i - 1].task.id, leases[i].task.id);
    }
  }
}

// The scripts compute MakeOrderKey's priority key (-priority + ready_at / aging_step) on 64-bit
// values with doubles split in halves: the claim order must be exactly the C++ order, for steps
// that do not divide a second and instants far above 2^53.
TEST_F(RedisStoreTest, PriorityAgingOrderMatchesMakeOrderKeyExactly) {
  std::unique_ptr<Store> store = Open(server_->url());
  ASSERT_NE(store, nullptr);
  std::mt19937_64 rng(7);
  for (Duration step :
       {Duration(1), Duration(7), Duration(999'999'937), Duration(3'600'000'000'001)}) {
    SCOPED_TRACE(step.count());
    QueueConfig config;
    config.policy = OrderingPolicy::kPriority;
    config.aging_step = step;
    const std::string queue = "aging" + std::to_string(step.count());
    ASSERT_TRUE(store->set_queue(queue, config).ok());
    std::vector<Task> tasks;
    for (int i = 0; i < 40; ++i) {
      clock_.advance(Duration(static_cast<int64_t>(rng() % 5'000'000'000)));
      TaskSpec spec = Spec(queue, std::to_string(i));
      spec.priority = static_cast<int32_t>(rng() % 2001) - 1000;
      Result<Task> t = store->get(Enqueue(*store, spec));
      ASSERT_TRUE(t.ok());
      tasks.push_back(*t);
    }
    std::sort(tasks.begin(), tasks.end(), [&config](const Task& a, const Task& b) {
      return MakeOrderKey(config, a) < MakeOrderKey(config, b);
    });
    std::vector<Lease> claimed = Claim(*store, queue, 100);
    ASSERT_EQ(claimed.size(), tasks.size());
    for (size_t i = 0; i < tasks.size(); ++i) EXPECT_EQ(claimed[i].task.id, tasks[i].id) << i;
  }
}

}  // namespace
}  // namespace taskly::redis
