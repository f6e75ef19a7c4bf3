// A deterministic simulation of a taskly cluster at the Store contract, after FoundationDB's
// simulator and TigerBeetle's VOPR: one seed draws every event (producers' enqueues, nodes'
// claims and settles, heartbeats, store faults before and after a call takes effect, node
// crashes and pauses, store restarts, leader campaigns and schedule ticks) and every step of a
// simulated clock, all on one thread, so a run is a function of its seed and its backend.
//
// The nodes act as the engine does at the store: workers claim, run and settle under lease
// tokens; the leader campaigns through a Coordinator, runs maintain(), plans each schedule's
// ticks with PlanTicks from its cursor and enqueues them with enqueue_as_leader under its term,
// then advances the cursor; a tick the store does not take keeps the cursor before it. After the
// run every fault stops, the nodes drain the store, and the invariants are checked:
//   - no acknowledged task is lost: every task whose enqueue returned OK exists and ends
//     terminal (nothing stays pending, active or scheduled after the drain);
//   - states move only along the contract's transitions (terminal states are final here, as
//     nothing retries), and a task only succeeds after a complete() call for it;
//   - a settle is accepted only under the task's newest lease token (a worker whose lease
//     expired, was reclaimed or died with a restarted store cannot commit);
//   - no schedule tick is enqueued twice, and a catch-up schedule has every due tick exactly once
//     (none skipped outside its misfire policy);
//   - with a backend that fences leaders (Redis), no tick is accepted from a stale term.
// A violation names the seed and the step; Run() with that seed replays it exactly.
//
// Thread-safety: one Simulation per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace taskly::sim {

enum class Backend { kMemory, kSqlite, kRedis };

struct SimOptions {
  Backend backend = Backend::kMemory;
  uint64_t seed = 1;
  int steps = 400;
  // For kSqlite: a directory to keep the database in. For kRedis: the server's URL and a key
  // prefix of this run's own.
  std::string dir;
  std::string redis_url;
  std::string redis_prefix;
};

// The invariants broken in one run (empty: none), each "step N: what".
std::vector<std::string> Run(const SimOptions& options);

}  // namespace taskly::sim
