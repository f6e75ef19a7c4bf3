// The Coordinator contract, run against both implementations: the local one (memory) and the
// Redis one on a private redis-server (tests/support/redis_server.h). Time is a SimulatedClock:
// leases and heartbeats expire when the test moves it, never by sleeping.
#include "taskly/coordinator.h"

#include <gtest/gtest.h>

#include <functional>

#include "taskly/redis_store.h"
#include "tests/support/redis_server.h"

namespace taskly {
namespace {

using namespace std::chrono_literals;
using ::taskly::testing::RedisServer;

// Makes coordinators that share one backend (one cluster), all on `clock`.
using Factory = std::function<std::unique_ptr<Coordinator>(Clock* clock)>;

struct Backend {
  std::string name;
  std::function<Factory()> make;  // a fresh, empty cluster
};

RedisServer* g_redis = nullptr;
int g_prefixes = 0;

std::vector<Backend> Backends() {
  return {
      {"local",
       [] {
         // One LocalCoordinator is the whole cluster: every "node" gets a view of it.
         auto shared = std::make_shared<std::unique_ptr<Coordinator>>();
         struct View final : Coordinator {
           explicit View(std::shared_ptr<std::unique_ptr<Coordinator>> c) : c_(std::move(c)) {}
           Result<LeaderInfo> campaign(const std::string& n, Duration t) override {
             return (*c_)->campaign(n, t);
           }
           Status resign(const std::string& n, uint64_t t) override { return (*c_)->resign(n, t); }
           Result<LeaderInfo> leader() override { return (*c_)->leader(); }
           Status heartbeat(const NodeInfo& n, Duration t) override {
             return (*c_)->heartbeat(n, t);
           }
           Status leave(const std::string& id) override { return (*c_)->leave(id); }
           Result<std::vector<NodeInfo>> nodes() override { return (*c_)->nodes(); }
           std::shared_ptr<std::unique_ptr<Coordinator>> c_;
         };
         return Factory([shared](Clock* clock) -> std::unique_ptr<Coordinator> {
           if (!*shared) *shared = NewLocalCoordinator(clock);
           return std::make_unique<View>(shared);
         });
       }},
      {"redis",
       [] {
         std::string prefix = "c" + std::to_string(++g_prefixes);
         return Factory([prefix](Clock* clock) -> std::unique_ptr<Coordinator> {
           RedisStoreOptions o;
           o.url = g_redis->url();
           o.prefix = prefix;
           o.clock = clock;
           Result<std::unique_ptr<Coordinator>> c = OpenRedisCoordinator(o);
           EXPECT_TRUE(c.ok()) << c.status().ToString();
           return c.ok() ? std::move(c).value() : nullptr;
         });
       }},
  };
}

class CoordinatorTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void SetUpTestSuite() {
    if (g_redis == nullptr) g_redis = RedisServer::Start().release();
    ASSERT_NE(g_redis, nullptr) << RedisServer::last_error();
  }
  static void TearDownTestSuite() {
    delete g_redis;
    g_redis = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(g_redis, nullptr);
    factory_ = GetParam().make();
    a_ = factory_(&clock_);
    b_ = factory_(&clock_);
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
  }

  LeaderInfo Campaign(Coordinator& c, const std::string& node, Duration ttl = 10s) {
    Result<LeaderInfo> r = c.campaign(node, ttl);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : LeaderInfo{};
  }

  static NodeInfo Node(std::string id) {
    return NodeInfo{.id = std::move(id),
                    .role = "server",
                    .host = "h1",
                    .pid = 42,
                    .api = "http://127.0.0.1:8080",
                    .queues = {"default", "mail"},
                    .slots = 4,
                    .running = {"T1", "T2"},
                    .started_at = SimulatedClock::DefaultStart()};
  }

  SimulatedClock clock_;
  Factory factory_;
  std::unique_ptr<Coordinator> a_, b_;
};

TEST_P(CoordinatorTest, NoLeaderBeforeTheFirstCampaign) {
  Result<LeaderInfo> l = a_->leader();
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->node, "");
  EXPECT_EQ(l->term, 0u);
}

TEST_P(CoordinatorTest, FirstCampaignLeadsAndOthersSeeIt) {
  LeaderInfo first = Campaign(*a_, "n1");
  EXPECT_EQ(first.node, "n1");
  EXPECT_EQ(first.term, 1u);
  EXPECT_EQ(first.expires_at, clock_.now() + 10s);
  // Another node, through another coordinator: the lease is held.
  LeaderInfo seen = Campaign(*b_, "n2");
  EXPECT_EQ(seen.node, "n1");
  EXPECT_EQ(seen.term, 1u);
  Result<LeaderInfo> l = b_->leader();
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->node, "n1");
  EXPECT_EQ(l->term, 1u);
}

TEST_P(CoordinatorTest, OnlyTheHolderRenewsInTheSameTerm) {
  Campaign(*a_, "n1");
  clock_.advance(8s);
  LeaderInfo renewed = Campaign(*a_, "n1");
  EXPECT_EQ(renewed.node, "n1");
  EXPECT_EQ(renewed.term, 1u);
  EXPECT_EQ(renewed.expires_at, clock_.now() + 10s);
  // 16 s after the first campaign: alive only because it was renewed.
  clock_.advance(8s);
  LeaderInfo other = Campaign(*b_, "n2");
  EXPECT_EQ(other.node, "n1");
  EXPECT_EQ(other.expires_at, renewed.expires_at);  // n2's campaign did not extend it
}

TEST_P(CoordinatorTest, ExpiredLeaseIsTakenOverWithAHigherTerm) {
  Campaign(*a_, "n1");
  clock_.advance(10s);  // exactly the ttl: expired
  Result<LeaderInfo> none = a_->leader();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->node, "");
  EXPECT_EQ(none->term, 1u);
  LeaderInfo taken = Campaign(*b_, "n2");
  EXPECT_EQ(taken.node, "n2");
  EXPECT_EQ(taken.term, 2u);
  // The old holder's campaign no longer renews.
  EXPECT_EQ(Campaign(*a_, "n1").node, "n2");
  // Even the same node gets a new term after its own lease ran out.
  clock_.advance(10s);
  LeaderInfo again = Campaign(*b_, "n2");
  EXPECT_EQ(again.node, "n2");
  EXPECT_EQ(again.term, 3u);
}

TEST_P(CoordinatorTest, ResignNeedsTheHolderAndItsTerm) {
  LeaderInfo l = Campaign(*a_, "n1");
  ASSERT_TRUE(b_->resign("n2", l.term).ok());      // not the holder
  ASSERT_TRUE(a_->resign("n1", l.term + 1).ok());  // not its term
  EXPECT_EQ(a_->leader()->node, "n1");
  ASSERT_TRUE(a_->resign("n1", l.term).ok());
  Result<LeaderInfo> after = b_->leader();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->node, "");
  EXPECT_EQ(after->term, 1u);
  // Taken at once, without waiting for the ttl.
  LeaderInfo next = Campaign(*b_, "n2");
  EXPECT_EQ(next.node, "n2");
  EXPECT_EQ(next.term, 2u);
}

TEST_P(CoordinatorTest, HeartbeatsListNodesByIdUntilTheyExpireOrLeave) {
  ASSERT_TRUE(a_->heartbeat(Node("zeta"), 10s).ok());
  clock_.advance(1s);
  ASSERT_TRUE(b_->heartbeat(Node("alpha"), 10s).ok());
  Result<std::vector<NodeInfo>> nodes = a_->nodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  ASSERT_EQ(nodes->size(), 2u);
  const NodeInfo& alpha = (*nodes)[0];
  EXPECT_EQ(alpha.id, "alpha");
  EXPECT_EQ((*nodes)[1].id, "zeta");
  EXPECT_EQ(alpha.role, "server");
  EXPECT_EQ(alpha.host, "h1");
  EXPECT_EQ(alpha.pid, 42);
  EXPECT_EQ(alpha.api, "http://127.0.0.1:8080");
  EXPECT_EQ(alpha.queues, (std::vector<std::string>{"default", "mail"}));
  EXPECT_EQ(alpha.slots, 4);
  EXPECT_EQ(alpha.running, (std::vector<TaskId>{"T1", "T2"}));
  EXPECT_EQ(alpha.started_at, SimulatedClock::DefaultStart());
  EXPECT_EQ(alpha.last_seen, clock_.now());
  EXPECT_EQ((*nodes)[1].last_seen, clock_.now() - 1s);

  // zeta's heartbeat is 10 s old: gone; alpha's is 9 s old.
  clock_.advance(9s);
  nodes = b_->nodes();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].id, "alpha");

  // A new heartbeat replaces what the node said and extends its life.
  NodeInfo changed = Node("alpha");
  changed.running.clear();
  ASSERT_TRUE(b_->heartbeat(changed, 10s).ok());
  clock_.advance(5s);
  nodes = a_->nodes();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_TRUE((*nodes)[0].running.empty());

  ASSERT_TRUE(b_->leave("alpha").ok());
  ASSERT_TRUE(b_->leave("never-there").ok());
  nodes = a_->nodes();
  ASSERT_TRUE(nodes.ok());
  EXPECT_TRUE(nodes->empty());
}

TEST_P(CoordinatorTest, RejectsBadArguments) {
  EXPECT_EQ(a_->campaign("", 10s).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a_->campaign("n1", Duration::zero()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a_->heartbeat(Node(""), 10s).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a_->heartbeat(Node("n1"), -1s).code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, CoordinatorTest, ::testing::ValuesIn(Backends()),
                         [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace taskly
