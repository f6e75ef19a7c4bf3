// Crash safety of `taskly server` on its SQLite store: 10,000 tasks, each appending its number to
// a ledger file outside the store (the "ledger" type of tests/support/ledger_server.cc, which is
// the real server with that one handler more), are submitted over HTTP while the server is
// killed with SIGKILL at random points and restarted. Every task whose enqueue was acknowledged
// must run (0 lost), and the tasks that ran twice are at most the tasks in flight at the kills:
// the ones active in the store (claimed, not yet settled) when it died, which the restarted
// store redelivers with the attempt counted.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "cli/cli_test_util.h"
#include "tests/support/ledger.h"

namespace taskly::cli::testing {
namespace {

using Json = nlohmann::json;
using taskly::testing::ReadLedger;
using taskly::testing::Tally;

constexpr int kTasks = 10'000;
constexpr int kBatch = 100;
constexpr int kKills = 5;
constexpr int kSlots = 4;
constexpr int kPrefetch = 8;

// The HTTP endpoint of whichever server process is alive; replaced at every restart.
class Endpoint {
 public:
  void set(const std::string& url, const std::string& token) {
    std::lock_guard lock(mu_);
    url_ = url;
    token_ = token;
  }
  std::pair<std::string, std::string> get() const {
    std::lock_guard lock(mu_);
    return {url_, token_};
  }

 private:
  mutable std::mutex mu_;
  std::string url_, token_;
};

// One batch of tasks [first, first + kBatch), each with its number as payload. The unique key
// makes a resubmission (after a connection broken by a kill) return the task already stored
// instead of adding a second one.
std::string BatchBody(int first) {
  Json tasks = Json::array();
  for (int n = first; n < first + kBatch; ++n) {
    tasks.push_back({{"type", "ledger"},
                     {"payload", n},
                     {"max_attempts", 100},
                     {"unique_key", "crash-" + std::to_string(n)},
                     {"unique_ttl", "1h"}});
  }
  return Json{{"tasks", std::move(tasks)}}.dump();
}

httplib::Headers Auth(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// POSTs the batch until a server acknowledges it (2xx); returns false only on a 4xx, which
// would be a bug in this test.
bool SubmitUntilAcknowledged(const Endpoint& endpoint, const std::string& body,
                             const std::atomic<bool>& give_up) {
  while (!give_up) {
    auto [url, token] = endpoint.get();
    httplib::Client client(url);
    client.set_connection_timeout(2);
    client.set_read_timeout(10);
    httplib::Result res = client.Post("/v1/tasks/batch", Auth(token), body, "application/json");
    if (res && res->status / 100 == 2) return true;
    if (res && res->status / 100 == 4) {
      ADD_FAILURE() << "batch refused: " << res->status << " " << res->body;
      return false;
    }
    std::this_thread::sleep_for(20ms);  // the server is down or restarting
  }
  return false;
}

// Every task of the server, through the paged list.
std::vector<Json> AllTasks(const Endpoint& endpoint) {
  auto [url, token] = endpoint.get();
  httplib::Client client(url);
  std::vector<Json> all;
  std::string after;
  while (true) {
    std::string path = "/v1/tasks?limit=1000";
    if (!after.empty()) path += "&after=" + after;
    httplib::Result res = client.Get(path, Auth(token));
    if (!res || res->status != 200) {
      ADD_FAILURE() << "GET " << path << " failed";
      return all;
    }
    Json page = Json::parse(res->body);
    for (Json& t : page["tasks"]) all.push_back(std::move(t));
    if (!page.contains("next")) return all;
    after = page["next"].get<std::string>();
  }
}

TEST(ServerCrash, AcknowledgedTasksSurviveSigkillAtRandomPoints) {
  TempDir dir;
  const std::string ledger = dir.path() + "/ledger";
  const std::vector<std::string> args = {
      "--slots", std::to_string(kSlots), "--prefetch", std::to_string(kPrefetch), "--grace",
      "0s",      "--log-level",          "warn"};
  const Env env = {{"TASKLY_TEST_LEDGER", ledger}};
  auto server = std::make_unique<Server>(dir.path(), args, env, TASKLY_LEDGER_SERVER);
  ASSERT_TRUE(server->Start());
  const std::string token = ReadFile(dir.path() + "/taskly-data/token");
  ASSERT_FALSE(token.empty());
  Endpoint endpoint;
  endpoint.set(server->url(), token.substr(0, token.find_first_of(" \n")));

  // Batches go out at a steady pace so that the kills land during submission and execution.
  std::atomic<bool> give_up = false;
  std::atomic<int> acknowledged = 0;
  std::jthread submitter([&] {
    for (int first = 0; first < kTasks; first += kBatch) {
      if (!SubmitUntilAcknowledged(endpoint, BatchBody(first), give_up)) return;
      acknowledged += kBatch;
      std::this_thread::sleep_for(20ms);
    }
  });

  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pause_ms(100, 900);
  for (int kill = 0; kill < kKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    ASSERT_TRUE(server->Stop(SIGKILL).has_value()) << "kill " << kill;
    server = std::make_unique<Server>(dir.path(), args, env, TASKLY_LEDGER_SERVER);
    ASSERT_TRUE(server->Start()) << "restart after kill " << kill;
    endpoint.set(server->url(), endpoint.get().second);
  }

  // Everything acknowledged runs in the end.
  const auto done = [&] {
    return acknowledged == kTasks && static_cast<int>(ReadLedger(ledger).size()) >= kTasks;
  };
  const bool finished = PollUntil(done, 120s);
  give_up = true;
  submitter.join();
  ASSERT_EQ(acknowledged.load(), kTasks);
  EXPECT_TRUE(finished) << server->log();

  const auto [lost, duplicates, strays] = Tally(ReadLedger(ledger), kTasks);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(strays, 0) << "numbers outside 0.." << kTasks - 1 << " ran";

  // The store's side: one task per number (the unique keys held), all succeeded; the attempts
  // beyond the first are the redeliveries of tasks in flight at a kill.
  ASSERT_TRUE(PollUntil([&] {
    std::vector<Json> tasks = AllTasks(endpoint);
    return std::all_of(tasks.begin(), tasks.end(),
                       [](const Json& t) { return t["state"] == "succeeded"; });
  }));
  const std::vector<Json> tasks = AllTasks(endpoint);
  EXPECT_EQ(tasks.size(), static_cast<size_t>(kTasks));
  int redelivered = 0;
  for (const Json& t : tasks) redelivered += t["attempts"].get<int>() - 1;
  // A task runs again only if it was in flight at a kill; at most slots x prefetch were.
  EXPECT_LE(duplicates, redelivered);
  EXPECT_LE(redelivered, kKills * kSlots * kPrefetch);
  std::cout << "[ledger] " << kTasks << " tasks, " << kKills << " kills, " << lost << " lost, "
            << duplicates << " ran twice, " << redelivered << " redelivered (in flight)\n";
}

}  // namespace
}  // namespace taskly::cli::testing
