// taskly::Scheduler: the public API over the engine (engine.h), and its lifecycle.

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <random>
#include <thread>

#include "core/engine.h"

namespace taskly {
namespace {

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

Scheduler::Impl::Impl(const SchedulerOptions& o)
    : options(o), clock(o.clock ? *o.clock : RealClock()) {
  if (options.slots <= 0) {
    options.slots = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (options.coordinator != nullptr) {
    NodeInfo& n = options.node;
    if (n.host.empty()) n.host = HostName();
    if (n.pid == 0) n.pid = getpid();
    if (n.id.empty()) n.id = n.host + "-" + std::to_string(n.pid);
    if (n.role.empty()) n.role = "server";
    if (options.worker_id.empty()) options.worker_id = n.id;
  } else {
    // Alone, this process is the leader, for good.
    leading = true;
    lease_until = TimePoint::max();
  }
  if (options.worker_id.empty()) options.worker_id = "worker-" + std::to_string(getpid());
  node_id = options.node.id.empty() ? options.worker_id : options.node.id;
  if (options.store == nullptr) {
    owned_store = NewMemoryStore(MemoryStoreOptions{.clock = &clock});
    options.store = owned_store.get();
  }
  store = options.store;
  rng.seed(options.seed != 0 ? options.seed : std::random_device{}());
  timers = std::make_unique<TimerService>(clock);
}

Status Scheduler::Impl::cancel_task(const TaskId& id) {
  Result<Task> before = store->get(id);
  if (Status s = store->cancel(id); !s.ok()) return s;
  if (!before.ok() || before->state != TaskState::kActive) return Status();
  // The flag is raised before the slots are scanned, so a worker that enters its slot after the
  // scan is sure to see it and look for the id.
  std::lock_guard lock(cancel_mu);
  maybe_cancelled_unseen = true;
  for (auto& slot : slots) {
    std::lock_guard slot_lock(slot->mu);
    if (slot->busy && slot->running->task.id == id) {
      slot->stop.request_stop();
      if (cancelled_unseen.empty()) maybe_cancelled_unseen = false;
      return Status();
    }
  }
  cancelled_unseen.push_back(id);
  if (cancelled_unseen.size() > 64) cancelled_unseen.pop_front();
  return Status();
}

bool Scheduler::Impl::consume_cancelled_unseen(const TaskId& id) {
  std::lock_guard lock(cancel_mu);
  auto it = std::find(cancelled_unseen.begin(), cancelled_unseen.end(), id);
  if (it == cancelled_unseen.end()) return false;
  cancelled_unseen.erase(it);
  if (cancelled_unseen.empty()) maybe_cancelled_unseen = false;
  return true;
}

Result<std::unique_ptr<Scheduler>> Scheduler::Create(const SchedulerOptions& options) {
  if (options.slots < 0) return InvalidArgument("slots", "must not be negative");
  if (options.prefetch < 1) return InvalidArgument("prefetch", "must be at least 1");
  if (options.lease < std::chrono::milliseconds(3)) {
    return InvalidArgument("lease", "must be at least 3 ms");
  }
  if (Status s = ValidateDuration(options.lease, "lease"); !s.ok()) return s;
  if (options.maintenance_interval <= Duration::zero()) {
    return InvalidArgument("maintenance_interval", "must be positive");
  }
  if (Status s = ValidateDuration(options.maintenance_interval, "maintenance_interval"); !s.ok()) {
    return s;
  }
  if (options.max_result_bytes < 1) {
    return InvalidArgument("max_result_bytes", "must be at least 1");
  }
  if (options.min_schedule_period <= Duration::zero()) {
    return InvalidArgument("min_schedule_period", "must be positive");
  }
  if (Status s = ValidateDuration(options.min_schedule_period, "min_schedule_period"); !s.ok()) {
    return s;
  }
  if (options.queues.empty()) return InvalidArgument("queues", "must name at least one queue");
  if (options.coordinator != nullptr) {
    if (options.leader_ttl < std::chrono::milliseconds(3)) {
      return InvalidArgument("leader_ttl", "must be at least 3 ms");
    }
    if (Status s = ValidateDuration(options.leader_ttl, "leader_ttl"); !s.ok()) return s;
    if (!options.node.id.empty()) {
      if (Status s = ValidateName(options.node.id, "node.id"); !s.ok()) return s;
    }
  }
  for (size_t i = 0; i < options.queues.size(); ++i) {
    std::string field = "queues[" + std::to_string(i) + "]";
    if (Status s = ValidateName(options.queues[i], field); !s.ok()) return s;
  }
  auto impl = std::make_unique<Impl>(options);
  if (Status s = impl->load_schedules(); !s.ok()) return s;
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(impl)));
}

// The store's schedules, each resuming from its cursor: ticks due while no process ran them are
// misfires, handled by each schedule's policy when the scheduler starts.
Status Scheduler::Impl::load_schedules() {
  Result<std::vector<StoredSchedule>> stored = store->list_schedules();
  if (!stored.ok()) return stored.status();
  TimePoint now = clock.now();
  std::lock_guard lock(schedules_mu);
  for (StoredSchedule& s : *stored) {
    Result<Trigger> trigger = Trigger::Make(s.spec, now);
    if (!trigger.ok()) {
      return Status(trigger.status().code(),
                    "stored schedule " + s.spec.id + ": " + trigger.status().message(),
                    trigger.status().field());
    }
    std::string id = s.spec.id;
    schedules.emplace(id, ScheduleState{.spec = std::move(s.spec),
                                        .trigger = std::move(*trigger),
                                        .last_due = s.last_due.value_or(now)});
  }
  return Status();
}

Scheduler::Scheduler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Scheduler::~Scheduler() { stop(); }

Status Scheduler::handle(const std::string& type, Handler handler) {
  if (Status s = ValidateName(type, "type"); !s.ok()) return s;
  if (!handler) return InvalidArgument("handler", "must not be empty");
  std::unique_lock lock(impl_->handlers_mu);
  impl_->handlers[type] = std::make_shared<const Handler>(std::move(handler));
  impl_->handlers_version++;
  return Status();
}

Result<TaskId> Scheduler::enqueue(const TaskSpec& spec) {
  Result<EnqueueResult> r = impl_->store->enqueue_one(spec);
  if (!r.ok()) return r.status();
  return std::move(r->id);
}

Result<std::vector<EnqueueResult>> Scheduler::enqueue(std::span<const TaskSpec> specs) {
  return impl_->store->enqueue(specs);
}

Status Scheduler::cancel(const TaskId& id) { return impl_->cancel_task(id); }

Status Scheduler::retry(const TaskId& id) { return impl_->store->retry(id); }

Result<Task> Scheduler::get(const TaskId& id) { return impl_->store->get(id); }

Status Scheduler::set_queue(const std::string& name, const QueueConfig& config) {
  return impl_->store->set_queue(name, config);
}

Status Scheduler::pause_queue(const std::string& name) {
  return impl_->store->pause_queue(name, true);
}

Status Scheduler::resume_queue(const std::string& name) {
  return impl_->store->pause_queue(name, false);
}

Status Scheduler::add_schedule(const ScheduleSpec& given) {
  if (Status s = ValidateScheduleSpec(given); !s.ok()) return s;
  TimePoint now = impl_->clock.now();
  ScheduleSpec spec = given;
  // The anchor is stored, so that a restarted process keeps the same due times.
  if (spec.every > Duration::zero() && !spec.anchor) spec.anchor = now;
  Result<Trigger> trigger = Trigger::Make(spec, now);
  if (!trigger.ok()) return trigger.status();
  if (Status s = impl_->check_period(spec); !s.ok()) return s;
  std::lock_guard lock(impl_->schedules_mu);
  if (impl_->find_schedule(spec.id) != impl_->schedules.end()) {
    return Status(StatusCode::kAlreadyExists, "schedule " + spec.id + " already exists", "id");
  }
  ScheduleState state{.spec = spec, .trigger = std::move(*trigger), .last_due = now};
  // A one-shot schedule whose instant has passed is a misfire, handled by its policy (by
  // default it fires once, at once), not silently dropped.
  if (spec.once && *spec.once <= now) state.last_due = *spec.once - Duration(1);
  if (Status s = impl_->store->put_schedule(spec); !s.ok()) return s;
  if (Status s = impl_->store->advance_schedule(spec.id, state.last_due); !s.ok()) return s;
  auto [it, inserted] = impl_->schedules.emplace(spec.id, std::move(state));
  impl_->arm(it->second);
  return Status();
}

Status Scheduler::remove_schedule(const std::string& id) {
  std::lock_guard lock(impl_->schedules_mu);
  auto it = impl_->find_schedule(id);
  if (it == impl_->schedules.end()) return NotFound("schedule " + id + " not found");
  if (Status s = impl_->store->remove_schedule(id); !s.ok() && s.code() != StatusCode::kNotFound) {
    return s;
  }
  if (it->second.timer != kNoTimer) impl_->timers->cancel(it->second.timer);
  impl_->schedules.erase(it);
  return Status();
}

Status Scheduler::pause_schedule(const std::string& id, bool paused) {
  std::lock_guard lock(impl_->schedules_mu);
  auto it = impl_->find_schedule(id);
  if (it == impl_->schedules.end()) return NotFound("schedule " + id + " not found");
  ScheduleState& s = it->second;
  if (s.spec.paused == paused) return Status();
  ScheduleSpec spec = s.spec;
  spec.paused = paused;
  if (Status st = impl_->store->put_schedule(spec); !st.ok()) return st;
  s.spec.paused = paused;
  // Ticks that fell due while paused are not misfires: resuming continues from now.
  if (!paused) {
    s.last_due = std::max(s.last_due, impl_->clock.now());
    (void)impl_->store->advance_schedule(id, s.last_due);  // else resumes from the old cursor
  }
  impl_->arm(s);
  return Status();
}

Result<ScheduleInfo> Scheduler::schedule(const std::string& id) {
  std::lock_guard lock(impl_->schedules_mu);
  auto it = impl_->schedules.find(id);
  if (it == impl_->schedules.end()) return NotFound("schedule " + id + " not found");
  return Impl::info_of(it->second);
}

std::vector<ScheduleInfo> Scheduler::schedules() {
  std::vector<ScheduleInfo> out;
  std::lock_guard lock(impl_->schedules_mu);
  for (const auto& [id, s] : impl_->schedules) out.push_back(Impl::info_of(s));
  return out;
}

Result<std::vector<PoolReport>> Scheduler::analyze() {
  std::vector<PeriodicLoad> loads;
  {
    std::lock_guard lock(impl_->schedules_mu);
    for (const auto& [id, s] : impl_->schedules) {
      Duration wcet = s.spec.wcet > Duration::zero() ? s.spec.wcet : s.measured_wcet;
      if (s.trigger.period() <= Duration::zero() || wcet <= Duration::zero()) continue;
      loads.push_back({.name = id, .period = s.trigger.period(), .wcet = wcet});
    }
  }
  return Analyze(loads, {{std::string(kDefaultPool), impl_->options.slots}});
}

Status Scheduler::start() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.lifecycle_mu);
    if (m.started) return FailedPrecondition("the scheduler was already started");
    m.started = true;
  }
  Result<std::vector<QueueInfo>> known = m.store->queues();
  std::vector<QueueSelector::Entry> entries;
  for (const std::string& q : m.options.queues) {
    int32_t weight = 1;
    bool exists = false;
    if (known.ok()) {
      for (const QueueInfo& info : *known) {
        if (info.name == q) {
          weight = info.config.weight;
          exists = true;
        }
      }
      // A served queue is listed (and can be paused or limited) before its first task.
      if (!exists) {
        if (Status s = m.store->set_queue(q, QueueConfig{}); !s.ok()) {
          std::lock_guard lock(m.lifecycle_mu);
          m.started = false;
          return s;
        }
      }
    }
    entries.push_back({q, weight});
  }
  {
    std::lock_guard lock(m.selector_mu);
    m.selector.emplace(m.options.selector, std::move(entries));
  }
  {
    std::lock_guard lock(m.lifecycle_mu);
    for (int i = 0; i < m.options.slots; ++i) m.slots.push_back(std::make_unique<WorkerSlot>());
    for (int i = 0; i < m.options.slots; ++i) {
      m.workers.emplace_back([&m, i, stop = m.claim_stop.get_token()] { m.worker_loop(stop, i); });
    }
  }
  m.started_at = m.clock.now();
  m.schedule_maintenance();
  m.schedule_heartbeats();
  {
    std::lock_guard lock(m.schedules_mu);
    m.ticking = true;
    for (auto& [id, s] : m.schedules) m.arm(s);  // arms only if leading (no coordinator)
  }
  if (m.options.coordinator != nullptr) {
    m.cluster_round();  // at once: a node that can lead does before start() returns
    m.schedule_cluster_rounds();
  }
  return Status();
}

void Scheduler::stop(Duration grace) {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.lifecycle_mu);
    if (m.stopped) return;
    m.stopped = true;
    if (!m.started) {
      m.timers->stop();
      return;
    }
  }
  {
    std::lock_guard lock(m.schedules_mu);
    m.ticking = false;
    for (auto& [id, s] : m.schedules) m.arm(s);  // disarms: ticking is false
  }
  m.claim_stop.request_stop();
  {
    // Drain: let running attempts finish within the grace period, then ask them to stop.
    std::unique_lock lock(m.running_mu);
    m.draining = true;
    TimePoint deadline = m.clock.now() + grace;
    while (m.any_running() && !m.clock.wait_until(m.running_cv, lock, deadline)) {
    }
  }
  m.shutting_down = true;
  for (auto& slot : m.slots) {
    std::lock_guard lock(slot->mu);
    if (slot->busy) slot->stop.request_stop();
  }
  std::vector<std::jthread> workers;
  {
    std::lock_guard lock(m.lifecycle_mu);
    workers.swap(m.workers);
  }
  workers.clear();  // joins: waits for every handler to return
  m.timers->stop();
  // Last, so that no cluster round can campaign again after the resign.
  if (m.options.coordinator != nullptr) m.leave_cluster();
}

SchedulerStats Scheduler::stats() const {
  const Counters& c = impl_->counters;
  SchedulerStats s;
  {
    std::lock_guard lock(impl_->lifecycle_mu);  // start() fills the slots under it
    for (const auto& slot : impl_->slots) {
      s.started += slot->started.get();
      s.succeeded += slot->succeeded.get();
      slot->start_latency.add_to(s.start_latency);
      slot->run_time.add_to(s.run_time);
    }
  }
  s.failed = c.failed;
  s.retried = c.retried;
  s.dead = c.dead;
  s.yielded = c.yielded;
  s.timed_out = c.timed_out;
  s.rejected_results = c.rejected_results;
  s.store_errors = c.store_errors;
  s.ticks_fired = c.ticks_fired;
  s.ticks_skipped = c.ticks_skipped;
  s.ticks_failed = c.ticks_failed;
  s.fenced_writes = c.fenced_writes;
  s.leaderships = c.leaderships;
  s.timer_lateness = impl_->timers->lateness().snapshot();
  return s;
}

std::vector<WorkerInfo> Scheduler::workers() const {
  std::vector<WorkerInfo> out;
  std::lock_guard lock(impl_->lifecycle_mu);  // start() fills the slots under it
  for (size_t i = 0; i < impl_->slots.size(); ++i) {
    WorkerSlot& slot = *impl_->slots[i];
    std::lock_guard slot_lock(slot.mu);
    WorkerInfo info{.id = impl_->options.worker_id + "/" + std::to_string(i), .busy = slot.busy};
    if (slot.busy) {
      info.task = slot.running->task.id;
      info.since = slot.since;
    }
    if (slot.batch != nullptr) info.waiting = static_cast<int32_t>(slot.batch->size() - slot.next);
    out.push_back(std::move(info));
  }
  return out;
}

Store& Scheduler::store() { return *impl_->store; }

Clock& Scheduler::clock() const { return impl_->clock; }

}  // namespace taskly
