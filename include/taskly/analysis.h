// File: taskly/analysis.h
//
// Schedulability analysis of periodic load (`taskly analyze`,
// `GET /v1/analysis`). Given the periodic schedules of each worker pool with their periods,
// worst-case execution times (declared or measured) and relative deadlines, it says whether the
// load fits under fixed priorities by period or deadline (taskly's `rms` ordering) and under
// earliest deadline first (`edf`), and which schedules are at risk of missing deadlines.
//
// Model. Each load is a periodic task: a run is released every `period`, needs at most `wcet` of
// one slot, and must complete within `deadline` of its release (deadline <= period: constrained
// deadlines). The tests assume the worst release pattern, every load released at the same
// instant; they are exact for that pattern (and for sporadic release), and sufficient for
// periodic schedules whose anchors never line up. Scheduling is assumed preemptive: a more urgent
// run takes a slot at once. taskly's handlers run to completion unless they yield, so a run can
// also wait for one less urgent run already holding the slot; that blocking is not modelled, and
// the verdicts hold for handlers that yield at a granularity much finer than the periods.
// A "deadline" here is a completion deadline; taskly's task deadline is a start deadline, which
// completion by the same instant implies.
//
// One slot (m = 1):
//   - Liu & Layland: U = sum C/T <= n(2^(1/n) - 1) is sufficient for rate-monotonic priorities
//     (with some deadline < period, the density sum C/D is tested against the same bound,
//     sufficient for deadline-monotonic priorities).
//   - Fixed priorities, exact: priorities are deadline-monotonic (shorter relative deadline
//     first), which is rate-monotonic when every deadline is its period. Response-time analysis
//     R = C_i + sum over j of ceil(R / T_j) * C_j, j ranging over the other loads whose deadline
//     is <= D_i, iterated from R = C_i + sum C_j to a fixpoint (meets) or past D_i (misses); a
//     load that with those loads needs utilization > 1 misses without iterating. Loads with
//     equal deadlines count as interfering with each other: a tie may be broken either way, and
//     this takes the worst way.
//   - EDF, exact: with every deadline equal to its period, U <= 1. Otherwise U <= 1 is required,
//     density <= 1 suffices, and else the processor-demand criterion (demand of the runs due by t
//     <= t at every deadline t up to the synchronous busy period) decides, by Zhang & Burns' QPA.
// Several slots (m > 1, global: any free slot takes the most urgent ready run). No exact test is
// known that is practical here, so verdicts are sufficient only:
//   - Necessary: every wcet <= its deadline and U <= m; failing either is unschedulable.
//   - EDF: Goossens, Funk & Baruah's bound in its density form, sum C/D <= m - (m-1) max C/D.
//   - Fixed priorities: Andersson, Baruah & Jonsson's bound for rate-monotonic with implicit
//     deadlines (U <= m^2/(3m-2) with every C/T <= m/(3m-2)), or Bertogna, Cirinei & Lipari's
//     for deadline-monotonic (sum C/D <= m/2 (1 - max C/D) + max C/D); either one suffices.
//   When the necessary conditions hold and the sufficient test fails the verdict is kUnknown.
//
// Arithmetic is exact: response times and processor demand are integer nanoseconds (saturating,
// so overflow reads as "past the deadline"); utilization comparisons use exact 128-bit rationals
// (long double only if a sum's denominator outgrows 128 bits); the Liu & Layland bound is
// irrational and compared in double. An iteration that has not settled after 1,000,000 steps
// (possible only with periods many orders of magnitude apart) gives kUnknown.
//
// Thread-safety: plain values and a pure function; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "taskly/clock.h"
#include "taskly/status.h"

namespace taskly {

// The pool of loads whose `pool` is empty.
inline constexpr std::string_view kDefaultPool = "default";

// One periodic schedule as the analysis sees it.
struct PeriodicLoad {
  std::string name;      // non-empty and unique among the loads analysed together
  std::string pool;      // the worker pool it runs on; empty means kDefaultPool
  Duration period{0};    // > 0
  Duration wcet{0};      // worst-case execution time of one run; > 0
  Duration deadline{0};  // relative to each release; 0 means the period; else <= period
};

enum class Verdict : uint8_t {
  kSchedulable,    // proven: every run meets its deadline
  kUnschedulable,  // proven: some run misses (an exact test or a necessary condition failed)
  kUnknown,        // only sufficient tests applied and they failed: it may or may not fit
};

// "schedulable", "unschedulable", "unknown".
std::string_view VerdictName(Verdict v);

// n(2^(1/n) - 1): 1 for n = 1, 0.8284 for 2, 0.7798 for 3, decreasing to ln 2 = 0.6931.
// REQUIRES: n >= 1.
double LiuLaylandBound(int64_t n);

struct TaskVerdict {
  std::string name;
  Duration period{0};
  Duration wcet{0};
  Duration deadline{0};    // the deadline in effect (the period when the load gave 0)
  double utilization = 0;  // wcet / period
  double density = 0;      // wcet / deadline
  int priority = 0;        // fixed-priority rank, 0 = most urgent; equal deadlines share a rank
  // One slot: the worst-case response time under fixed priorities, when it is within the
  // deadline. nullopt when it is not (or not settled), and on pools of several slots, for which
  // no exact response time is computed.
  std::optional<Duration> response_time;
  bool meets_deadline_rms = false;  // proven to meet every deadline under fixed priorities
  bool meets_deadline_edf = false;  // proven to meet every deadline under EDF
};

struct AtRisk {
  std::string name;
  std::string reason;  // e.g. "rms: worst-case response time at least 8ms exceeds deadline 7ms"
};

struct PoolReport {
  std::string pool;
  int slots = 1;
  double utilization = 0;           // sum of wcet/period
  double density = 0;               // sum of wcet/deadline (= utilization if deadlines are periods)
  double ll_bound = 0;              // LiuLaylandBound(number of loads)
  bool deadline_monotonic = false;  // some deadline < its period: priorities by deadline
  bool rms_ll_pass = false;         // one slot only: the Liu & Layland test passed (sufficient)
  Verdict rms = Verdict::kUnknown;  // fixed priorities: exact on one slot, else sufficient tests
  Verdict edf = Verdict::kUnknown;  // EDF: exact on one slot, else sufficient tests
  std::vector<TaskVerdict> tasks;   // in the order of the loads
  // Loads not proven to meet their deadlines under rms, or under edf, with why; in load order.
  std::vector<AtRisk> at_risk;
  std::string explanation;  // for people: which tests ran, what they found, which are exact
};

// Analyses `loads` per pool; `pool_slots` gives the number of slots of a pool (pools not listed
// have 1). Returns one report per pool that has loads, ordered by pool name (pools of
// `pool_slots` without loads get none).
// Errors: InvalidArgument naming the first bad field: "loads[2].name" (empty or duplicate),
// "loads[2].period" (<= 0), "loads[2].wcet" (<= 0), "loads[2].deadline" (< 0 or > period),
// "pool_slots" (an empty pool name), "pool_slots.gpu" (< 1 slot).
Result<std::vector<PoolReport>> Analyze(std::span<const PeriodicLoad> loads,
                                        const std::map<std::string, int>& pool_slots = {});

}  // namespace taskly
