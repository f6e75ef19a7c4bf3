// The cluster's nodes and their Redis: a worker refuses a store it cannot share or reach; a
// server refuses a Redis that may evict keys; and a Redis restarted after a SIGKILL (AOF with
// appendfsync always) loses no acknowledged task, while the nodes report not ready during the
// outage and reconnect by themselves.
#include <gmock/gmock.h>

#include <atomic>

#include "cli/cluster_test_util.h"

namespace taskly::cli::testing {
namespace {

using taskly::testing::RedisServer;
using ::testing::HasSubstr;

TEST(ClusterRedis, WorkerNeedsASharedStore) {
  TempDir dir;
  CliRun sqlite = RunTaskly({"worker", "--store", "sqlite:" + dir / "x.db"}, {}, dir.path());
  EXPECT_EQ(sqlite.code, 2) << sqlite;
  EXPECT_THAT(sqlite.err, HasSubstr("--store: a worker needs the cluster's shared store"));
  CliRun none = RunTaskly({"worker"}, {}, dir.path());
  EXPECT_EQ(none.code, 2) << none;
  EXPECT_THAT(none.err, HasSubstr("--store"));
}

TEST(ClusterRedis, WorkerExitsWhenRedisIsUnreachable) {
  TempDir dir;
  // A port with no Redis: Redis itself on a port it no longer listens on.
  std::unique_ptr<RedisServer> redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr) << RedisServer::last_error();
  const std::string url = redis->url();
  redis->Kill(SIGTERM);
  CliRun r = RunTaskly({"worker", "--store", url}, {}, dir.path());
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_THAT(r.err, HasSubstr("cannot open the store"));
  EXPECT_THAT(r.err, HasSubstr("127.0.0.1:" + std::to_string(redis->port())));
}

TEST(ClusterRedis, ServerRefusesARedisThatEvictsKeys) {
  TempDir dir;
  std::unique_ptr<RedisServer> redis =
      RedisServer::Start({.extra_args = {"--maxmemory-policy", "allkeys-lru"}});
  ASSERT_NE(redis, nullptr) << RedisServer::last_error();
  CliRun r = RunTaskly({"server", "--listen", "127.0.0.1:0", "--store", redis->url()},
                       {{"TASKLY_TOKEN", "cluster-test-token-0123456789"}}, dir.path());
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("allkeys-lru"));
  EXPECT_THAT(r.err, HasSubstr("CONFIG SET maxmemory-policy noeviction"));
  EXPECT_THAT(r.err, HasSubstr("redis.conf"));
  CliRun worker = RunTaskly({"worker", "--store", redis->url()}, {}, dir.path());
  EXPECT_EQ(worker.code, 1) << worker;
  EXPECT_THAT(worker.err, HasSubstr("noeviction"));
}

TEST(ClusterRedis, AWorkerJoinsTheClusterAndLeavesAtOnceOnSigterm) {
  TempDir dir;
  std::unique_ptr<RedisServer> redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr) << RedisServer::last_error();
  NodeProcess server("server", "s1", dir.path(), {"--store", redis->url(), "--slots", "1"}, {},
                     TASKLY_BINARY);
  NodeProcess worker("worker", "w1", dir.path(),
                     {"--store", redis->url(), "--concurrency", "3", "--queues", "bulk,default"},
                     {}, TASKLY_BINARY);
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(worker.Start());
  Answer cluster;
  ASSERT_TRUE(PollUntil([&] {
    cluster = Get(server.url(), "/v1/cluster");
    return cluster.status == 200 && cluster.body["nodes"].size() == 2;
  })) << cluster.body.dump();
  const Json& w = cluster.body["nodes"][1];
  EXPECT_EQ(w["id"], "w1");
  EXPECT_EQ(w["role"], "worker");
  EXPECT_FALSE(w.contains("api"));
  EXPECT_EQ(w["queues"], Json({"bulk", "default"}));
  EXPECT_EQ(w["slots"], 3);
  EXPECT_EQ(cluster.body["leader"]["node"], "s1");  // a worker never leads
  EXPECT_EQ(Metric(server.url(), "taskly_cluster_nodes"), 2);

  // A graceful stop leaves at once, without waiting for the heartbeat's TTL (5 s).
  EXPECT_EQ(worker.Stop(SIGTERM, 20s), 0) << worker.log();
  cluster = Get(server.url(), "/v1/cluster");
  ASSERT_EQ(cluster.status, 200);
  ASSERT_EQ(cluster.body["nodes"].size(), 1u) << cluster.body.dump();
  EXPECT_EQ(cluster.body["nodes"][0]["id"], "s1");
}

// Tasks [first, first + count), each with its number as payload; the unique key makes a
// resubmission after an unanswered request return the stored task.
Json LedgerBatch(int first, int count) {
  Json tasks = Json::array();
  for (int n = first; n < first + count; ++n) {
    tasks.push_back({{"type", "ledger"},
                     {"payload", n},
                     {"max_attempts", 100},
                     {"unique_key", "ledger-" + std::to_string(n)},
                     {"unique_ttl", "1h"}});
  }
  return {{"tasks", std::move(tasks)}};
}

TEST(ClusterRedis, RedisRestartLosesNoAcknowledgedTask) {
  constexpr int kTasks = 2'000;
  constexpr int kBatch = 50;
  TempDir dir;
  std::unique_ptr<RedisServer> redis = RedisServer::Start();  // appendonly yes, fsync always
  ASSERT_NE(redis, nullptr) << RedisServer::last_error();
  const std::string ledger = dir / "ledger";
  const Env env = {{"TASKLY_TEST_LEDGER", ledger}};
  const std::vector<std::string> common = {"--store",     redis->url(), "--lease", "2s",
                                           "--prefetch",  "4",          "--grace", "0s",
                                           "--log-level", "error"};
  std::vector<std::string> server_args = common;
  server_args.insert(server_args.end(), {"--slots", "2", "--leader-ttl", "2s"});
  std::vector<std::string> worker_args = common;
  worker_args.insert(worker_args.end(), {"--concurrency", "2"});
  NodeProcess server("server", "s1", dir.path(), server_args, env);
  NodeProcess worker("worker", "w1", dir.path(), worker_args, env);
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(worker.Start());
  EXPECT_EQ(Get(server.url(), "/readyz").status, 200);

  // The submitter retries each batch until it is acknowledged (2xx); `acknowledged` counts the
  // tasks of acknowledged batches, which must all run.
  std::atomic<int> acknowledged = 0;
  std::atomic<bool> give_up = false;
  std::jthread submitter([&] {
    for (int first = 0; first < kTasks && !give_up; first += kBatch) {
      while (!give_up) {
        Answer a = Post(server.url(), "/v1/tasks/batch", LedgerBatch(first, kBatch));
        if (a.status / 100 == 2) break;
        ASSERT_NE(a.status / 100, 4) << a.body.dump();
        std::this_thread::sleep_for(20ms);
      }
      acknowledged += kBatch;
      std::this_thread::sleep_for(10ms);
    }
  });

  ASSERT_TRUE(PollUntil([&] { return acknowledged >= kTasks / 4; }, 60s));
  redis->Kill(SIGKILL);
  const int acknowledged_at_kill = acknowledged;
  // Not ready while Redis is down, naming the store.
  Answer down;
  ASSERT_TRUE(PollUntil(
      [&] {
        down = Get(server.url(), "/readyz");
        return down.status == 503;
      },
      10s))
      << down.status;
  EXPECT_THAT(down.body.dump(), HasSubstr("redis://127.0.0.1:" + std::to_string(redis->port())));
  EXPECT_THAT(down.body.dump(), HasSubstr("unreachable"));
  std::this_thread::sleep_for(1s);  // outage: submissions, claims and completions fail
  ASSERT_TRUE(redis->Relaunch()) << RedisServer::last_error();
  // Ready again by itself (the connection pool's reconnect backoff is at most 5 s).
  EXPECT_TRUE(PollUntil([&] { return Get(server.url(), "/readyz").status == 200; }, 20s));

  ASSERT_TRUE(PollUntil([&] { return acknowledged == kTasks; }, 90s));
  give_up = true;
  submitter.join();
  const bool all_ran =
      PollUntil([&] { return static_cast<int>(ReadLedger(ledger).size()) >= kTasks; }, 90s);
  EXPECT_TRUE(all_ran) << server.log() << worker.log();
  const int lost = Tally(ReadLedger(ledger), kTasks).lost;
  EXPECT_EQ(lost, 0);
  ASSERT_TRUE(PollUntil(
      [&] {
        std::vector<Json> tasks = ListAllTasks(server.url());
        return tasks.size() == static_cast<size_t>(kTasks) &&
               std::all_of(tasks.begin(), tasks.end(),
                           [](const Json& t) { return t["state"] == "succeeded"; });
      },
      60s));
  std::cout << "[redis restart] " << kTasks << " tasks, " << acknowledged_at_kill
            << " acknowledged before the SIGKILL of redis, " << lost << " lost\n";
  // Both nodes are still up and registered.
  Answer cluster = Get(server.url(), "/v1/cluster");
  ASSERT_EQ(cluster.status, 200);
  EXPECT_EQ(cluster.body["nodes"].size(), 2u) << cluster.body.dump();
}

}  // namespace
}  // namespace taskly::cli::testing
