// The scheduler as one node of a cluster (SchedulerOptions::coordinator): every third of
// leader_ttl (at most every second) it sends a heartbeat describing itself and, if it may lead,
// campaigns. Only the leader arms the schedules' timers and runs the store's maintenance.
// Leadership is judged by this node's clock as well as by the coordinator: a lease whose expiry has
// passed without a successful renewal is lost, even if no call said so (the node was paused, or the
// coordinator unreachable), so the node stops ticking before it could write as a stale leader. A
// stale leader's tick that slips through anyway is refused by the store (enqueue_as_leader with the
// term) and makes the node drop leadership at once.
//
// Every node re-reads the schedules from the store every maintenance interval, so a schedule
// added, changed or removed through any node reaches the leader (and every node's view).

#include <set>

#include "core/engine.h"

namespace taskly {
namespace {

// A third of the lease, so that two renewals may fail before it runs out; at most a second, so
// that a lease left by a dead leader is taken within ttl + 1 s.
Duration ClusterRoundInterval(Duration ttl) {
  return std::min<Duration>(ttl / 3, std::chrono::seconds(1));
}

}  // namespace

bool Scheduler::Impl::leads_now(TimePoint now) const { return leading && now < lease_until; }

void Scheduler::Impl::drop_leadership() {
  if (!leading) return;
  leading = false;
  for (auto& [id, s] : schedules) arm(s);  // disarms: leading is false
}

NodeInfo Scheduler::Impl::node_info() {
  NodeInfo n = options.node;
  n.queues = options.queues;
  n.slots = options.slots;
  n.started_at = started_at;
  std::lock_guard lock(lifecycle_mu);  // start() fills the slots under it
  for (const auto& slot : slots) {
    std::lock_guard slot_lock(slot->mu);
    if (slot->busy) n.running.push_back(slot->running->task.id);
  }
  return n;
}

void Scheduler::Impl::cluster_round() {
  if (!options.coordinator->heartbeat(node_info(), options.leader_ttl).ok()) {
    counters.store_errors++;
  }
  if (!options.lead) return;
  // The lease is counted from before the call: the coordinator granted it at some instant
  // after this one, so this node never believes in a lease longer than the coordinator's.
  TimePoint asked = clock.now();
  Result<LeaderInfo> r = options.coordinator->campaign(node_id, options.leader_ttl);
  std::lock_guard lock(schedules_mu);
  if (!r.ok()) {
    // Unrenewed, the lease ends when this node's clock says so.
    counters.store_errors++;
    if (!leads_now(clock.now())) drop_leadership();
    return;
  }
  if (r->node != node_id) {
    drop_leadership();
    return;
  }
  bool renewed = leading && term == r->term;
  term = r->term;
  lease_until = asked + options.leader_ttl;
  leading = true;
  if (renewed) return;
  counters.leaderships++;
  if (!ticking) return;  // stopping: nothing to arm, and stop() resigns
  // A new leadership: another node may have ticked and changed the schedules meanwhile.
  resync_schedules();
  for (auto& [id, s] : schedules) arm(s);
}

void Scheduler::Impl::schedule_cluster_rounds() {
  timers->schedule_after(ClusterRoundInterval(options.leader_ttl), [this] {
    cluster_round();
    schedule_cluster_rounds();
  });
}

void Scheduler::Impl::maintenance_round() {
  if (options.coordinator == nullptr) {
    (void)store->maintain();
    return;
  }
  bool lead;
  {
    std::lock_guard lock(schedules_mu);
    resync_schedules();
    lead = leads_now(clock.now());
    if (!lead) drop_leadership();
  }
  if (lead) (void)store->maintain();
}

void Scheduler::Impl::resync_schedules() {
  Result<std::vector<StoredSchedule>> stored = store->list_schedules();
  if (!stored.ok()) {
    counters.store_errors++;
    return;
  }
  TimePoint now = clock.now();
  std::set<std::string> seen;
  for (StoredSchedule& st : *stored) {
    seen.insert(st.spec.id);
    auto it = schedules.find(st.spec.id);
    if (it == schedules.end()) {
      Result<Trigger> trigger = Trigger::Make(st.spec, now);
      if (!trigger.ok()) continue;  // Create() reported it; the store holds what it was given
      std::string id = st.spec.id;
      auto [added, inserted] =
          schedules.emplace(id, ScheduleState{.spec = std::move(st.spec),
                                              .trigger = std::move(*trigger),
                                              .last_due = st.last_due.value_or(now)});
      arm(added->second);
      continue;
    }
    ScheduleState& s = it->second;
    bool changed = false;
    if (s.spec != st.spec) {
      Result<Trigger> trigger = Trigger::Make(st.spec, now);
      if (!trigger.ok()) continue;
      s.spec = std::move(st.spec);
      s.trigger = std::move(*trigger);
      changed = true;
    }
    // Another leader may have ticked further: its cursor wins, so no tick fires twice here.
    if (st.last_due && *st.last_due > s.last_due) {
      s.last_due = *st.last_due;
      changed = true;
    }
    if (changed) arm(s);
  }
  for (auto it = schedules.begin(); it != schedules.end();) {
    if (seen.count(it->first) != 0) {
      ++it;
      continue;
    }
    if (it->second.timer != kNoTimer) timers->cancel(it->second.timer);
    it = schedules.erase(it);
  }
}

std::map<std::string, ScheduleState>::iterator Scheduler::Impl::find_schedule(
    const std::string& id) {
  auto it = schedules.find(id);
  if (it != schedules.end() || options.coordinator == nullptr) return it;
  resync_schedules();
  return schedules.find(id);
}

void Scheduler::Impl::leave_cluster() {
  bool was_leading;
  uint64_t held;
  {
    std::lock_guard lock(schedules_mu);
    was_leading = leading;
    held = term;
    leading = false;
  }
  if (was_leading) (void)options.coordinator->resign(node_id, held);
  (void)options.coordinator->leave(node_id);
}

Result<ClusterView> Scheduler::cluster() {
  Impl& m = *impl_;
  ClusterView view;
  view.self = m.node_id;
  {
    std::lock_guard lock(m.schedules_mu);
    view.leading = m.leads_now(m.clock.now());
  }
  if (m.options.coordinator == nullptr) {
    view.leader = LeaderInfo{.node = m.node_id, .term = 0, .expires_at = TimePoint::max()};
    NodeInfo self = m.node_info();
    self.last_seen = m.clock.now();
    view.nodes.push_back(std::move(self));
    return view;
  }
  Result<LeaderInfo> leader = m.options.coordinator->leader();
  if (!leader.ok()) return leader.status();
  view.leader = std::move(*leader);
  Result<std::vector<NodeInfo>> nodes = m.options.coordinator->nodes();
  if (!nodes.ok()) return nodes.status();
  view.nodes = std::move(*nodes);
  return view;
}

}  // namespace taskly
