#include "taskly/analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace taskly {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

// A load in milliseconds; deadline 0 = the period.
PeriodicLoad Ms(std::string name, int64_t wcet, int64_t period, int64_t deadline = 0,
                std::string pool = "") {
  return {std::move(name), std::move(pool), milliseconds(period), milliseconds(wcet),
          milliseconds(deadline)};
}

// Analyses loads that all belong to one pool of `slots` slots and returns its report.
PoolReport One(const std::vector<PeriodicLoad>& loads, int slots = 1) {
  std::map<std::string, int> pool_slots;
  if (slots != 1) pool_slots[std::string(kDefaultPool)] = slots;
  Result<std::vector<PoolReport>> r = Analyze(loads, pool_slots);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok() || r->size() != 1) {
    ADD_FAILURE() << "expected one pool";
    return {};
  }
  return (*r)[0];
}

std::vector<std::optional<Duration>> ResponseTimes(const PoolReport& r) {
  std::vector<std::optional<Duration>> out;
  for (const TaskVerdict& t : r.tasks) out.push_back(t.response_time);
  return out;
}

std::vector<std::string> AtRiskNames(const PoolReport& r) {
  std::vector<std::string> out;
  for (const AtRisk& a : r.at_risk) out.push_back(a.name);
  return out;
}

// --- Liu & Layland bound ---------------------------------------------------------------------

TEST(LiuLaylandBound, TextbookValues) {
  EXPECT_EQ(LiuLaylandBound(1), 1.0);
  EXPECT_NEAR(LiuLaylandBound(2), 2 * (std::sqrt(2.0) - 1), 1e-15);  // 0.828427
  EXPECT_NEAR(LiuLaylandBound(2), 0.8284271247, 1e-10);
  EXPECT_NEAR(LiuLaylandBound(3), 0.7797631497, 1e-10);  // 3 (2^(1/3) - 1)
  EXPECT_NEAR(LiuLaylandBound(10), 0.7177346254, 1e-10);
}

TEST(LiuLaylandBound, DecreasesTowardsLn2) {
  const double ln2 = std::log(2.0);
  double previous = 1.0;
  for (int64_t n = 2; n <= 1000; ++n) {
    const double b = LiuLaylandBound(n);
    ASSERT_LT(b, previous) << n;
    ASSERT_GT(b, ln2) << n;
    previous = b;
  }
  // n(2^(1/n) - 1) = ln2 + ln2^2/(2n) + O(1/n^2).
  EXPECT_NEAR(LiuLaylandBound(1'000'000), ln2, 3e-7);
  EXPECT_NEAR(LiuLaylandBound(1'000'000'000), ln2, 1e-9);
}

// --- one slot: textbook sets -----------------------------------------------------------------

TEST(AnalyzeOneSlot, AboveLiuLaylandButResponseTimesProveSchedulable) {
  // (C,T) = (1,4), (2,6), (3,12): U = 1/4 + 1/3 + 1/4 = 5/6 = 0.833 > LL(3) = 0.780.
  // RTA: R1 = 1. R2: 2+1 = 3 -> 2 + ceil(3/4)*1 = 3. R3: 3+1+2 = 6 -> 3 + 2*1 + 1*2 = 7 ->
  // 3 + 2 + 2*2 = 9 -> 3 + 3 + 2*2 = 10 -> 3 + 3 + 2*2 = 10 <= 12.
  const PoolReport r = One({Ms("a", 1, 4), Ms("b", 2, 6), Ms("c", 3, 12)});
  EXPECT_EQ(r.pool, "default");
  EXPECT_EQ(r.slots, 1);
  EXPECT_NEAR(r.utilization, 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(r.ll_bound, 0.7797631497, 1e-9);
  EXPECT_FALSE(r.rms_ll_pass);
  EXPECT_EQ(r.rms, Verdict::kSchedulable);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  EXPECT_FALSE(r.deadline_monotonic);
  EXPECT_THAT(ResponseTimes(r),
              ElementsAre(Optional(Duration(milliseconds(1))), Optional(Duration(milliseconds(3))),
                          Optional(Duration(milliseconds(10)))));
  EXPECT_EQ(r.tasks[0].priority, 0);
  EXPECT_EQ(r.tasks[2].priority, 2);
  EXPECT_NEAR(r.tasks[1].utilization, 1.0 / 3.0, 1e-12);
  EXPECT_TRUE(r.tasks[2].meets_deadline_rms);
  EXPECT_TRUE(r.tasks[2].meets_deadline_edf);
  EXPECT_THAT(r.at_risk, IsEmpty());
  EXPECT_THAT(r.explanation, HasSubstr("rate-monotonic"));
  EXPECT_THAT(r.explanation, HasSubstr("inconclusive"));
}

TEST(AnalyzeOneSlot, ButtazzoSetMeetsTheLastDeadlineExactly) {
  // (C,T) = (1,4), (2,6), (3,10): U = 0.25 + 0.333 + 0.3 = 0.883 > LL(3).
  // R3: 6 -> 3 + 2 + 2 = 7 -> 3 + 2 + 4 = 9 -> 3 + 3 + 4 = 10 -> 3 + 3 + 4 = 10 = T3.
  const PoolReport r = One({Ms("a", 1, 4), Ms("b", 2, 6), Ms("c", 3, 10)});
  EXPECT_NEAR(r.utilization, 53.0 / 60.0, 1e-12);
  EXPECT_FALSE(r.rms_ll_pass);
  EXPECT_EQ(r.rms, Verdict::kSchedulable);
  EXPECT_THAT(r.tasks[2].response_time, Optional(Duration(milliseconds(10))));
  EXPECT_THAT(r.at_risk, IsEmpty());
}

TEST(AnalyzeOneSlot, WithinLiuLaylandPasses) {
  // (1,4), (1,5): U = 0.45 <= LL(2) = 0.828. R2: 2 -> 1 + ceil(2/4)*1 = 2.
  const PoolReport r = One({Ms("a", 1, 4), Ms("b", 1, 5)});
  EXPECT_TRUE(r.rms_ll_pass);
  EXPECT_THAT(r.explanation, HasSubstr("within it"));
  EXPECT_THAT(r.tasks[1].response_time, Optional(Duration(milliseconds(2))));
}

TEST(AnalyzeOneSlot, HarmonicFullUtilizationIsRmsSchedulable) {
  // (1,2), (1,4), (2,8): U = 1/2 + 1/4 + 1/4 = 1 > LL, yet harmonic periods fit exactly.
  // R2: 2 -> 1 + 1 = 2. R3: 4 -> 2 + 2 + 1 = 5 -> 2 + 3 + 2 = 7 -> 2 + 4 + 2 = 8 -> 8 = T3.
  const PoolReport r = One({Ms("a", 1, 2), Ms("b", 1, 4), Ms("c", 2, 8)});
  EXPECT_EQ(r.utilization, 1.0);
  EXPECT_FALSE(r.rms_ll_pass);
  EXPECT_EQ(r.rms, Verdict::kSchedulable);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  EXPECT_THAT(ResponseTimes(r),
              ElementsAre(Optional(Duration(milliseconds(1))), Optional(Duration(milliseconds(2))),
                          Optional(Duration(milliseconds(8)))));
  EXPECT_THAT(r.at_risk, IsEmpty());
}

TEST(AnalyzeOneSlot, MissesUnderRmsButFitsUnderEdf) {
  // (2,5), (4,7): U = 2/5 + 4/7 = 34/35 = 0.971 <= 1. R2: 6 -> 4 + ceil(6/5)*2 = 8 > 7.
  const PoolReport r = One({Ms("a", 2, 5), Ms("b", 4, 7)});
  EXPECT_NEAR(r.utilization, 34.0 / 35.0, 1e-12);
  EXPECT_FALSE(r.rms_ll_pass);
  EXPECT_EQ(r.rms, Verdict::kUnschedulable);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  EXPECT_THAT(r.tasks[0].response_time, Optional(Duration(milliseconds(2))));
  EXPECT_EQ(r.tasks[1].response_time, std::nullopt);
  EXPECT_FALSE(r.tasks[1].meets_deadline_rms);
  EXPECT_TRUE(r.tasks[1].meets_deadline_edf);
  ASSERT_EQ(r.at_risk.size(), 1u);
  EXPECT_EQ(r.at_risk[0].name, "b");
  EXPECT_EQ(r.at_risk[0].reason, "rms: worst-case response time at least 8ms exceeds deadline 7ms");
  EXPECT_THAT(r.explanation, HasSubstr("1 of 2 loads misses"));
}

TEST(AnalyzeOneSlot, OverloadFailsEverything) {
  // (3,5), (3,6): U = 0.6 + 0.5 = 1.1 > 1. a has the slot first: R1 = 3 <= 5. b's level needs
  // 1.1 > 1, so it misses (RTA: 6 -> 3 + 2*3 = 9 > 6). EDF fails: every load is at risk.
  const PoolReport r = One({Ms("a", 3, 5), Ms("b", 3, 6)});
  EXPECT_NEAR(r.utilization, 1.1, 1e-12);
  EXPECT_FALSE(r.rms_ll_pass);
  EXPECT_EQ(r.rms, Verdict::kUnschedulable);
  EXPECT_EQ(r.edf, Verdict::kUnschedulable);
  EXPECT_TRUE(r.tasks[0].meets_deadline_rms);
  EXPECT_FALSE(r.tasks[0].meets_deadline_edf);
  ASSERT_EQ(r.at_risk.size(), 2u);
  EXPECT_EQ(r.at_risk[0].reason, "edf: pool utilization 1.100 exceeds 1");
  EXPECT_EQ(r.at_risk[1].reason,
            "rms: with the loads at its priority or above it needs utilization 1.100 > 1; "
            "edf: pool utilization 1.100 exceeds 1");
}

TEST(AnalyzeOneSlot, FullUtilizationIsDecidedExactly) {
  // 9/28 + 18/28 + 1/28 = 1 exactly, but summed in double it is 1.0000000000000002.
  ASSERT_GT(9.0 / 28 + 18.0 / 28 + 1.0 / 28, 1.0);
  const PoolReport r = One({Ms("a", 9, 28), Ms("b", 18, 28), Ms("c", 1, 28)});
  EXPECT_EQ(r.utilization, 1.0);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  // Equal periods: each may wait for both others, R = 9 + 18 + 1 = 28 = T.
  EXPECT_EQ(r.rms, Verdict::kSchedulable);
  for (const TaskVerdict& t : r.tasks) {
    EXPECT_EQ(t.priority, 0);
    EXPECT_THAT(t.response_time, Optional(Duration(milliseconds(28))));
  }
}

TEST(AnalyzeOneSlot, EqualPrioritiesInterfereBothWays) {
  // (1,4), (1,4), (2,4): one period, so each may wait for both others: R = 1 + 1 + 2 = 4 each.
  const PoolReport ok = One({Ms("a", 1, 4), Ms("b", 1, 4), Ms("c", 2, 4)});
  EXPECT_THAT(ResponseTimes(ok),
              ElementsAre(Optional(Duration(milliseconds(4))), Optional(Duration(milliseconds(4))),
                          Optional(Duration(milliseconds(4)))));
  // (2,3) and (2,3): whichever goes second finishes at 4 > 3: both are at risk under rms.
  const PoolReport bad = One({Ms("a", 2, 3), Ms("b", 2, 3)});
  EXPECT_EQ(bad.rms, Verdict::kUnschedulable);
  EXPECT_THAT(AtRiskNames(bad), ElementsAre("a", "b"));
}

// --- one slot: constrained deadlines ---------------------------------------------------------

TEST(AnalyzeConstrained, DeadlineMonotonicPriorities) {
  // a = (C 2, T 12, D 3), b = (C 2, T 5, D 5). By deadline a goes first: R_a = 2 <= 3,
  // R_b: 4 -> 2 + ceil(4/12)*2 = 4 <= 5. (By period b would go first and a would miss: 4 > 3.)
  // U = 1/6 + 2/5 = 0.567, density = 2/3 + 2/5 = 16/15 = 1.067 > 1, so EDF needs the
  // processor-demand test: busy period 4 -> 2 + 2 = 4; the last deadline <= 4 is 3 (a's);
  // h(3) = 2 <= d_min = 3: schedulable.
  const PoolReport r = One({Ms("a", 2, 12, 3), Ms("b", 2, 5, 5)});
  EXPECT_TRUE(r.deadline_monotonic);
  EXPECT_NEAR(r.density, 16.0 / 15.0, 1e-12);
  EXPECT_FALSE(r.rms_ll_pass);  // density 1.067 > 0.828
  EXPECT_EQ(r.tasks[0].priority, 0);
  EXPECT_EQ(r.tasks[1].priority, 1);
  EXPECT_EQ(r.tasks[0].deadline, milliseconds(3));
  EXPECT_EQ(r.tasks[1].deadline, milliseconds(5));
  EXPECT_THAT(ResponseTimes(r), ElementsAre(Optional(Duration(milliseconds(2))),
                                            Optional(Duration(milliseconds(4)))));
  EXPECT_EQ(r.rms, Verdict::kSchedulable);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  EXPECT_THAT(r.explanation, HasSubstr("deadline-monotonic"));
  EXPECT_THAT(r.explanation, HasSubstr("processor-demand"));
}

TEST(AnalyzeConstrained, DensityTestSufficesWhenAtMostOne) {
  // (1, T 10, D 5) x2: density 0.4 <= 1.
  const PoolReport r = One({Ms("a", 1, 10, 5), Ms("b", 1, 10, 5)});
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  EXPECT_THAT(r.explanation, HasSubstr("density test"));
}

TEST(AnalyzeConstrained, ProcessorDemandWalksDownToTheFirstDeadline) {
  // a = (C 1, T 2, D 2), b = (C 2, T 5, D 3): U = 0.9, density = 1/2 + 2/3 = 7/6 > 1.
  // DM: R_a = 1; R_b: 3 -> 2 + ceil(3/2)*1 = 4 > 3: b misses under rms.
  // EDF: busy period 3 -> 2 + 2 = 4 -> 4. QPA: t = 4: h = 2 + 2 = 4 = t -> t = 3 (b's first
  // deadline): h = 1 + 2 = 3 = t -> t = 2: h = 1 <= d_min = 2: schedulable.
  const PoolReport r = One({Ms("a", 1, 2), Ms("b", 2, 5, 3)});
  EXPECT_EQ(r.rms, Verdict::kUnschedulable);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  ASSERT_EQ(r.at_risk.size(), 1u);
  EXPECT_EQ(r.at_risk[0].reason, "rms: worst-case response time at least 4ms exceeds deadline 3ms");
  EXPECT_THAT(r.explanation, HasSubstr("busy period of 4ms"));
}

TEST(AnalyzeConstrained, ProcessorDemandFindsTheOverload) {
  // (C 2, T 10, D 3) x2: U = 0.4 but the runs due by 3 need 4. Equal deadlines: R = 4 > 3.
  const PoolReport r = One({Ms("a", 2, 10, 3), Ms("b", 2, 10, 3)});
  EXPECT_EQ(r.rms, Verdict::kUnschedulable);
  EXPECT_EQ(r.edf, Verdict::kUnschedulable);
  ASSERT_EQ(r.at_risk.size(), 2u);
  EXPECT_EQ(r.at_risk[1].reason,
            "rms: worst-case response time at least 4ms exceeds deadline 3ms; "
            "edf: the runs due by 3ms need 4ms");
  EXPECT_THAT(r.explanation, HasSubstr("2 of 2 loads miss."));
}

TEST(AnalyzeConstrained, WcetAboveDeadlineMissesOnOneSlot) {
  const PoolReport r = One({Ms("a", 5, 10, 4)});
  EXPECT_EQ(r.rms, Verdict::kUnschedulable);
  EXPECT_EQ(r.edf, Verdict::kUnschedulable);
  EXPECT_THAT(AtRiskNames(r), ElementsAre("a"));
}

// --- one slot: cross-check against a simulated schedule --------------------------------------

struct SimLoad {
  int64_t c, t, d;
};

struct SimResult {
  std::vector<bool> missed;             // some run of the load missed its deadline
  std::vector<int64_t> first_response;  // completion of its first run (all released at 0)
};

// Preemptive one-slot schedule in unit steps, every load released at 0, over one hyperperiod
// (after which a schedule without misses repeats). edf: earliest absolute deadline first;
// otherwise fixed priority by relative deadline, ties to the lower index.
SimResult Simulate(const std::vector<SimLoad>& loads, bool edf) {
  struct Job {
    size_t load;
    int64_t deadline;
    int64_t left;
    bool first;
  };
  int64_t h = 1;
  for (const SimLoad& l : loads) h = std::lcm(h, l.t);
  SimResult out{std::vector<bool>(loads.size(), false), std::vector<int64_t>(loads.size(), -1)};
  std::vector<Job> jobs;
  for (int64_t now = 0; now < h; ++now) {
    for (size_t i = 0; i < loads.size(); ++i) {
      if (now % loads[i].t == 0) jobs.push_back({i, now + loads[i].d, loads[i].c, now == 0});
    }
    Job* run = nullptr;
    for (Job& j : jobs) {
      if (j.left == 0) continue;
      if (run == nullptr) {
        run = &j;
        continue;
      }
      const bool better = edf ? j.deadline < run->deadline
                              : loads[j.load].d < loads[run->load].d ||
                                    (loads[j.load].d == loads[run->load].d && j.load < run->load);
      if (better) run = &j;
    }
    if (run == nullptr) continue;
    if (--run->left == 0) {
      if (now + 1 > run->deadline) out.missed[run->load] = true;
      if (run->first) out.first_response[run->load] = now + 1;
    }
  }
  for (const Job& j : jobs) {
    if (j.left > 0 && j.deadline <= h) out.missed[j.load] = true;
  }
  return out;
}

TEST(AnalyzeOneSlot, AgreesWithSimulatedSchedules) {
  std::mt19937 rng(20260101);
  const int64_t periods[] = {2, 3, 4, 5, 6, 8, 10, 12};
  int rms_pass = 0, rms_fail = 0, edf_pass = 0, edf_fail = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const size_t n = std::uniform_int_distribution<size_t>(1, 4)(rng);
    std::vector<SimLoad> sim;
    std::vector<PeriodicLoad> loads;
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = periods[std::uniform_int_distribution<size_t>(0, 7)(rng)];
      const int64_t c = std::uniform_int_distribution<int64_t>(1, std::max<int64_t>(1, t / 2))(rng);
      const int64_t d = std::uniform_int_distribution<int64_t>(std::max<int64_t>(1, c - 1), t)(rng);
      sim.push_back({c, t, d});
      loads.push_back(
          {"l" + std::to_string(i), "", nanoseconds(t), nanoseconds(c), nanoseconds(d)});
    }
    SCOPED_TRACE(::testing::PrintToString(loads.size()) + " loads, trial " + std::to_string(trial));
    const PoolReport r = One(loads);
    ASSERT_EQ(r.tasks.size(), n);

    const SimResult by_edf = Simulate(sim, /*edf=*/true);
    const bool edf_missed =
        std::find(by_edf.missed.begin(), by_edf.missed.end(), true) != by_edf.missed.end();
    ASSERT_EQ(r.edf, edf_missed ? Verdict::kUnschedulable : Verdict::kSchedulable);
    (edf_missed ? edf_fail : edf_pass)++;

    const SimResult by_fp = Simulate(sim, /*edf=*/false);
    std::vector<int64_t> ds;
    for (const SimLoad& l : sim) ds.push_back(l.d);
    std::sort(ds.begin(), ds.end());
    const bool distinct = std::adjacent_find(ds.begin(), ds.end()) == ds.end();
    for (size_t i = 0; i < n; ++i) {
      if (r.tasks[i].meets_deadline_rms) {
        ASSERT_FALSE(by_fp.missed[i]) << "load " << i;
        if (distinct) {
          // The first run, released with everything else, is the worst case.
          ASSERT_EQ(r.tasks[i].response_time, nanoseconds(by_fp.first_response[i])) << "load " << i;
        }
      } else if (distinct) {
        ASSERT_TRUE(by_fp.missed[i]) << "load " << i;
      }
    }
    if (r.rms == Verdict::kSchedulable) {
      ASSERT_EQ(r.edf, Verdict::kSchedulable);  // EDF is optimal on one slot
      ++rms_pass;
    } else {
      ASSERT_EQ(r.rms, Verdict::kUnschedulable);
      ++rms_fail;
    }
  }
  // The generator exercises both outcomes of both tests.
  EXPECT_GT(rms_pass, 300);
  EXPECT_GT(rms_fail, 300);
  EXPECT_GT(edf_pass, 300);
  EXPECT_GT(edf_fail, 300);
}

// --- one slot: limits of the arithmetic ------------------------------------------------------

TEST(AnalyzeOneSlot, SlowConvergenceGivesUnknownNotAHang) {
  // a = (C 9,999,999ns, T 10ms) leaves 1ns per 10ms; b = (C 10ms, T = D = 10^15 ns) would
  // settle at R = 10^14 ns only after 10^7 steps: past the budget, so rms is unknown.
  // EDF: U = 0.9999999 + 10^-8 < 1 with implicit deadlines: schedulable.
  const std::vector<PeriodicLoad> loads = {
      {"a", "", milliseconds(10), nanoseconds(9'999'999), Duration(0)},
      {"b", "", nanoseconds(1'000'000'000'000'000), milliseconds(10), Duration(0)},
  };
  const PoolReport r = One(loads);
  EXPECT_EQ(r.rms, Verdict::kUnknown);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  EXPECT_TRUE(r.tasks[0].meets_deadline_rms);
  EXPECT_FALSE(r.tasks[1].meets_deadline_rms);
  ASSERT_EQ(r.at_risk.size(), 1u);
  EXPECT_EQ(r.at_risk[0].reason, "rms: response-time analysis did not settle within 1000000 steps");
  EXPECT_THAT(r.explanation, HasSubstr("1 of 2 loads not settled"));
}

TEST(AnalyzeConstrained, SlowBusyPeriodGivesUnknownNotAHang) {
  // a as above; b = (C 10ms, T 10^15 ns, D 10ms): U < 1, density > 1, and the synchronous busy
  // period (about 10^14 ns) grows by one 10ms window per step: past the budget.
  const std::vector<PeriodicLoad> loads = {
      {"a", "", milliseconds(10), nanoseconds(9'999'999), Duration(0)},
      {"b", "", nanoseconds(1'000'000'000'000'000), milliseconds(10), milliseconds(10)},
  };
  const PoolReport r = One(loads);
  EXPECT_EQ(r.edf, Verdict::kUnknown);
  EXPECT_EQ(r.rms, Verdict::kUnschedulable);  // equal deadlines: R = 10ms + 9.999999ms > 10ms
  ASSERT_EQ(r.at_risk.size(), 2u);
  EXPECT_THAT(r.at_risk[0].reason, HasSubstr("edf: processor-demand analysis did not settle"));
  EXPECT_THAT(r.explanation, HasSubstr("busy period did not settle"));
}

TEST(AnalyzeOneSlot, HugeDurationsSaturateInsteadOfOverflowing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::vector<PeriodicLoad> loads = {
      {"a", "", nanoseconds(kMax), nanoseconds(int64_t{1} << 62), Duration(0)},
      {"b", "", nanoseconds(kMax - 1), nanoseconds(int64_t{1} << 62), Duration(0)},
      {"c", "", nanoseconds(kMax - 2), nanoseconds(int64_t{1} << 60), Duration(0)},
  };
  // U = 2^62/(2^63-1) + 2^62/(2^63-2) + 2^60/(2^63-3) = 1.125: overloaded under both. By
  // deadline c goes first, then b (R = 2^62 + 2^60), then a, whose level needs 1.125.
  const PoolReport r = One(loads);
  EXPECT_EQ(r.rms, Verdict::kUnschedulable);
  EXPECT_EQ(r.edf, Verdict::kUnschedulable);
  EXPECT_THAT(r.tasks[1].response_time,
              Optional(Duration(nanoseconds((int64_t{1} << 62) + (int64_t{1} << 60)))));
  EXPECT_THAT(AtRiskNames(r), ElementsAre("a", "b", "c"));
  // One load alone with C = T just below the saturation point fits exactly.
  const PoolReport full =
      One({{"x", "", nanoseconds(kMax - 1), nanoseconds(kMax - 1), Duration(0)}});
  EXPECT_EQ(full.rms, Verdict::kSchedulable);
  EXPECT_THAT(full.tasks[0].response_time, Optional(Duration(nanoseconds(kMax - 1))));
  EXPECT_EQ(full.edf, Verdict::kSchedulable);
  // At the saturation point itself the response time reads as overflowed: a miss, never a
  // false pass.
  const PoolReport saturated = One({{"x", "", nanoseconds(kMax), nanoseconds(kMax), Duration(0)}});
  EXPECT_EQ(saturated.rms, Verdict::kUnschedulable);
  ASSERT_EQ(saturated.at_risk.size(), 1u);
  EXPECT_EQ(saturated.at_risk[0].reason,
            "rms: worst-case response time exceeds deadline 9223372036854775807ns");
}

// --- several slots ---------------------------------------------------------------------------

TEST(AnalyzeGlobal, GfbBoundProvesEdfAtItsBoundary) {
  // Three (1,2) on 2 slots: U = 1.5 = 2 - (2-1) * 0.5: GFB holds with equality.
  // RM: ABJ needs U <= 4/4 = 1: fails; BCL needs 1.5 <= 2/2 (1 - 0.5) + 0.5 = 1: fails.
  const PoolReport r = One({Ms("a", 1, 2), Ms("b", 1, 2), Ms("c", 1, 2)}, 2);
  EXPECT_EQ(r.slots, 2);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  EXPECT_EQ(r.rms, Verdict::kUnknown);
  EXPECT_FALSE(r.rms_ll_pass);
  for (const TaskVerdict& t : r.tasks) {
    EXPECT_EQ(t.response_time, std::nullopt);
    EXPECT_TRUE(t.meets_deadline_edf);
    EXPECT_FALSE(t.meets_deadline_rms);
  }
  ASSERT_EQ(r.at_risk.size(), 3u);
  EXPECT_EQ(r.at_risk[0].reason, "rms: not proven on 2 slots (sufficient tests only)");
  EXPECT_THAT(r.explanation, HasSubstr("sufficient only"));
  EXPECT_THAT(r.explanation, HasSubstr("not applied"));
}

TEST(AnalyzeGlobal, AbjBoundProvesRateMonotonic) {
  // Four (1,4) on 2 slots: U = 1 <= 2^2/(3*2-2) = 1 and each 0.25 <= 2/4; GFB: 1 <= 2 - 0.25.
  const PoolReport r = One({Ms("a", 1, 4), Ms("b", 1, 4), Ms("c", 1, 4), Ms("d", 1, 4)}, 2);
  EXPECT_EQ(r.rms, Verdict::kSchedulable);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  EXPECT_THAT(r.at_risk, IsEmpty());
  EXPECT_THAT(r.explanation, HasSubstr("Andersson-Baruah-Jonsson"));
}

TEST(AnalyzeGlobal, BclBoundProvesDeadlineMonotonic) {
  // (1, T 10, D 5) x3 on 2 slots: densities 0.2, sum 0.6 <= 2/2 (1 - 0.2) + 0.2 = 1.
  const PoolReport r = One({Ms("a", 1, 10, 5), Ms("b", 1, 10, 5), Ms("c", 1, 10, 5)}, 2);
  EXPECT_EQ(r.rms, Verdict::kSchedulable);
  EXPECT_EQ(r.edf, Verdict::kSchedulable);
  EXPECT_THAT(r.explanation, HasSubstr("Bertogna-Cirinei-Lipari"));
}

TEST(AnalyzeGlobal, OverloadIsUnschedulable) {
  // (3,4) x3 on 2 slots: U = 2.25 > 2.
  const PoolReport r = One({Ms("a", 3, 4), Ms("b", 3, 4), Ms("c", 3, 4)}, 2);
  EXPECT_EQ(r.rms, Verdict::kUnschedulable);
  EXPECT_EQ(r.edf, Verdict::kUnschedulable);
  ASSERT_EQ(r.at_risk.size(), 3u);
  EXPECT_EQ(r.at_risk[2].reason, "pool overloaded: utilization 2.250 exceeds its 2 slots");
}

TEST(AnalyzeGlobal, WcetAboveDeadlineIsUnschedulable) {
  const PoolReport r = One({Ms("slow", 5, 10, 4), Ms("ok", 1, 10)}, 3);
  EXPECT_EQ(r.rms, Verdict::kUnschedulable);
  EXPECT_EQ(r.edf, Verdict::kUnschedulable);
  ASSERT_EQ(r.at_risk.size(), 2u);
  EXPECT_EQ(r.at_risk[0].reason, "wcet 5ms exceeds its deadline 4ms");
  EXPECT_EQ(r.at_risk[1].reason, "pool unschedulable: load 'slow' cannot meet its deadline");
}

TEST(AnalyzeGlobal, UnprovenIsUnknownNotUnschedulable) {
  // (3,4), (3,4), (1,4) on 2 slots: U = 1.75 <= 2, but GFB needs 1.75 <= 2 - 0.75 = 1.25.
  const PoolReport r = One({Ms("a", 3, 4), Ms("b", 3, 4), Ms("c", 1, 4)}, 2);
  EXPECT_EQ(r.edf, Verdict::kUnknown);
  EXPECT_EQ(r.rms, Verdict::kUnknown);
  ASSERT_EQ(r.at_risk.size(), 3u);
  EXPECT_EQ(r.at_risk[0].reason,
            "edf: not proven on 2 slots (sufficient tests only); "
            "rms: not proven on 2 slots (sufficient tests only)");
}

// --- pools and input -------------------------------------------------------------------------

TEST(Analyze, GroupsByPoolInNameOrder) {
  const std::vector<PeriodicLoad> loads = {Ms("x", 1, 4, 0, "gpu"), Ms("y", 1, 4),
                                           Ms("z", 1, 4, 0, "gpu"), Ms("w", 1, 4, 0, "batch")};
  Result<std::vector<PoolReport>> r = Analyze(loads, {{"gpu", 2}, {"idle", 3}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].pool, "batch");
  EXPECT_EQ((*r)[1].pool, "default");
  EXPECT_EQ((*r)[2].pool, "gpu");
  EXPECT_EQ((*r)[0].slots, 1);
  EXPECT_EQ((*r)[2].slots, 2);
  EXPECT_THAT((*r)[2].tasks,
              ElementsAre(Field(&TaskVerdict::name, "x"), Field(&TaskVerdict::name, "z")));
}

TEST(Analyze, NoLoadsNoReports) {
  Result<std::vector<PoolReport>> r = Analyze({});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(*r, IsEmpty());
}

void ExpectInvalid(const std::vector<PeriodicLoad>& loads, const std::map<std::string, int>& slots,
                   const std::string& field) {
  Result<std::vector<PoolReport>> r = Analyze(loads, slots);
  ASSERT_FALSE(r.ok()) << field;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), field) << r.status().ToString();
}

TEST(Analyze, RejectsInvalidInputNamingTheField) {
  const PeriodicLoad good = Ms("a", 1, 4);
  ExpectInvalid({good, Ms("", 1, 4)}, {}, "loads[1].name");
  ExpectInvalid({good, Ms("b", 1, 4), Ms("a", 1, 5)}, {}, "loads[2].name");
  ExpectInvalid({good, good}, {}, "loads[1].name");
  ExpectInvalid({good, Ms("b", 1, 0)}, {}, "loads[1].period");
  ExpectInvalid({good, Ms("b", 1, -4)}, {}, "loads[1].period");
  ExpectInvalid({Ms("b", 0, 4)}, {}, "loads[0].wcet");
  ExpectInvalid({Ms("b", -1, 4)}, {}, "loads[0].wcet");
  ExpectInvalid({good, good, Ms("c", 1, 4, 5)}, {}, "loads[1].name");
  ExpectInvalid({good, Ms("b", 1, 4), Ms("c", 1, 4, 5)}, {}, "loads[2].deadline");
  ExpectInvalid({Ms("c", 1, 4, -1)}, {}, "loads[0].deadline");
  ExpectInvalid({good}, {{"gpu", 0}}, "pool_slots.gpu");
  ExpectInvalid({good}, {{"", 2}}, "pool_slots");
  // A wcet above the period or deadline is a valid question with the answer "it does not fit".
  EXPECT_TRUE(Analyze(std::vector<PeriodicLoad>{Ms("big", 5, 4)}).ok());
}

TEST(Analyze, DeadlineEqualToPeriodIsImplicit) {
  const PoolReport r = One({Ms("a", 1, 4, 4), Ms("b", 2, 6)});
  EXPECT_FALSE(r.deadline_monotonic);
  EXPECT_EQ(r.tasks[1].deadline, milliseconds(6));
}

TEST(Verdict, Names) {
  EXPECT_EQ(VerdictName(Verdict::kSchedulable), "schedulable");
  EXPECT_EQ(VerdictName(Verdict::kUnschedulable), "unschedulable");
  EXPECT_EQ(VerdictName(Verdict::kUnknown), "unknown");
}

}  // namespace
}  // namespace taskly
