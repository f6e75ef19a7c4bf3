// Redis coordinator specifics beyond the shared contract (coord/coordinator_test.cc): racing
// campaigns from separate connections, the store's enqueue fenced by the coordinator's term,
// and open errors. Against a private redis-server (tests/support/redis_server.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "taskly/redis_store.h"
#include "tests/support/redis_server.h"

namespace taskly {
namespace {

using namespace std::chrono_literals;
using ::taskly::testing::RedisServer;
using ::testing::HasSubstr;

class RedisCoordinatorTest : public ::testing::Test {
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
    options_.url = server_->url();
    options_.prefix = "r" + std::to_string(++prefixes_);
    options_.clock = &clock_;
  }

  std::unique_ptr<Coordinator> Coord() {
    Result<std::unique_ptr<Coordinator>> c = OpenRedisCoordinator(options_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  static inline RedisServer* server_ = nullptr;
  static inline int prefixes_ = 0;
  SimulatedClock clock_;
  RedisStoreOptions options_;
};

TEST_F(RedisCoordinatorTest, RacingCampaignsElectExactlyOne) {
  constexpr int kNodes = 8;
  std::vector<std::unique_ptr<Coordinator>> coords;
  for (int i = 0; i < kNodes; ++i) coords.push_back(Coord());
  for (int round = 0; round < 5; ++round) {
    std::vector<LeaderInfo> seen(kNodes);
    std::latch go(kNodes);
    std::vector<std::thread> threads;
    for (int i = 0; i < kNodes; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        Result<LeaderInfo> r = coords[i]->campaign("n" + std::to_string(i), 10s);
        if (r.ok()) seen[i] = *r;
      });
    }
    for (auto& t : threads) t.join();
    // Everyone agrees on one leader and one term, new in each round.
    int winners = 0;
    for (int i = 0; i < kNodes; ++i) {
      EXPECT_EQ(seen[i].node, seen[0].node);
      EXPECT_EQ(seen[i].term, static_cast<uint64_t>(round + 1));
      if (seen[i].node == "n" + std::to_string(i)) winners++;
    }
    EXPECT_EQ(winners, 1);
    clock_.advance(10s);  // the lease runs out: the next round elects again
  }
}

TEST_F(RedisCoordinatorTest, EnqueueAsLeaderIsFencedByANewerTerm) {
  Result<std::unique_ptr<Store>> store = OpenRedisStore(options_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::unique_ptr<Coordinator> coord = Coord();
  TaskSpec spec{.type = "tick", .queue = "q"};

  // No leadership yet (term 0): any term passes.
  ASSERT_TRUE((*store)->enqueue_as_leader({&spec, 1}, 0).ok());
  ASSERT_EQ(coord->campaign("old", 10s)->term, 1u);
  Result<std::vector<EnqueueResult>> ok = (*store)->enqueue_as_leader({&spec, 1}, 1);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->front().created);

  clock_.advance(10s);
  ASSERT_EQ(coord->campaign("new", 10s)->term, 2u);
  std::vector<TaskSpec> batch(3, spec);
  Result<std::vector<EnqueueResult>> fenced = (*store)->enqueue_as_leader(batch, 1);
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.status().code(), StatusCode::kAborted);
  EXPECT_THAT(fenced.status().message(), HasSubstr("term 2"));
  EXPECT_THAT(fenced.status().message(), HasSubstr("term 1"));
  // Nothing was written.
  Result<TaskPage> page = (*store)->list(TaskFilter{}, PageRequest{.limit = 100});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->tasks.size(), 2u);

  // The new leader's term passes; plain enqueue is never fenced.
  EXPECT_TRUE((*store)->enqueue_as_leader({&spec, 1}, 2).ok());
  EXPECT_TRUE((*store)->enqueue({&spec, 1}).ok());
}

TEST_F(RedisCoordinatorTest, OpenErrors) {
  RedisStoreOptions o = options_;
  o.prefix = "has space";
  Result<std::unique_ptr<Coordinator>> c = OpenRedisCoordinator(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().field(), "prefix");

  o = options_;
  o.url = "redis://127.0.0.1:1";
  c = OpenRedisCoordinator(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(c.status().message(), HasSubstr("127.0.0.1:1"));
}

TEST_F(RedisCoordinatorTest, StateLivesInRedisNotInTheCoordinator) {
  ASSERT_EQ(Coord()->campaign("n1", 10s)->term, 1u);
  ASSERT_TRUE(Coord()->heartbeat(NodeInfo{.id = "n1", .role = "server"}, 10s).ok());
  // A coordinator opened later (another process) sees both.
  std::unique_ptr<Coordinator> later = Coord();
  EXPECT_EQ(later->leader()->node, "n1");
  Result<std::vector<NodeInfo>> nodes = later->nodes();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].id, "n1");
}

}  // namespace
}  // namespace taskly
