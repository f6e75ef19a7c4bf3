// Schedulers as nodes of one cluster: leadership, ticks only on the leader, re-sync of schedules
// across nodes, failover with catch-up, fencing of a stale leader (Redis), and a graceful stop
// that resigns, leaves and hands running tasks back. Nodes share a SimulatedClock, a store and a
// coordinator; the test moves the clock one cluster round at a time and waits (bounded, in real
// time) for the nodes' timer threads to act. This binary also runs under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "taskly/redis_store.h"
#include "taskly/scheduler.h"
#include "taskly/store_wrapper.h"
#include "tests/support/redis_server.h"

namespace taskly {
namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool WaitFor(Pred pred) {
  auto until = std::chrono::steady_clock::now() + 20s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Counts the calls that only a leader should make.
class CountingStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::vector<EnqueueResult>> enqueue_as_leader(std::span<const TaskSpec> specs,
                                                       uint64_t term) override {
    leader_enqueues++;
    return StoreWrapper::enqueue_as_leader(specs, term);
  }
  Result<MaintenanceReport> maintain() override {
    maintains++;
    return StoreWrapper::maintain();
  }
  Result<std::vector<StoredSchedule>> list_schedules() override {
    listings++;
    return StoreWrapper::list_schedules();
  }
  std::atomic<int> leader_enqueues{0}, maintains{0}, listings{0};
};

// A coordinator that can be cut off (a partition): every call fails while `down`.
class CuttableCoordinator : public Coordinator {
 public:
  explicit CuttableCoordinator(Coordinator& target) : target_(target) {}
  Result<LeaderInfo> campaign(const std::string& node, Duration ttl) override {
    if (down) return Unreachable();
    return target_.campaign(node, ttl);
  }
  Status resign(const std::string& node, uint64_t term) override {
    if (down) return Unreachable();
    return target_.resign(node, term);
  }
  Result<LeaderInfo> leader() override {
    if (down) return Unreachable();
    return target_.leader();
  }
  Status heartbeat(const NodeInfo& node, Duration ttl) override {
    if (down) return Unreachable();
    return target_.heartbeat(node, ttl);
  }
  Status leave(const std::string& node_id) override {
    if (down) return Unreachable();
    return target_.leave(node_id);
  }
  Result<std::vector<NodeInfo>> nodes() override {
    if (down) return Unreachable();
    return target_.nodes();
  }
  std::atomic<bool> down{false};

 private:
  static Status Unreachable() { return Status(StatusCode::kUnavailable, "partitioned"); }
  Coordinator& target_;
};

class ClusterTest : public ::testing::Test {
 protected:
  void TearDown() override { StopAll(); }
  void StopAll() {
    for (auto& s : nodes_) s->stop(Duration::zero());
  }
  // Stops the nodes when a test body's scope ends, before the locals they use are destroyed
  // (declare it after them).
  struct StopOnExit {
    ClusterTest* test;
    ~StopOnExit() { test->StopAll(); }
  };

  // A node on the shared clock; ticks go to queue "ticks", which no node serves, so the tasks
  // stay pending where the test can count them.
  Scheduler* Node(const std::string& id, Store* store, Coordinator* coordinator, Duration ttl = 3s,
                  bool lead = true) {
    SchedulerOptions o;
    o.store = store;
    o.clock = &clock_;
    o.slots = 1;
    o.seed = 7;
    o.coordinator = coordinator;
    o.leader_ttl = ttl;
    o.lead = lead;
    o.maintenance_interval = 1s;
    o.min_schedule_period = 100ms;  // a test below ticks every 200 ms
    o.node.id = id;
    Result<std::unique_ptr<Scheduler>> s = Scheduler::Create(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    nodes_.push_back(std::move(*s));
    return nodes_.back().get();
  }

  static ScheduleSpec Every(const std::string& id, Duration period) {
    ScheduleSpec spec;
    spec.id = id;
    spec.every = period;
    spec.task = TaskSpec{.type = "tick", .queue = "ticks"};
    return spec;
  }

  // The due times of the tasks a schedule enqueued, in the order found.
  std::multiset<TimePoint> Ticks(Store& store, const std::string& schedule) {
    std::multiset<TimePoint> out;
    Result<TaskPage> page = store.list(TaskFilter{.queue = "ticks"}, PageRequest{.limit = 1000});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return out;
    for (const Task& t : page->tasks) {
      if (t.spec.schedule_id == schedule && t.spec.tick_due) out.insert(*t.spec.tick_due);
    }
    return out;
  }

  bool Leading(Scheduler* s) {
    Result<ClusterView> v = s->cluster();
    return v.ok() && v->leading;
  }

  SimulatedClock clock_;
  std::unique_ptr<Store> memory_ = NewMemoryStore({.clock = &clock_});
  std::unique_ptr<Coordinator> coordinator_ = NewLocalCoordinator(&clock_);
  std::vector<std::unique_ptr<Scheduler>> nodes_;
};

TEST_F(ClusterTest, WithoutACoordinatorTheSchedulerAloneLeadsInTermZero) {
  Scheduler* s = Node("solo", memory_.get(), nullptr);
  ASSERT_TRUE(s->start().ok());
  Result<ClusterView> v = s->cluster();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->self, "solo");
  EXPECT_TRUE(v->leading);
  EXPECT_EQ(v->leader.node, "solo");
  EXPECT_EQ(v->leader.term, 0u);
  ASSERT_EQ(v->nodes.size(), 1u);
  EXPECT_EQ(v->nodes[0].id, "solo");
}

TEST_F(ClusterTest, OnlyTheLeaderTicksAndMaintains) {
  CountingStore store_a(*memory_), store_b(*memory_);
  StopOnExit stop_on_exit{this};
  Scheduler* a = Node("a", &store_a, coordinator_.get());
  Scheduler* b = Node("b", &store_b, coordinator_.get());
  ASSERT_TRUE(a->start().ok());
  ASSERT_TRUE(b->start().ok());
  ASSERT_TRUE(a->add_schedule(Every("s", 1s)).ok());

  Result<ClusterView> view = b->cluster();
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->self, "b");
  EXPECT_FALSE(view->leading);
  EXPECT_EQ(view->leader.node, "a");
  EXPECT_EQ(view->leader.term, 1u);
  ASSERT_EQ(view->nodes.size(), 2u);
  EXPECT_EQ(view->nodes[0].id, "a");
  EXPECT_EQ(view->nodes[0].role, "server");
  EXPECT_EQ(view->nodes[0].slots, 1);
  EXPECT_EQ(view->nodes[0].queues, std::vector<std::string>{"default"});
  EXPECT_EQ(view->nodes[1].id, "b");
  EXPECT_TRUE(Leading(a));
  EXPECT_EQ(a->workers().front().id, "a/0");  // the worker id defaults to the node id

  for (int i = 1; i <= 5; ++i) {
    clock_.advance(1s);
    // The tick handled: the cursor moved.
    ASSERT_TRUE(WaitFor([&] {
      Result<ScheduleInfo> info = a->schedule("s");
      return info.ok() && info->next_due == clock_.now() + 1s;
    })) << i;
    // Maintenance ran on both nodes, and all four clock waiters (two timer threads, two
    // workers) are idle again, so no timer runs late into the next second.
    ASSERT_TRUE(WaitFor([&] {
      return store_a.maintains >= i && store_b.listings >= i && clock_.waiters() == 4;
    })) << i;
  }
  EXPECT_EQ(a->stats().ticks_fired, 5);
  EXPECT_EQ(store_b.maintains, 0);
  EXPECT_EQ(store_b.leader_enqueues, 0);
  EXPECT_EQ(b->stats().ticks_fired, 0);
  EXPECT_EQ(Ticks(*memory_, "s").size(), 5u);
  EXPECT_EQ(a->stats().leaderships, 1);
  EXPECT_EQ(b->stats().leaderships, 0);
  // The follower sees the leader's progress through the store.
  ASSERT_TRUE(WaitFor([&] {
    Result<ScheduleInfo> info = b->schedule("s");
    return info.ok() && info->next_due >= clock_.now();
  }));
}

TEST_F(ClusterTest, AWorkerOnlyNodeNeverLeadsEvenAlone) {
  CountingStore store(*memory_);
  StopOnExit stop_on_exit{this};
  Scheduler* w = Node("w", &store, coordinator_.get(), 3s, /*lead=*/false);
  ASSERT_TRUE(w->start().ok());
  ASSERT_TRUE(w->add_schedule(Every("s", 1s)).ok());
  for (int i = 1; i <= 4; ++i) {
    clock_.advance(1s);
    // Maintenance ran, and the timer thread and the worker wait on the clock again.
    ASSERT_TRUE(WaitFor([&] { return store.listings >= i && clock_.waiters() == 2; }));
  }
  Result<ClusterView> v = w->cluster();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->leading);
  EXPECT_EQ(v->leader.node, "");
  EXPECT_EQ(v->leader.term, 0u);
  ASSERT_EQ(v->nodes.size(), 1u);  // but it is a live node
  EXPECT_EQ(v->nodes[0].id, "w");
  EXPECT_EQ(store.maintains, 0);
  EXPECT_EQ(w->stats().ticks_fired, 0);
  EXPECT_TRUE(Ticks(*memory_, "s").empty());
}

TEST_F(ClusterTest, AScheduleAddedOrRemovedOnAFollowerReachesTheLeader) {
  Scheduler* a = Node("a", memory_.get(), coordinator_.get());
  Scheduler* b = Node("b", memory_.get(), coordinator_.get());
  ASSERT_TRUE(a->start().ok());
  ASSERT_TRUE(b->start().ok());
  ASSERT_TRUE(b->add_schedule(Every("from-b", 1s)).ok());
  for (int i = 1; i <= 3; ++i) {
    clock_.advance(1s);
    ASSERT_TRUE(WaitFor([&] { return a->stats().ticks_fired == i; })) << i;
  }
  EXPECT_EQ(b->stats().ticks_fired, 0);
  EXPECT_EQ(Ticks(*memory_, "from-b").size(), 3u);

  ASSERT_TRUE(b->remove_schedule("from-b").ok());
  clock_.advance(1s);
  ASSERT_TRUE(
      WaitFor([&] { return a->schedule("from-b").status().code() == StatusCode::kNotFound; }));
  clock_.advance(1s);
  clock_.advance(1s);
  ASSERT_TRUE(WaitFor([&] { return a->stats().ticks_fired >= 3; }));
  EXPECT_LE(Ticks(*memory_, "from-b").size(), 4u);  // at most the tick due with the removal
}

TEST_F(ClusterTest, EveryNodeKnowsTheSchedulesAddedThroughAnother) {
  Scheduler* a = Node("a", memory_.get(), coordinator_.get());
  Scheduler* b = Node("b", memory_.get(), coordinator_.get());
  ASSERT_TRUE(a->start().ok());
  ASSERT_TRUE(b->start().ok());
  // Before any maintenance interval has passed, b already refuses a duplicate id and can
  // pause and remove a's schedule.
  ASSERT_TRUE(a->add_schedule(Every("s", 1s)).ok());
  EXPECT_EQ(b->add_schedule(Every("s", 2s)).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(a->add_schedule(Every("t", 1s)).ok());
  EXPECT_TRUE(b->pause_schedule("t", true).ok());
  ASSERT_TRUE(a->add_schedule(Every("u", 1s)).ok());
  EXPECT_TRUE(b->remove_schedule("u").ok());
  Result<std::vector<StoredSchedule>> stored = memory_->list_schedules();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].spec.every, 1s);  // not replaced by b's
  EXPECT_TRUE((*stored)[1].spec.paused);
  EXPECT_EQ(b->remove_schedule("never").code(), StatusCode::kNotFound);
}

TEST_F(ClusterTest, StopResignsAndLeavesSoAnotherNodeLeadsAtOnce) {
  Scheduler* a = Node("a", memory_.get(), coordinator_.get());
  Scheduler* b = Node("b", memory_.get(), coordinator_.get());
  ASSERT_TRUE(a->start().ok());
  ASSERT_TRUE(b->start().ok());
  a->stop(Duration::zero());
  Result<LeaderInfo> leader = coordinator_->leader();
  ASSERT_TRUE(leader.ok());
  EXPECT_EQ(leader->node, "");  // resigned: no wait for the 3 s lease
  Result<std::vector<NodeInfo>> live = coordinator_->nodes();
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].id, "b");

  clock_.advance(1s);  // b's next round
  ASSERT_TRUE(WaitFor([&] { return Leading(b); }));
  EXPECT_EQ(coordinator_->leader()->term, 2u);
  EXPECT_EQ(b->stats().leaderships, 1);
}

TEST_F(ClusterTest, FailoverCatchesUpEveryTickExactlyOnce) {
  CuttableCoordinator cut(*coordinator_);
  StopOnExit stop_on_exit{this};
  Scheduler* a = Node("a", memory_.get(), &cut);
  Scheduler* b = Node("b", memory_.get(), coordinator_.get());
  ASSERT_TRUE(a->start().ok());
  ASSERT_TRUE(b->start().ok());
  ScheduleSpec spec = Every("s", 1s);
  spec.misfire = Misfire{.policy = MisfirePolicy::kCatchUp, .max_catch_up = 100, .grace = 1s};
  ASSERT_TRUE(a->add_schedule(spec).ok());
  TimePoint t0 = clock_.now();
  for (int i = 1; i <= 3; ++i) {
    clock_.advance(1s);
    ASSERT_TRUE(WaitFor([&] { return a->stats().ticks_fired == i; })) << i;
  }

  // a is cut off: it can neither renew nor learn anything. Its lease (3 s from its last
  // renewal at t0+3s) runs out, so it stops ticking by its own clock; b takes over and catches
  // up the ticks due meanwhile.
  cut.down = true;
  clock_.advance(5s);
  ASSERT_TRUE(WaitFor([&] { return b->stats().ticks_fired == 5; }));
  EXPECT_TRUE(Leading(b));
  for (int i = 1; i <= 2; ++i) {
    clock_.advance(1s);
    ASSERT_TRUE(WaitFor([&] { return b->stats().ticks_fired == 5 + i; }));
  }
  // a back: b holds the lease, so a stays a follower and never ticks again.
  cut.down = false;
  clock_.advance(1s);
  ASSERT_TRUE(WaitFor([&] { return b->stats().ticks_fired == 8; }));
  ASSERT_TRUE(WaitFor([&] {
    Result<ClusterView> v = a->cluster();
    return v.ok() && v->nodes.size() == 2;
  }));
  EXPECT_FALSE(Leading(a));
  EXPECT_EQ(a->stats().ticks_fired, 3);
  EXPECT_EQ(a->stats().fenced_writes, 0);

  std::multiset<TimePoint> want;
  for (int k = 1; k <= 11; ++k) want.insert(t0 + k * 1s);
  EXPECT_EQ(Ticks(*memory_, "s"), want);
}

TEST_F(ClusterTest, AStoppedAttemptGoesBackToPendingWithoutUsingAnAttempt) {
  SchedulerOptions o;
  o.store = memory_.get();
  o.clock = &clock_;
  o.slots = 1;
  o.coordinator = coordinator_.get();
  o.node.id = "a";
  Result<std::unique_ptr<Scheduler>> created = Scheduler::Create(o);
  ASSERT_TRUE(created.ok());
  Scheduler& s = **created;
  std::atomic<bool> running{false};
  ASSERT_TRUE(s.handle("slow", [&](TaskContext& ctx) {
                 running = true;
                 while (!ctx.stop_requested()) std::this_thread::sleep_for(1ms);
                 return Outcome::Retry("stopped");
               }).ok());
  ASSERT_TRUE(s.start().ok());
  TaskId id = *s.enqueue({.type = "slow", .max_attempts = 1});
  ASSERT_TRUE(WaitFor([&] { return running.load(); }));
  s.stop(Duration::zero());
  Result<Task> t = memory_->get(id);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->state, TaskState::kPending);  // not dead, though it had one attempt
  EXPECT_EQ(t->attempts, 0);
  EXPECT_EQ(t->last_error, "");
  // Another node can run it at once.
  Result<std::vector<Lease>> again =
      memory_->claim({.queues = {"default"}, .worker = "b/0", .max_tasks = 1, .lease = 30s});
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->front().task.attempts, 1);
}

TEST_F(ClusterTest, AStaleLeadersTicksAreRefusedAndCounted) {
  std::unique_ptr<testing::RedisServer> redis = testing::RedisServer::Start();
  ASSERT_NE(redis, nullptr) << testing::RedisServer::last_error();
  RedisStoreOptions ro;
  ro.url = redis->url();
  ro.prefix = "stale";
  ro.clock = &clock_;
  Result<std::unique_ptr<Store>> store = OpenRedisStore(ro);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Result<std::unique_ptr<Coordinator>> coord = OpenRedisCoordinator(ro);
  ASSERT_TRUE(coord.ok()) << coord.status().ToString();
  StopOnExit stop_on_exit{this};
  // A 30 s lease; cluster rounds every second: the 200 ms ticks come between rounds.
  Scheduler* a = Node("a", store->get(), coord->get(), 30s);
  ASSERT_TRUE(a->start().ok());
  ASSERT_TRUE(Leading(a));
  ASSERT_TRUE(a->add_schedule(Every("s", 200ms)).ok());
  clock_.advance(200ms);
  ASSERT_TRUE(WaitFor([&] { return a->stats().ticks_fired == 1; }));

  // Elsewhere, a minute later by another clock (a was paused, say): a's lease has run out
  // there and another node leads in term 2. a's clock has not caught up, so a still believes
  // its lease holds; only the store can stop its writes.
  SimulatedClock later(clock_.now() + 60s);
  RedisStoreOptions elsewhere = ro;
  elsewhere.clock = &later;
  Result<std::unique_ptr<Coordinator>> other = OpenRedisCoordinator(elsewhere);
  ASSERT_TRUE(other.ok());
  Result<LeaderInfo> took = (*other)->campaign("b", 60s);
  ASSERT_TRUE(took.ok());
  ASSERT_EQ(took->node, "b");
  ASSERT_EQ(took->term, 2u);

  clock_.advance(200ms);
  ASSERT_TRUE(WaitFor([&] { return a->stats().fenced_writes == 1; }));
  ASSERT_TRUE(WaitFor([&] { return !Leading(a); }));
  EXPECT_EQ(a->stats().ticks_fired, 1);
  EXPECT_EQ(Ticks(**store, "s").size(), 1u);  // the refused tick wrote nothing
  clock_.advance(200ms);
  clock_.advance(200ms);
  ASSERT_TRUE(WaitFor([&] { return a->schedule("s")->next_due.has_value(); }));
  EXPECT_EQ(a->stats().fenced_writes, 1);  // a no longer tries
  EXPECT_EQ(Ticks(**store, "s").size(), 1u);
  a->stop(Duration::zero());
  EXPECT_EQ((*other)->leader()->node, "b");  // a's stop did not resign b's lease
}

// Leadership moves back and forth (partitions of either node) while other threads add, remove
// and pause schedules through both nodes and read the cluster's state: every due time of a
// catch-up schedule is enqueued exactly once. Mostly a workload for ThreadSanitizer.
TEST_F(ClusterTest, MovingLeadershipUnderConcurrentUseTicksEachDueTimeOnce) {
  CountingStore store_a(*memory_), store_b(*memory_);
  CuttableCoordinator cut_a(*coordinator_), cut_b(*coordinator_);
  StopOnExit stop_on_exit{this};
  Scheduler* a = Node("a", &store_a, &cut_a);
  Scheduler* b = Node("b", &store_b, &cut_b);
  ASSERT_TRUE(a->start().ok());
  ASSERT_TRUE(b->start().ok());
  ScheduleSpec steady = Every("steady", 1s);
  steady.misfire = Misfire{.policy = MisfirePolicy::kCatchUp, .max_catch_up = 1000};
  ASSERT_TRUE(a->add_schedule(steady).ok());
  TimePoint t0 = clock_.now();

  // jthreads: a failed assertion's return stops and joins them.
  std::jthread editor([&](std::stop_token stop) {
    for (int i = 0; !stop.stop_requested(); ++i) {
      Scheduler* via = i % 2 == 0 ? a : b;
      std::string id = "x" + std::to_string(i % 4);
      (void)via->add_schedule(Every(id, 1s));
      (void)via->pause_schedule(id, i % 3 == 0);
      (void)via->remove_schedule("x" + std::to_string((i + 2) % 4));
      std::this_thread::yield();
    }
  });
  std::jthread reader([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      (void)a->cluster();
      (void)b->cluster();
      (void)a->stats();
      (void)b->schedules();
      std::this_thread::yield();
    }
  });

  // One second, then until both nodes' maintenance has run (it re-reads the schedules; every
  // second has one due on each node) and every thread that waits on the clock (two timer
  // threads, two workers) waits again: nothing due is left to run.
  auto step = [&] {
    int before_a = store_a.listings, before_b = store_b.listings;
    clock_.advance(1s);
    return WaitFor([&] {
      return store_a.listings > before_a && store_b.listings > before_b && clock_.waiters() == 4;
    });
  };
  constexpr int kSteps = 40;
  for (int i = 1; i <= kSteps; ++i) {
    if (i % 7 == 0) cut_a.down = !cut_a.down;
    if (i % 11 == 0) cut_b.down = !cut_b.down;
    ASSERT_TRUE(step()) << i;
  }
  cut_a.down = false;
  cut_b.down = false;
  editor.request_stop();
  reader.request_stop();
  editor.join();
  reader.join();

  // Healed: within a lease one node leads and catches up every missed tick.
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(step()) << kSteps + i;
  ASSERT_TRUE(WaitFor([&] { return Ticks(*memory_, "steady").size() == kSteps + 5u; }));
  EXPECT_NE(Leading(a), Leading(b));
  std::multiset<TimePoint> want;
  for (int k = 1; k <= kSteps + 5; ++k) want.insert(t0 + k * 1s);
  EXPECT_EQ(Ticks(*memory_, "steady"), want);
}

}  // namespace
}  // namespace taskly
