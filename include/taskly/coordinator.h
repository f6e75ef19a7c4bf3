// File: taskly/coordinator.h
//
// Coordination of a cluster: leader election with a term, and the registry
// of live nodes. Several taskly processes that share one store (Redis) each hold a Coordinator
// on the same backend.
//
//  - Leadership is a lease: the leader renews it (campaign) well before `ttl` runs out; when it
//    stops renewing (crash, pause, partition), any node may take it once it has expired. Every
//    new leadership gets a `term` larger than every term before it: the fencing number that
//    leader-only writes carry (Store::enqueue_as_leader), so that a leader that was paused past
//    its lease and wakes up cannot write as leader any more.
//  - Leadership only saves work: the leader ticks the schedules and runs Store::maintain(); both
//    are safe if a stale leader runs them too (idempotency keys for ticks, lease tokens for
//    recovery), and the term makes the stale leader's ticks fail visibly instead of silently.
//  - Nodes: every node (server or worker) sends a heartbeat with what it is and what it runs;
//    a node whose heartbeat is older than its ttl is no longer listed. A node that stops
//    gracefully leaves at once.
//
// Time: expiry is judged by the Clock the coordinator was built with (as for stores).
// Thread-safety: every implementation is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "taskly/clock.h"
#include "taskly/status.h"
#include "taskly/task.h"

namespace taskly {

struct LeaderInfo {
  std::string node;        // the leader's node id; empty when no one holds the lease
  uint64_t term = 0;       // the current (or last) leadership's term; 0 before the first leader
  TimePoint expires_at{};  // when the lease runs out unless renewed
};

struct NodeInfo {
  std::string id;    // unique in the cluster: default "<hostname>-<pid>"
  std::string role;  // "server" (API, workers, may lead) or "worker" (workers only)
  std::string host;
  int64_t pid = 0;
  std::string api;                  // the node's API URL; empty for workers
  std::vector<std::string> queues;  // queues it serves
  int32_t slots = 0;
  std::vector<TaskId> running;  // tasks it is running now
  TimePoint started_at{};
  TimePoint last_seen{};  // set by the coordinator from its clock at each heartbeat
};

class Coordinator {
 public:
  virtual ~Coordinator() = default;

  // Takes or keeps leadership for `node` until now + `ttl`: if no one holds an unexpired lease,
  // `node` becomes leader with a new term (larger than every earlier term); if `node` holds it,
  // the lease is renewed in the same term. Returns the leadership as it stands after the call
  // (another node's, if it holds an unexpired lease).
  virtual Result<LeaderInfo> campaign(const std::string& node, Duration ttl) = 0;
  // Ends `node`'s leadership of `term` at once, so that another node can take over without
  // waiting for the lease to expire. Does nothing if `node` does not hold `term`.
  virtual Status resign(const std::string& node, uint64_t term) = 0;
  // The current leadership (node empty if the lease has expired or was resigned; term is then
  // the last one).
  virtual Result<LeaderInfo> leader() = 0;

  // Records `node` as live until now + `ttl` (replacing what it said before).
  virtual Status heartbeat(const NodeInfo& node, Duration ttl) = 0;
  // Removes `node_id` from the registry at once (graceful stop). OK if it is not there.
  virtual Status leave(const std::string& node_id) = 0;
  // The live nodes, ascending by id; expired entries are left out (and may be deleted).
  virtual Result<std::vector<NodeInfo>> nodes() = 0;
};

// The lease and the registry in memory, expiring by `clock` as any coordinator's do: one
// process alone is the leader once it campaigns (term 1); schedulers of one process that share
// it form a cluster (tests). The coordinator for the memory and SQLite stores.
std::unique_ptr<Coordinator> NewLocalCoordinator(Clock* clock = nullptr);

}  // namespace taskly
