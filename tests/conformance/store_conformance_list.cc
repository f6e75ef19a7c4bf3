// Inspection: list() filters and paging, queues() stats and settings, set_queue validation.
#include <gmock/gmock.h>

#include "tests/conformance/store_conformance.h"

namespace taskly {

using namespace std::chrono_literals;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace {

std::vector<TaskId> Ids(const TaskPage& page) {
  std::vector<TaskId> ids;
  for (const Task& t : page.tasks) ids.push_back(t.id);
  return ids;
}

}  // namespace

TEST_P(StoreConformance, ListFiltersByStateQueueTypeAndLabel) {
  TaskSpec spec = Spec("a");
  spec.labels = {{"tenant", "acme"}};
  TaskId a_acme = Enqueue(spec);
  spec.labels = {{"tenant", "zeta"}};
  TaskId a_zeta = Enqueue(spec);
  spec = Spec("b");
  spec.type = "other";
  spec.labels = {{"tenant", "acme"}, {"tier", "gold"}};
  TaskId b_other = Enqueue(spec);
  TaskId b_plain = Enqueue(Spec("b"));
  std::vector<Lease> l = Claim({"b"});  // b_other becomes active
  ASSERT_EQ(l.size(), 1u);
  ASSERT_EQ(l[0].task.id, b_other);

  auto list = [&](const TaskFilter& filter) {
    Result<TaskPage> page = store_->list(filter, PageRequest{});
    EXPECT_TRUE(IsOk(page));
    return page.ok() ? Ids(*page) : std::vector<TaskId>{};
  };
  EXPECT_THAT(list(TaskFilter{}), ElementsAreArray({a_acme, a_zeta, b_other, b_plain}));
  EXPECT_THAT(list(Filter(TaskState::kActive)), ElementsAreArray({b_other}));
  EXPECT_THAT(list(Filter(TaskState::kPending)), ElementsAreArray({a_acme, a_zeta, b_plain}));
  EXPECT_THAT(list(Filter(TaskState::kDead)), IsEmpty());
  EXPECT_THAT(list(Filter({}, "a")), ElementsAreArray({a_acme, a_zeta}));
  EXPECT_THAT(list(Filter({}, "", "other")), ElementsAreArray({b_other}));
  EXPECT_THAT(list(Filter({}, "", "", "tenant", "acme")), ElementsAreArray({a_acme, b_other}));
  EXPECT_THAT(list(Filter({}, "", "", "tier", "gold")), ElementsAreArray({b_other}));
  // Filters combine.
  EXPECT_THAT(list(Filter(TaskState::kPending, "a", "", "tenant", "zeta")),
              ElementsAreArray({a_zeta}));
  EXPECT_THAT(list(Filter({}, "b", "t")), ElementsAreArray({b_plain}));
}

TEST_P(StoreConformance, ListPagesCoverEveryTaskOnceInIdOrder) {
  std::vector<TaskId> all;
  for (int i = 0; i < 10; ++i) all.push_back(Enqueue(Spec(i % 2 == 0 ? "even" : "odd")));

  std::vector<TaskId> seen;
  PageRequest page{.after = "", .limit = 3};
  int pages = 0;
  for (;;) {
    Result<TaskPage> r = store_->list(TaskFilter{}, page);
    ASSERT_TRUE(IsOk(r));
    ASSERT_LE(r->tasks.size(), 3u);
    ++pages;
    for (const Task& t : r->tasks) seen.push_back(t.id);
    if (r->next.empty()) break;
    ASSERT_LT(pages, 10) << "paging does not end";
    page.after = r->next;
  }
  EXPECT_EQ(pages, 4);
  EXPECT_THAT(seen, ElementsAreArray(all));

  // A filtered listing pages the same way.
  seen.clear();
  page = PageRequest{.after = "", .limit = 2};
  for (int guard = 0; guard < 10; ++guard) {
    Result<TaskPage> r = store_->list(Filter({}, "odd"), page);
    ASSERT_TRUE(IsOk(r));
    for (const Task& t : r->tasks) seen.push_back(t.id);
    if (r->next.empty()) break;
    page.after = r->next;
  }
  EXPECT_THAT(seen, ElementsAreArray({all[1], all[3], all[5], all[7], all[9]}));
}

// store.h: `next` is "empty when this was the last" page, so a last page that happens to be
// full must not hand out a cursor to an empty page.
TEST_P(StoreConformance, ListNextIsEmptyOnAFullLastPage) {
  for (int i = 0; i < 6; ++i) Enqueue(Spec());
  Result<TaskPage> first = store_->list(TaskFilter{}, PageRequest{.after = "", .limit = 3});
  ASSERT_TRUE(IsOk(first));
  EXPECT_EQ(first->tasks.size(), 3u);
  ASSERT_FALSE(first->next.empty());
  Result<TaskPage> second =
      store_->list(TaskFilter{}, PageRequest{.after = first->next, .limit = 3});
  ASSERT_TRUE(IsOk(second));
  EXPECT_EQ(second->tasks.size(), 3u);
  EXPECT_EQ(second->next, "");
}

TEST_P(StoreConformance, QueuesCountTasksByStatePerQueue) {
  // succeeded, dead and active come from one batch claim (FIFO).
  TaskId succeeded = Enqueue(Spec("s"));
  TaskId dead = Enqueue(Spec("s"));
  Enqueue(Spec("s"));  // stays active
  std::vector<Lease> l = Claim({"s"}, 3, 1h);
  ASSERT_EQ(l.size(), 3u);
  ASSERT_TRUE(IsOk(store_->complete(succeeded, l[0].token, "")));
  ASSERT_TRUE(IsOk(store_->fail(dead, l[1].token, "x", FailOptions{{}, true})));
  ASSERT_TRUE(IsOk(store_->cancel(Enqueue(Spec("s")))));
  TaskSpec spec = Spec("s");
  spec.deadline = clock_.now() + 1s;
  Enqueue(spec);
  clock_.advance(2s);
  Maintain();  // expires it
  Enqueue(Spec("s"));
  Enqueue(Spec("s"));
  spec = Spec("s");
  spec.run_at = clock_.now() + 1h;
  Enqueue(spec);
  Enqueue(Spec("other"));

  QueueInfo s = QueueOf("s");
  EXPECT_EQ(s.scheduled, 1);
  EXPECT_EQ(s.pending, 2);
  EXPECT_EQ(s.active, 1);
  EXPECT_EQ(s.succeeded, 1);
  EXPECT_EQ(s.dead, 1);
  EXPECT_EQ(s.cancelled, 1);
  EXPECT_EQ(s.expired, 1);
  EXPECT_FALSE(s.paused);
  QueueInfo other = QueueOf("other");
  EXPECT_EQ(other.pending, 1);
  EXPECT_EQ(other.scheduled + other.active + other.succeeded + other.dead + other.cancelled +
                other.expired,
            0);
}

TEST_P(StoreConformance, QueueConfigRoundTripsThroughSetQueue) {
  Enqueue(Spec("implicit"));
  QueueInfo implicit = QueueOf("implicit");  // created on first use with the defaults
  EXPECT_EQ(implicit.config.policy, OrderingPolicy::kFifo);
  EXPECT_EQ(implicit.config.concurrency, 0);
  EXPECT_EQ(implicit.config.rate, 0);
  EXPECT_EQ(implicit.config.weight, 1);

  QueueConfig config;
  config.policy = OrderingPolicy::kPriority;
  config.aging_step = 5s;
  config.concurrency = 4;
  config.rate = 2.5;
  config.burst = 7;
  config.weight = 3;
  ASSERT_TRUE(IsOk(store_->set_queue("cfg", config)));
  QueueInfo q = QueueOf("cfg");
  EXPECT_EQ(q.config.policy, config.policy);
  EXPECT_EQ(q.config.aging_step, config.aging_step);
  EXPECT_EQ(q.config.concurrency, config.concurrency);
  EXPECT_EQ(q.config.rate, config.rate);
  EXPECT_EQ(q.config.burst, config.burst);
  EXPECT_EQ(q.config.weight, config.weight);

  config.policy = OrderingPolicy::kEdf;
  config.concurrency = 0;
  ASSERT_TRUE(IsOk(store_->set_queue("cfg", config)));
  EXPECT_EQ(QueueOf("cfg").config.policy, OrderingPolicy::kEdf);
  EXPECT_EQ(QueueOf("cfg").config.concurrency, 0);

  ASSERT_TRUE(IsOk(store_->pause_queue("cfg", true)));
  EXPECT_TRUE(QueueOf("cfg").paused);
  EXPECT_EQ(QueueOf("cfg").config.policy, OrderingPolicy::kEdf) << "pausing kept the config";
  ASSERT_TRUE(IsOk(store_->set_queue("cfg", config)));
  EXPECT_TRUE(QueueOf("cfg").paused) << "set_queue must not resume a paused queue";
}

TEST_P(StoreConformance, SetQueueRejectsAnInvalidConfig) {
  QueueConfig good;
  good.concurrency = 3;
  ASSERT_TRUE(IsOk(store_->set_queue("v", good)));

  QueueConfig bad;
  bad.weight = 0;
  Status s = store_->set_queue("v", bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.field(), HasSubstr("weight"));

  bad = QueueConfig{};
  bad.concurrency = -1;
  s = store_->set_queue("v", bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.field(), HasSubstr("concurrency"));

  // A rejected config changes nothing.
  EXPECT_EQ(QueueOf("v").config.concurrency, 3);
  EXPECT_EQ(QueueOf("v").config.weight, 1);
}

}  // namespace taskly
