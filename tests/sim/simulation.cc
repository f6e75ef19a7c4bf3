#include "tests/sim/simulation.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "taskly/coordinator.h"
#include "taskly/redis_store.h"
#include "taskly/sqlite_store.h"
#include "taskly/store.h"
#include "taskly/store_wrapper.h"
#include "time/trigger.h"

namespace taskly::sim {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kNodes = 3;
constexpr Duration kLeaderTtl = seconds(5);
constexpr Duration kLease = seconds(5);
constexpr const char* kCatchUp = "catchup";  // every tick must fire exactly once
constexpr const char* kFireOnce = "fireonce";
const std::vector<std::string> kQueues = {"a", "b"};

enum class Fault { kNone, kBefore, kAfter };

// Fails a write with kUnavailable before it takes effect (the request was lost) or after (the
// answer was lost), each with probability 1/40 per call while enabled, drawn from the run's rng.
class FaultyStore : public StoreWrapper {
 public:
  FaultyStore(Store& target, std::mt19937_64& rng) : StoreWrapper(target), rng_(rng) {}

  bool enabled = true;

  Result<std::vector<EnqueueResult>> enqueue(std::span<const TaskSpec> specs) override {
    return Call([&] { return StoreWrapper::enqueue(specs); });
  }
  Result<std::vector<EnqueueResult>> enqueue_as_leader(std::span<const TaskSpec> specs,
                                                       uint64_t term) override {
    return Call([&] { return StoreWrapper::enqueue_as_leader(specs, term); });
  }
  Result<std::vector<Lease>> claim(const ClaimRequest& request) override {
    return Call([&] { return StoreWrapper::claim(request); });
  }
  Result<TimePoint> heartbeat(const TaskId& id, uint64_t token, Duration lease) override {
    return Call([&] { return StoreWrapper::heartbeat(id, token, lease); });
  }
  Status complete(const TaskId& id, uint64_t token, std::string result) override {
    return Call([&] { return StoreWrapper::complete(id, token, std::move(result)); });
  }
  Result<TaskState> fail(const TaskId& id, uint64_t token, std::string error,
                         const FailOptions& options) override {
    return Call([&] { return StoreWrapper::fail(id, token, std::move(error), options); });
  }
  Status yield(const TaskId& id, uint64_t token, std::string checkpoint) override {
    return Call([&] { return StoreWrapper::yield(id, token, std::move(checkpoint)); });
  }
  Status cancel(const TaskId& id) override {
    return Call([&] { return StoreWrapper::cancel(id); });
  }
  Result<MaintenanceReport> maintain() override {
    return Call([&] { return StoreWrapper::maintain(); });
  }
  Status advance_schedule(const std::string& id, TimePoint due) override {
    return Call([&] { return StoreWrapper::advance_schedule(id, due); });
  }

 private:
  template <class F>
  auto Call(F&& f) -> decltype(f()) {
    const Fault fault = Draw();
    if (fault == Fault::kBefore) return Lost();
    auto r = f();
    if (fault == Fault::kAfter) return Lost();
    return r;
  }
  Fault Draw() {
    if (!enabled) return Fault::kNone;
    const uint64_t r = rng_() % 40;
    return r == 0 ? Fault::kBefore : r == 1 ? Fault::kAfter : Fault::kNone;
  }
  static Status Lost() { return Status(StatusCode::kUnavailable, "injected fault"); }

  std::mt19937_64& rng_;
};

struct Node {
  std::string id;
  int down_steps = 0;    // > 0: crashed, restarts after this many steps
  int paused_steps = 0;  // > 0: paused (a GC pause, SIGSTOP), acts again after this many
  std::vector<Lease> leases;
  bool leading = false;  // what the node believes
  uint64_t term = 0;
  TimePoint lease_until{};
  std::map<std::string, TimePoint> cursors;
};

// What the checker knows of a task.
struct Tracked {
  bool acked = false;  // its enqueue returned OK
  std::optional<TaskState> seen;
  uint64_t max_token = 0;  // the newest lease token observed, by claims and listings
  bool complete_called = false;
  bool cancelled = false;  // a cancel() of it returned OK
};

struct ScheduleUnderTest {
  ScheduleSpec spec;
  Trigger trigger;
};

class Simulation {
 public:
  explicit Simulation(const SimOptions& options) : o_(options), rng_(options.seed) {}

  std::vector<std::string> Run() {
    if (!OpenStore()) return violations_;
    for (int i = 0; i < kNodes; ++i) nodes_.push_back(Node{.id = "n" + std::to_string(i)});
    AddSchedules();
    for (step_ = 0; step_ < o_.steps && violations_.empty(); ++step_) {
      Step();
      Tick();
      if (step_ % 20 == 19) Check();
    }
    if (violations_.empty()) Drain();
    return violations_;
  }

 private:
  uint64_t Draw(uint64_t n) { return rng_() % n; }
  Duration Millis(uint64_t max) { return milliseconds(Draw(max + 1)); }

  void Violation(const std::string& what) {
    violations_.push_back("step " + std::to_string(step_) + ": " + what);
  }

  RetentionPolicy KeepAll() const {
    return RetentionPolicy{.max_count = int64_t{1} << 40, .max_age = hours(24 * 365)};
  }

  bool OpenStore() {
    faulty_.reset();
    inner_.reset();
    Result<std::unique_ptr<Store>> store = Status(StatusCode::kInternal, "no backend");
    switch (o_.backend) {
      case Backend::kMemory:
        store = NewMemoryStore({.clock = &clock_, .retention = KeepAll()});
        if (!coordinator_) coordinator_ = NewLocalCoordinator(&clock_);
        break;
      case Backend::kSqlite: {
        SqliteStoreOptions options;
        options.path = o_.dir + "/sim.db";
        options.clock = &clock_;
        options.retention = KeepAll();
        options.sync = SqliteSync::kNormal;
        store = OpenSqliteStore(options);
        if (!coordinator_) coordinator_ = NewLocalCoordinator(&clock_);
        break;
      }
      case Backend::kRedis: {
        RedisStoreOptions options;
        options.url = o_.redis_url;
        options.clock = &clock_;
        options.retention = KeepAll();
        options.prefix = o_.redis_prefix;
        store = OpenRedisStore(options);
        if (!coordinator_) {
          Result<std::unique_ptr<Coordinator>> c = OpenRedisCoordinator(options);
          if (!c.ok()) {
            Violation("cannot open the coordinator: " + c.status().ToString());
            return false;
          }
          coordinator_ = std::move(*c);
        }
        break;
      }
    }
    if (!store.ok()) {
      Violation("cannot open the store: " + store.status().ToString());
      return false;
    }
    inner_ = std::move(*store);
    faulty_ = std::make_unique<FaultyStore>(*inner_, rng_);
    return true;
  }

  void AddSchedules() {
    const TimePoint start = clock_.now();
    ScheduleSpec catch_up{.id = kCatchUp, .every = seconds(7), .anchor = start};
    catch_up.misfire = {
        .policy = MisfirePolicy::kCatchUp, .max_catch_up = 1000, .grace = hours(1)};
    ScheduleSpec fire_once{.id = kFireOnce, .every = seconds(11), .anchor = start};
    fire_once.misfire = {.policy = MisfirePolicy::kFireOnce, .grace = seconds(2)};
    for (ScheduleSpec spec : {catch_up, fire_once}) {
      spec.task.type = "tick";
      spec.task.queue = "a";
      spec.task.max_attempts = 5;
      if (Status s = inner_->put_schedule(spec); !s.ok()) {
        Violation("put_schedule: " + s.ToString());
        return;
      }
      Result<Trigger> trigger = Trigger::Make(spec, start);
      schedules_.push_back({spec, std::move(*trigger)});
    }
  }

  // One event, drawn by weight.
  void Step() {
    const uint64_t r = Draw(100);
    Node& node = nodes_[Draw(kNodes)];
    const bool up = node.down_steps == 0 && node.paused_steps == 0;
    if (r < 25) {
      Enqueue();
    } else if (r < 55) {
      if (up) Work(node, /*finish=*/false);
    } else if (r < 70) {
      clock_.advance(Millis(2000));
    } else if (r < 80) {
      for (Node& n : nodes_) {
        if (n.down_steps == 0 && n.paused_steps == 0) LeaderRound(n, /*campaign=*/true);
      }
    } else if (r < 83) {
      if (node.down_steps == 0) Crash(node);
    } else if (r < 86) {
      if (up) node.paused_steps = 5 + static_cast<int>(Draw(40));
    } else if (r < 88) {
      RestartStore();
    } else if (r < 91) {
      Cancel();
    } else {
      clock_.advance(Millis(300));
    }
  }

  // Nodes come back: a crashed one as a new process, a paused one as it was, believing what it
  // believed (a stale leader tries its ticks under its old term before it learns otherwise).
  void Tick() {
    for (Node& n : nodes_) {
      if (n.down_steps > 0 && --n.down_steps == 0) {
        n.leases.clear();
        n.leading = false;
      }
      if (n.paused_steps > 0 && --n.paused_steps == 0 && n.leading) {
        LeaderRound(n, /*campaign=*/false);
      }
    }
  }

  void Crash(Node& n) {
    n.down_steps = 5 + static_cast<int>(Draw(30));
    n.paused_steps = 0;
    n.leases.clear();
    n.leading = false;
  }

  // A crash of the store's process: SQLite loses its leases (active tasks are redelivered on
  // open); Redis keeps them; the memory store has no restart.
  void RestartStore() {
    if (o_.backend == Backend::kMemory) return;
    OpenStore();
  }

  void Enqueue() {
    std::vector<TaskSpec> specs(1 + Draw(4));
    for (TaskSpec& spec : specs) {
      spec.type = "job";
      spec.queue = kQueues[Draw(kQueues.size())];
      spec.priority = static_cast<int32_t>(Draw(3));
      spec.max_attempts = 2 + static_cast<int32_t>(Draw(4));
      if (Draw(5) == 0) spec.run_at = clock_.now() + Millis(10'000);
      if (Draw(7) == 0) spec.deadline = clock_.now() + seconds(1) + Millis(20'000);
      if (Draw(10) == 0) spec.unique_key = "u" + std::to_string(Draw(5));
    }
    Result<std::vector<EnqueueResult>> r = faulty_->enqueue(specs);
    if (!r.ok()) return;
    for (const EnqueueResult& e : *r) {
      if (e.created) tracked_[e.id].acked = true;
    }
  }

  void Cancel() {
    if (tracked_.empty()) return;
    auto it = std::next(tracked_.begin(), static_cast<long>(Draw(tracked_.size())));
    if (faulty_->cancel(it->first).ok()) it->second.cancelled = true;
  }

  // A node's worker: claims when it holds nothing, else settles one lease (all, to `finish`).
  void Work(Node& n, bool finish) {
    if (n.leases.empty()) {
      ClaimRequest request{.queues = kQueues,
                           .worker = n.id,
                           .max_tasks = finish ? 50 : 1 + static_cast<int32_t>(Draw(3)),
                           .lease = kLease};
      if (Draw(2) == 0) std::swap(request.queues[0], request.queues[1]);
      Result<std::vector<Lease>> leases = faulty_->claim(request);
      if (!leases.ok()) return;
      for (Lease& lease : *leases) {
        Tracked& t = tracked_[lease.task.id];
        if (lease.token <= t.max_token) {
          Violation("claim of " + lease.task.id + " gave token " + std::to_string(lease.token) +
                    ", not above " + std::to_string(t.max_token));
        }
        t.max_token = std::max(t.max_token, lease.token);
        n.leases.push_back(std::move(lease));
      }
      if (!finish) return;
    }
    while (!n.leases.empty()) {
      const size_t i = finish ? 0 : Draw(n.leases.size());
      Lease lease = n.leases[i];
      n.leases.erase(n.leases.begin() + static_cast<long>(i));
      Settle(n, lease, finish ? 0 : Draw(100));
      if (!finish) return;
    }
  }

  void Settle(Node& n, const Lease& lease, uint64_t r) {
    const TaskId& id = lease.task.id;
    Tracked& t = tracked_[id];
    Status s;
    if (r < 65) {
      t.complete_called = true;
      s = faulty_->complete(id, lease.token, "done");
    } else if (r < 80) {
      FailOptions options{.retry_at = clock_.now() + Millis(3000), .permanent = Draw(20) == 0};
      Result<TaskState> state = faulty_->fail(id, lease.token, "failed", options);
      s = state.ok() ? Status() : state.status();
    } else if (r < 88) {
      s = faulty_->yield(id, lease.token, "checkpoint");
    } else {
      Result<TimePoint> until = faulty_->heartbeat(id, lease.token, kLease);
      s = until.ok() ? Status() : until.status();
      if (until.ok()) {
        Lease kept = lease;
        kept.expires_at = *until;
        n.leases.push_back(std::move(kept));
      }
    }
    if (s.ok() && lease.token < t.max_token) {
      Violation("a settle of " + id + " under token " + std::to_string(lease.token) +
                " was accepted, though token " + std::to_string(t.max_token) + " exists");
    }
  }

  // What the engine's leader does each round: campaign, maintain, fire each schedule's due
  // ticks under its term and move the cursor past the ticks the store took.
  void LeaderRound(Node& n, bool campaign) {
    if (campaign) {
      const TimePoint before = clock_.now();
      Result<LeaderInfo> leader = coordinator_->campaign(n.id, kLeaderTtl);
      if (!leader.ok() || leader->node != n.id) {
        n.leading = false;
        return;
      }
      if (!n.leading || n.term != leader->term) {
        n.leading = true;
        n.term = leader->term;
        LoadCursors(n);
      }
      n.lease_until = before + kLeaderTtl;
      if (clock_.now() >= n.lease_until) return;
    }
    if (!n.leading) return;
    (void)faulty_->maintain();
    for (const ScheduleUnderTest& s : schedules_) {
      if (!FireTicks(n, s)) return;
    }
  }

  void LoadCursors(Node& n) {
    Result<std::vector<StoredSchedule>> stored = inner_->list_schedules();
    if (!stored.ok()) return;
    for (const StoredSchedule& s : *stored) {
      n.cursors[s.spec.id] = s.last_due.value_or(*s.spec.anchor);
    }
  }

  // False when the node learned it is fenced.
  bool FireTicks(Node& n, const ScheduleUnderTest& s) {
    TimePoint& cursor = n.cursors.try_emplace(s.spec.id, *s.spec.anchor).first->second;
    const TimePoint now = clock_.now();
    TickPlan plan = PlanTicks(s.trigger, s.spec.misfire, cursor, now);
    std::optional<TimePoint> handled;
    bool all = true;
    for (TimePoint due : plan.fire) {
      TaskSpec spec = s.spec.task;
      spec.schedule_id = s.spec.id;
      spec.tick_due = due;
      spec.period = s.trigger.period();
      Result<std::vector<EnqueueResult>> r = faulty_->enqueue_as_leader({&spec, 1}, n.term);
      if (!r.ok() && r.status().code() == StatusCode::kAborted) {
        n.leading = false;
        return false;
      }
      if (!r.ok()) {
        all = false;
        break;
      }
      if (r->front().created) {
        tracked_[r->front().id].acked = true;
        Result<LeaderInfo> current = coordinator_->leader();
        if (o_.backend == Backend::kRedis && current.ok() && current->term > n.term) {
          Violation("tick " + s.spec.id + " was accepted from term " + std::to_string(n.term) +
                    " while term " + std::to_string(current->term) + " exists");
        }
      }
      handled = due;
    }
    const std::optional<TimePoint> to = all ? plan.last : handled;
    if (to && *to > cursor) {
      cursor = *to;
      (void)faulty_->advance_schedule(s.spec.id, *to);
    }
    return true;
  }

  std::vector<Task> ListAll() {
    std::vector<Task> all;
    PageRequest page{.limit = 10'000};
    for (;;) {
      Result<TaskPage> r = inner_->list({}, page);
      if (!r.ok()) {
        Violation("list: " + r.status().ToString());
        return all;
      }
      for (Task& t : r->tasks) all.push_back(std::move(t));
      if (r->next.empty()) return all;
      page.after = r->next;
    }
  }

  // The invariants that hold at any moment.
  void Check() {
    std::vector<Task> tasks = ListAll();
    std::set<TaskId> present;
    std::set<std::pair<std::string, TimePoint>> ticks;
    for (const Task& task : tasks) {
      present.insert(task.id);
      Tracked& t = tracked_[task.id];
      if (t.seen && IsTerminal(*t.seen) && task.state != *t.seen) {
        Violation(task.id + " left terminal state " + std::string(TaskStateName(*t.seen)) +
                  " for " + std::string(TaskStateName(task.state)));
      }
      if (task.state == TaskState::kSucceeded && !t.complete_called) {
        Violation(task.id + " succeeded without a complete() call");
      }
      if (t.cancelled && task.state != TaskState::kCancelled) {
        Violation(task.id + " was cancelled, but is " + std::string(TaskStateName(task.state)));
      }
      if (task.lease_token < t.max_token) {
        Violation(task.id + "'s lease token went back from " + std::to_string(t.max_token));
      }
      t.max_token = std::max(t.max_token, task.lease_token);
      t.seen = task.state;
      if (!task.spec.schedule_id.empty() && task.spec.tick_due &&
          !ticks.insert({task.spec.schedule_id, *task.spec.tick_due}).second) {
        Violation("tick " + task.spec.schedule_id + " due " +
                  std::to_string(task.spec.tick_due->time_since_epoch().count()) +
                  " was enqueued twice");
      }
    }
    for (const auto& [id, t] : tracked_) {
      if (t.acked && !present.contains(id)) Violation("acknowledged task " + id + " is lost");
    }
    ticks_ = std::move(ticks);
  }

  // Faults stop, every node comes back, and the cluster runs until every task has finished.
  void Drain() {
    faulty_->enabled = false;
    for (Node& n : nodes_) {
      n.down_steps = 0;
      n.paused_steps = 0;
    }
    std::optional<TimePoint> fired_until;
    for (int round = 0; round < 600 && violations_.empty(); ++round) {
      clock_.advance(seconds(1));
      fired_until.reset();
      for (Node& n : nodes_) {
        LeaderRound(n, /*campaign=*/true);
        if (n.leading) fired_until = clock_.now();
      }
      for (Node& n : nodes_) Work(n, /*finish=*/true);
      for (Node& n : nodes_) Work(n, /*finish=*/true);
      const std::vector<Task> tasks = ListAll();
      const bool settled = std::all_of(tasks.begin(), tasks.end(),
                                       [](const Task& t) { return IsTerminal(t.state); });
      if (settled && fired_until) {
        Check();
        CheckEveryTickFired(*fired_until);
        return;
      }
    }
    Check();
    for (const Task& t : ListAll()) {
      if (!IsTerminal(t.state)) {
        Violation("after the drain " + t.id + " is still " + std::string(TaskStateName(t.state)));
        return;
      }
    }
    Violation("the drain never had a leader fire the schedules");
  }

  // The catch-up schedule fires every due tick, exactly once (duplicates are caught by Check).
  void CheckEveryTickFired(TimePoint until) {
    const ScheduleUnderTest& s = schedules_.front();
    for (std::optional<TimePoint> due = s.trigger.next_after(*s.spec.anchor); due && *due <= until;
         due = s.trigger.next_after(*due)) {
      if (!ticks_.contains({s.spec.id, *due})) {
        Violation("tick " + s.spec.id + " due " + std::to_string(due->time_since_epoch().count()) +
                  " never fired");
        return;
      }
    }
  }

  const SimOptions o_;
  std::mt19937_64 rng_;
  SimulatedClock clock_;
  std::unique_ptr<Store> inner_;
  std::unique_ptr<FaultyStore> faulty_;
  std::unique_ptr<Coordinator> coordinator_;
  std::vector<Node> nodes_;
  std::vector<ScheduleUnderTest> schedules_;
  std::map<TaskId, Tracked> tracked_;
  std::set<std::pair<std::string, TimePoint>> ticks_;  // as of the last Check()
  int step_ = 0;
  std::vector<std::string> violations_;
};

}  // namespace

std::vector<std::string> Run(const SimOptions& options) { return Simulation(options).Run(); }

}  // namespace taskly::sim
