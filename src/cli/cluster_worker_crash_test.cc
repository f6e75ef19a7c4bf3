// A cluster on one Redis (3 `server` nodes and 2 `worker` nodes of the ledger binary) runs
// 10,000 ledger tasks while the workers are SIGKILLed and restarted: nothing acknowledged is
// lost, every task succeeds, the tasks that ran twice are at most those the killed workers had
// claimed (slots x prefetch per kill), and the tasks a killed worker held go back to the others
// once their lease runs out (lease + the leader's maintenance interval).
#include <gmock/gmock.h>

#include <atomic>
#include <random>

#include "cli/cluster_test_util.h"

namespace taskly::cli::testing {
namespace {

using taskly::testing::RedisServer;

constexpr int kTasks = 10'000;
constexpr int kBatch = 200;
constexpr int kKills = 4;
constexpr int kWorkerSlots = 4;
constexpr int kPrefetch = 4;
constexpr auto kLease = 2s;
constexpr auto kMaintenance = 1s;  // SchedulerOptions::maintenance_interval's default
// What a loaded 2-core machine (or a sanitizer build) may add to a redelivery: the claim
// itself, the HTTP polls that look for it.
constexpr auto kSlack = 3s;

Json LedgerBatch(int first) {
  Json tasks = Json::array();
  for (int n = first; n < first + kBatch; ++n) {
    tasks.push_back({{"type", "ledger"},
                     {"payload", n},
                     {"max_attempts", 100},
                     {"unique_key", "wc-" + std::to_string(n)},
                     {"unique_ttl", "1h"}});
  }
  return {{"tasks", std::move(tasks)}};
}

// The ids of the active tasks whose lease `node` holds (its workers are "<node>/<slot>").
std::set<std::string> HeldBy(const std::string& url, const std::string& node) {
  std::set<std::string> ids;
  for (const Json& t : ListAllTasks(url, "&state=active")) {
    const std::string worker = t.value("worker", "");
    if (worker == node || worker.starts_with(node + "/")) ids.insert(t["id"].get<std::string>());
  }
  return ids;
}

// Whether none of `ids` is still active under `node`.
bool Released(const std::string& url, const std::string& node, const std::set<std::string>& ids) {
  for (const std::string& id : ids) {
    Answer a = Get(url, "/v1/tasks/" + id);
    if (a.status != 200) return false;
    const std::string worker = a.body.value("worker", "");
    const bool held = worker == node || worker.starts_with(node + "/");
    if (a.body["state"] == "active" && held) return false;
  }
  return true;
}

TEST(ClusterWorkerCrash, KilledWorkersLoseNothingAndTheirTasksComeBack) {
  TempDir dir;
  std::unique_ptr<RedisServer> redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr) << RedisServer::last_error();
  const std::string ledger = dir / "ledger";
  const Env env = {{"TASKLY_TEST_LEDGER", ledger}};
  const std::vector<std::string> common = {
      "--store", redis->url(), "--lease",     "2s",   "--prefetch", std::to_string(kPrefetch),
      "--grace", "0s",         "--log-level", "error"};
  std::vector<std::unique_ptr<NodeProcess>> servers, workers;
  for (const char* id : {"s1", "s2", "s3"}) {
    std::vector<std::string> args = common;
    args.insert(args.end(), {"--slots", "2", "--leader-ttl", "2s"});
    servers.push_back(std::make_unique<NodeProcess>("server", id, dir.path(), args, env));
    ASSERT_TRUE(servers.back()->Start());
  }
  for (const char* id : {"w1", "w2"}) {
    std::vector<std::string> args = common;
    args.insert(args.end(), {"--concurrency", std::to_string(kWorkerSlots)});
    workers.push_back(std::make_unique<NodeProcess>("worker", id, dir.path(), args, env));
    ASSERT_TRUE(workers.back()->Start());
  }
  const std::string api = servers[0]->url();
  ASSERT_TRUE(PollUntil([&] { return Get(api, "/v1/cluster").body["nodes"].size() == 5; }, 20s))
      << Get(api, "/v1/cluster").body.dump();

  std::atomic<int> acknowledged = 0;
  std::atomic<bool> give_up = false;
  std::jthread submitter([&] {
    for (int first = 0; first < kTasks && !give_up; first += kBatch) {
      while (!give_up && Post(api, "/v1/tasks/batch", LedgerBatch(first)).status / 100 != 2) {
        std::this_thread::sleep_for(20ms);
      }
      acknowledged += kBatch;
      std::this_thread::sleep_for(50ms);
    }
  });

  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pause_ms(300, 1200);
  std::chrono::steady_clock::duration slowest_return{};
  size_t orphans_total = 0;
  for (int kill = 0; kill < kKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    NodeProcess& victim = *workers[kill % workers.size()];
    ASSERT_TRUE(victim.Stop(SIGKILL).has_value()) << "kill " << kill;
    const auto killed_at = std::chrono::steady_clock::now();
    const std::set<std::string> orphans = HeldBy(api, victim.id());
    orphans_total += orphans.size();
    EXPECT_LE(orphans.size(), static_cast<size_t>(kWorkerSlots * kPrefetch));
    ASSERT_TRUE(PollUntil([&] { return Released(api, victim.id(), orphans); }, 30s))
        << "kill " << kill << ": the killed worker's tasks stayed active";
    slowest_return = std::max(slowest_return, std::chrono::steady_clock::now() - killed_at);
    ASSERT_TRUE(victim.Start()) << "restart after kill " << kill;
  }
  EXPECT_LE(slowest_return, kLease + kMaintenance + kSlack);

  const bool finished = PollUntil(
      [&] {
        return acknowledged == kTasks && static_cast<int>(ReadLedger(ledger).size()) >= kTasks;
      },
      150s);
  give_up = true;
  submitter.join();
  ASSERT_EQ(acknowledged.load(), kTasks);
  EXPECT_TRUE(finished);

  const auto [lost, duplicates, strays] = Tally(ReadLedger(ledger), kTasks);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(strays, 0) << "numbers outside 0.." << kTasks - 1 << " ran";
  ASSERT_TRUE(PollUntil(
      [&] {
        std::vector<Json> tasks = ListAllTasks(api, "&state=succeeded");
        return tasks.size() == static_cast<size_t>(kTasks);
      },
      60s));
  const std::vector<Json> tasks = ListAllTasks(api);
  EXPECT_EQ(tasks.size(), static_cast<size_t>(kTasks));
  int redelivered = 0;
  for (const Json& t : tasks) redelivered += t["attempts"].get<int>() - 1;
  EXPECT_LE(duplicates, redelivered);
  EXPECT_LE(duplicates, kKills * kWorkerSlots * kPrefetch);
  std::cout << "[worker crash] " << kTasks << " tasks, " << kKills << " worker kills, " << lost
            << " lost, " << duplicates << " ran twice, " << redelivered << " redelivered, "
            << orphans_total << " held by killed workers, slowest return "
            << std::chrono::duration_cast<std::chrono::milliseconds>(slowest_return).count()
            << " ms\n";
}

}  // namespace
}  // namespace taskly::cli::testing
