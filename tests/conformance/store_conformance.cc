// The suite's fixture, and the enqueue tests: ids, the stored fields, validation.
#include "tests/conformance/store_conformance.h"

#include <gmock/gmock.h>

#include <span>
#include <utility>

#include "tests/support/model_compare.h"

namespace taskly {

using namespace std::chrono_literals;

void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

void PrintTo(StatusCode code, std::ostream* os) { *os << StatusCodeName(code); }
void PrintTo(TaskState state, std::ostream* os) { *os << TaskStateName(state); }

::testing::AssertionResult IsOk(const Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.ToString();
}

TaskFilter Filter(std::optional<TaskState> state, std::string queue, std::string type,
                  std::string label_key, std::string label_value) {
  TaskFilter filter;
  filter.state = state;
  filter.queue = std::move(queue);
  filter.type = std::move(type);
  filter.label_key = std::move(label_key);
  filter.label_value = std::move(label_value);
  return filter;
}

void StoreConformance::SetUp() { Recreate(RetentionPolicy{}); }

void StoreConformance::Recreate(const RetentionPolicy& retention) {
  store_.reset();
  store_ = GetParam().make(&clock_, retention);
  ASSERT_NE(store_, nullptr) << "backend " << GetParam().name << " made no store";
}

TaskSpec StoreConformance::Spec(std::string queue, std::string payload) {
  TaskSpec spec;
  spec.type = "t";
  spec.queue = std::move(queue);
  spec.payload = std::move(payload);
  return spec;
}

TaskId StoreConformance::Enqueue(const TaskSpec& spec) {
  Result<EnqueueResult> r = store_->enqueue_one(spec);
  if (!r.ok()) {
    ADD_FAILURE() << "enqueue: " << r.status().ToString();
    return "";
  }
  EXPECT_TRUE(r->created);
  return r->id;
}

std::vector<Lease> StoreConformance::Claim(std::vector<std::string> queues, int32_t max_tasks,
                                           Duration lease, std::string worker) {
  ClaimRequest request;
  request.queues = std::move(queues);
  request.worker = std::move(worker);
  request.max_tasks = max_tasks;
  request.lease = lease;
  Result<std::vector<Lease>> r = store_->claim(request);
  if (!r.ok()) {
    ADD_FAILURE() << "claim: " << r.status().ToString();
    return {};
  }
  EXPECT_LE(r->size(), static_cast<size_t>(max_tasks));
  return std::move(r).value();
}

Task StoreConformance::Get(const TaskId& id) {
  Result<Task> r = store_->get(id);
  if (!r.ok()) {
    ADD_FAILURE() << "get(" << id << "): " << r.status().ToString();
    return Task{};
  }
  return std::move(r).value();
}

MaintenanceReport StoreConformance::Maintain() {
  Result<MaintenanceReport> r = store_->maintain();
  if (!r.ok()) {
    ADD_FAILURE() << "maintain: " << r.status().ToString();
    return {};
  }
  return *r;
}

QueueInfo StoreConformance::QueueOf(const std::string& name) {
  Result<std::vector<QueueInfo>> r = store_->queues();
  if (!r.ok()) {
    ADD_FAILURE() << "queues: " << r.status().ToString();
    return {};
  }
  for (const QueueInfo& q : *r) {
    if (q.name == name) return q;
  }
  ADD_FAILURE() << "queue " << name << " is not listed by queues()";
  return {};
}

std::vector<std::string> StoreConformance::DrainPayloads(const std::string& queue) {
  std::vector<std::string> payloads;
  for (;;) {
    std::vector<Lease> leases = Claim({queue}, 1, 1h);
    if (leases.empty()) return payloads;
    payloads.push_back(leases[0].task.spec.payload);
    EXPECT_TRUE(IsOk(store_->complete(leases[0].task.id, leases[0].token, "")));
  }
}

namespace {

// A spec with every field set away from its default.
TaskSpec FullSpec(TimePoint now) {
  TaskSpec spec;
  spec.type = "email.send";
  spec.payload = std::string("{\"a\":1}\0tail\xff", 13);
  spec.queue = "mail:high-1.x";
  spec.priority = -7;
  spec.deadline = now + 1h;
  spec.timeout = 42s;
  spec.max_attempts = 9;
  spec.backoff = Backoff{250ms, 90s, 3.5};
  spec.unique_key = "user-17/welcome";
  spec.unique_ttl = 15min;
  spec.labels = {{"tenant", "acme"}, {"tier", "gold"}};
  spec.period = 5min;
  spec.schedule_id = "sched-9";
  spec.tick_due = now - 1s;
  return spec;
}

// One way to spoil a spec, and the field the store must name.
struct InvalidCase {
  const char* name;
  std::function<void(TaskSpec&)> spoil;
  const char* field;
};

}  // namespace

TEST_P(StoreConformance, IdsAreUniqueAndAscendingInEnqueueOrder) {
  std::vector<TaskSpec> batch(5, Spec());
  Result<std::vector<EnqueueResult>> r = store_->enqueue(batch);
  ASSERT_TRUE(IsOk(r));
  ASSERT_EQ(r->size(), 5u);
  std::vector<TaskId> ids;
  for (const EnqueueResult& e : *r) {
    EXPECT_TRUE(e.created);
    ids.push_back(e.id);
  }
  // Singles, some at the same instant and some later: order must not depend on the clock moving.
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Enqueue(Spec()));
    if (i % 2 == 1) clock_.advance(1ms);
  }
  for (size_t i = 1; i < ids.size(); ++i) {
    EXPECT_LT(ids[i - 1], ids[i]) << "ids " << i - 1 << " and " << i;
  }
  for (const TaskId& id : ids) EXPECT_FALSE(id.empty());
}

TEST_P(StoreConformance, GetReturnsEveryFieldOfTheSpec) {
  TaskSpec spec = FullSpec(clock_.now());
  TaskId id = Enqueue(spec);
  Task task = Get(id);
  EXPECT_EQ(task.id, id);
  testing::ExpectSpecEq(task.spec, spec);
  EXPECT_EQ(task.state, TaskState::kPending);
  EXPECT_EQ(task.attempts, 0);
  EXPECT_EQ(task.lease_token, 0u);
  EXPECT_EQ(task.enqueued_at, clock_.now());
  EXPECT_EQ(task.ready_at, clock_.now());
  EXPECT_EQ(task.scheduled_for, std::nullopt);
  EXPECT_EQ(task.started_at, std::nullopt);
  EXPECT_EQ(task.finished_at, std::nullopt);
  EXPECT_EQ(task.checkpoint, "");
  EXPECT_EQ(task.result, "");
  EXPECT_EQ(task.last_error, "");
  EXPECT_EQ(task.worker, "");
}

TEST_P(StoreConformance, GetOfAnUnknownIdIsNotFound) {
  Enqueue(Spec());
  Result<Task> r = store_->get("no-such-task");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformance, DefaultsRoundTripAndSeqFollowsEnqueueOrder) {
  TaskId a = Enqueue(Spec("default", "a"));
  TaskId b = Enqueue(Spec("default", "b"));
  Task ta = Get(a);
  Task tb = Get(b);
  testing::ExpectSpecEq(ta.spec, Spec("default", "a"));
  EXPECT_LT(ta.seq, tb.seq);
}

TEST_P(StoreConformance, PastRunAtStartsPending) {
  TaskSpec spec = Spec();
  spec.run_at = clock_.now() - 1min;
  TaskId id = Enqueue(spec);
  EXPECT_EQ(Get(id).state, TaskState::kPending);
  EXPECT_EQ(Claim({"default"}).size(), 1u);
}

TEST_P(StoreConformance, AnInvalidSpecRejectsTheWholeBatch) {
  const std::vector<InvalidCase> cases = {
      {"empty type", [](TaskSpec& s) { s.type = ""; }, "type"},
      {"bad queue", [](TaskSpec& s) { s.queue = "no spaces"; }, "queue"},
      {"empty queue", [](TaskSpec& s) { s.queue = ""; }, "queue"},
      {"max_attempts 0", [](TaskSpec& s) { s.max_attempts = 0; }, "max_attempts"},
      {"negative timeout", [](TaskSpec& s) { s.timeout = -1s; }, "timeout"},
      {"negative unique_ttl", [](TaskSpec& s) { s.unique_ttl = -1s; }, "unique_ttl"},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.name);
    for (size_t bad : {size_t{0}, size_t{2}}) {
      std::vector<TaskSpec> batch(3, Spec("v", "ok"));
      c.spoil(batch[bad]);
      Result<std::vector<EnqueueResult>> r = store_->enqueue(batch);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(r.status().field(), "tasks[" + std::to_string(bad) + "]." + c.field);
    }
  }
  // Nothing from any rejected batch was enqueued, and no queue holds a task.
  Result<TaskPage> page = store_->list(TaskFilter{}, PageRequest{});
  ASSERT_TRUE(IsOk(page));
  EXPECT_TRUE(page->tasks.empty());
  EXPECT_TRUE(Claim({"v"}, 10).empty());
}

TEST_P(StoreConformance, EnqueueOneNamesTheBareField) {
  TaskSpec spec = Spec();
  spec.max_attempts = 0;
  Result<EnqueueResult> r = store_->enqueue_one(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "max_attempts");

  spec = Spec();
  spec.type = "";
  r = store_->enqueue_one(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "type");

  Result<TaskPage> page = store_->list(TaskFilter{}, PageRequest{});
  ASSERT_TRUE(IsOk(page));
  EXPECT_TRUE(page->tasks.empty());
}

}  // namespace taskly
