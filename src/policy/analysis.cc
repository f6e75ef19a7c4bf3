#include "taskly/analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <set>
#include <utility>

namespace taskly {
namespace {

__extension__ typedef unsigned __int128 U128;

constexpr int64_t kMaxSteps = 1'000'000;
constexpr int64_t kInf = std::numeric_limits<int64_t>::max();

// Saturating arithmetic on non-negative nanosecond counts: a result past int64 reads as kInf,
// which the analyses treat as past every deadline (even one of exactly kInf), so overflow can
// only ever turn into "does not fit".
int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? kInf : r;
}
int64_t SatMul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kInf : r;
}
// REQUIRES: a >= 0, b > 0.
int64_t CeilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

U128 Gcd(U128 a, U128 b) {
  while (b != 0) {
    U128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// A non-negative rational, exact while its reduced numerator and denominator fit in 128 bits
// (sums of C/T over nanosecond periods almost always do). Should one outgrow them, it carries on
// as the long double it always shadows. So a load exactly at a boundary is decided exactly:
// 9/28 + 18/28 + 1/28 is 1, where doubles would sum it to just above 1.
class Ratio {
 public:
  Ratio() = default;
  // REQUIRES: num >= 0, den > 0.
  Ratio(int64_t num, int64_t den)
      : num_(static_cast<U128>(num)),
        den_(static_cast<U128>(den)),
        approx_(static_cast<long double>(num) / static_cast<long double>(den)) {
    Reduce();
  }

  Ratio operator+(const Ratio& o) const {
    Ratio r;
    r.approx_ = approx_ + o.approx_;
    r.exact_ = exact_ && o.exact_;
    if (r.exact_) {
      const U128 g = Gcd(den_, o.den_);
      U128 a, b;
      if (__builtin_mul_overflow(num_, o.den_ / g, &a) ||
          __builtin_mul_overflow(o.num_, den_ / g, &b) || __builtin_add_overflow(a, b, &r.num_) ||
          __builtin_mul_overflow(den_ / g, o.den_, &r.den_)) {
        r.exact_ = false;
      } else {
        r.Reduce();
      }
    }
    return r;
  }

  // REQUIRES: k >= 0.
  Ratio operator*(int64_t k) const {
    Ratio r = *this;
    r.approx_ = approx_ * static_cast<long double>(k);
    if (r.exact_ && __builtin_mul_overflow(num_, static_cast<U128>(k), &r.num_)) {
      r.exact_ = false;
    }
    if (r.exact_) r.Reduce();
    return r;
  }

  // this <= k, for k >= 0.
  bool AtMost(int64_t k) const {
    if (!exact_) return approx_ <= static_cast<long double>(k);
    U128 rhs;
    // k * den beyond 2^128 is beyond any numerator.
    if (__builtin_mul_overflow(static_cast<U128>(k), den_, &rhs)) return true;
    return num_ <= rhs;
  }

  bool operator<(const Ratio& o) const {
    U128 lhs, rhs;
    if (exact_ && o.exact_ && !__builtin_mul_overflow(num_, o.den_, &lhs) &&
        !__builtin_mul_overflow(o.num_, den_, &rhs)) {
      return lhs < rhs;
    }
    return approx_ < o.approx_;
  }

  double value() const {
    if (!exact_) return static_cast<double>(approx_);
    return static_cast<double>(static_cast<long double>(num_) / static_cast<long double>(den_));
  }

 private:
  void Reduce() {
    const U128 g = Gcd(num_, den_);  // Gcd(0, d) = d turns 0/d into 0/1
    num_ /= g;
    den_ /= g;
  }

  bool exact_ = true;
  U128 num_ = 0;
  U128 den_ = 1;
  long double approx_ = 0;
};

// One load of a pool in integer nanoseconds; `d` is the deadline in effect.
struct Load {
  int64_t c;
  int64_t t;
  int64_t d;
};

// What a pool's loads add up to.
struct Pool {
  std::vector<Load> loads;
  Ratio u;               // sum C/T
  Ratio dens;            // sum C/D
  Ratio u_max;           // max C/T
  Ratio d_max;           // max C/D
  bool implicit = true;  // every deadline is its period
};

// Per load (in pool order): why it is at risk, if it is.
using Reasons = std::vector<std::vector<std::string>>;

std::string Fixed3(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

// Nanoseconds in the largest unit that shows them exactly: "8ms", "1500us", "90s".
std::string FormatNanos(int64_t ns) {
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// --- one slot: fixed priorities ------------------------------------------------------------

enum class Settled { kMeets, kMisses, kOverloaded, kUnsettled };

struct ResponseTime {
  Settled outcome;
  // kMeets: the worst-case response time. kMisses: the first iterate past the deadline, a lower
  // bound of the response time (iterates rise monotonically towards the fixpoint).
  int64_t r = 0;
  // kOverloaded: the utilization of the load and those at its priority or above.
  double level_u = 0;
};

// Response-time analysis of loads[i] against every other load with a deadline <= its own.
ResponseTime AnalyzeResponseTime(const std::vector<Load>& loads, size_t i) {
  const Load& me = loads[i];
  std::vector<const Load*> interferers;
  int64_t r = me.c;
  Ratio level_u(me.c, me.t);
  for (size_t j = 0; j < loads.size(); ++j) {
    if (j == i || loads[j].d > me.d) continue;
    interferers.push_back(&loads[j]);
    r = SatAdd(r, loads[j].c);
    level_u = level_u + Ratio(loads[j].c, loads[j].t);
  }
  // Above 1 the level's backlog grows without bound, so this load must eventually miss and,
  // the analysis being exact, R > D; saying so at once also spares the iteration, which would
  // creep towards the deadline by as little as one wcet per step.
  if (!level_u.AtMost(1)) return {Settled::kOverloaded, 0, level_u.value()};
  for (int64_t step = 0; step < kMaxSteps; ++step) {
    if (r > me.d || r == kInf) return {Settled::kMisses, r};
    int64_t next = me.c;
    for (const Load* j : interferers) next = SatAdd(next, SatMul(CeilDiv(r, j->t), j->c));
    if (next == r) return {Settled::kMeets, r};
    r = next;
  }
  return {Settled::kUnsettled, r};
}

std::string FixedPriorityOneSlot(const Pool& pool, PoolReport& report, Reasons& why) {
  size_t misses = 0;
  size_t unsettled = 0;
  for (size_t i = 0; i < pool.loads.size(); ++i) {
    const ResponseTime rt = AnalyzeResponseTime(pool.loads, i);
    TaskVerdict& v = report.tasks[i];
    switch (rt.outcome) {
      case Settled::kMeets:
        v.response_time = Duration(rt.r);
        v.meets_deadline_rms = true;
        break;
      case Settled::kMisses:
        ++misses;
        why[i].push_back("rms: worst-case response time " +
                         (rt.r == kInf ? std::string() : "at least " + FormatNanos(rt.r) + " ") +
                         "exceeds deadline " + FormatNanos(pool.loads[i].d));
        break;
      case Settled::kOverloaded:
        ++misses;
        why[i].push_back("rms: with the loads at its priority or above it needs utilization " +
                         Fixed3(rt.level_u) + " > 1");
        break;
      case Settled::kUnsettled:
        ++unsettled;
        why[i].push_back("rms: response-time analysis did not settle within " +
                         std::to_string(kMaxSteps) + " steps");
        break;
    }
  }
  report.rms = misses > 0      ? Verdict::kUnschedulable
               : unsettled > 0 ? Verdict::kUnknown
                               : Verdict::kSchedulable;
  std::string s = "rms: ";
  s += pool.implicit ? "rate-monotonic priorities (shorter period first)"
                     : "deadline-monotonic priorities (shorter deadline first, since some "
                       "deadlines are shorter than their periods)";
  s += "; exact response-time analysis: ";
  if (misses == 0 && unsettled == 0) return s + "every load meets its deadline.";
  const std::string of_n = " of " + Plural(pool.loads.size(), "load");
  if (misses > 0) s += std::to_string(misses) + of_n + (misses == 1 ? " misses" : " miss");
  if (misses > 0 && unsettled > 0) s += "; ";
  if (unsettled > 0) s += std::to_string(unsettled) + of_n + " not settled";
  return s + ".";
}

// --- one slot: EDF ---------------------------------------------------------------------------

// Demand of the runs released from 0 (all loads together) with a deadline <= t.
int64_t Demand(const std::vector<Load>& loads, int64_t t) {
  int64_t h = 0;
  for (const Load& l : loads) {
    if (l.d <= t) h = SatAdd(h, SatMul((t - l.d) / l.t + 1, l.c));
  }
  return h;
}

// The latest absolute deadline <= t of a run released from 0, or -1 if there is none.
int64_t LatestDeadline(const std::vector<Load>& loads, int64_t t) {
  int64_t best = -1;
  for (const Load& l : loads) {
    if (l.d <= t) best = std::max(best, l.d + (t - l.d) / l.t * l.t);
  }
  return best;
}

// The synchronous busy period: the first instant the slot idles when every load is released
// at 0. Finite when U <= 1; nullopt if it does not settle within the step budget or int64.
std::optional<int64_t> BusyPeriod(const std::vector<Load>& loads) {
  int64_t w = 0;
  for (const Load& l : loads) w = SatAdd(w, l.c);
  for (int64_t step = 0; step < kMaxSteps && w != kInf; ++step) {
    int64_t next = 0;
    for (const Load& l : loads) next = SatAdd(next, SatMul(CeilDiv(w, l.t), l.c));
    if (next == w) return w;
    w = next;
  }
  return std::nullopt;
}

struct EdfResult {
  Verdict verdict;
  std::string explanation;  // the sentence for the pool
  std::string reason;       // for each load's at-risk entry, when not schedulable
};

// Zhang & Burns' quick processor-demand analysis: walks down from the last deadline in the busy
// period, jumping straight to h(t) whenever h(t) < t. Exact for constrained deadlines, U <= 1.
// REQUIRES: U <= 1 and density > 1.
EdfResult ProcessorDemand(const Pool& pool) {
  const std::optional<int64_t> busy = BusyPeriod(pool.loads);
  if (!busy) {
    return {Verdict::kUnknown, "the busy period did not settle within the step budget",
            "edf: processor-demand analysis did not settle"};
  }
  int64_t d_min = kInf;
  for (const Load& l : pool.loads) d_min = std::min(d_min, l.d);
  // Called only with density > 1, so some deadline lies within the busy period (were every
  // D_i > L >= sum C, the density would be below 1): t >= d_min from here on.
  int64_t t = LatestDeadline(pool.loads, *busy);
  const EdfResult fits{Verdict::kSchedulable,
                       "processor demand within the busy period of " + FormatNanos(*busy) +
                           " never exceeds the time available",
                       ""};
  for (int64_t step = 0; step < kMaxSteps; ++step) {
    const int64_t h = Demand(pool.loads, t);
    if (h > t) {
      const std::string need = "the runs due by " + FormatNanos(t) + " need " +
                               (h == kInf ? std::string("more") : FormatNanos(h));
      return {Verdict::kUnschedulable, need, "edf: " + need};
    }
    if (h <= d_min) return fits;
    t = h < t ? h : LatestDeadline(pool.loads, t - 1);
  }
  return {Verdict::kUnknown, "processor-demand analysis did not settle within the step budget",
          "edf: processor-demand analysis did not settle"};
}

EdfResult EdfOneSlot(const Pool& pool) {
  const std::string u = "utilization " + Fixed3(pool.u.value());
  if (!pool.u.AtMost(1)) {
    return {Verdict::kUnschedulable, u + " > 1: unschedulable (exact).",
            "edf: pool " + u + " exceeds 1"};
  }
  if (pool.implicit) {
    return {Verdict::kSchedulable,
            u + " <= 1 with every deadline equal to its period: schedulable (exact).", ""};
  }
  const std::string d = "density " + Fixed3(pool.dens.value());
  if (pool.dens.AtMost(1)) {
    return {Verdict::kSchedulable, d + " <= 1: schedulable (density test).", ""};
  }
  EdfResult r = ProcessorDemand(pool);
  r.explanation = u + " <= 1 but " + d +
                  " > 1, so the processor-demand criterion decides (exact): " + r.explanation +
                  ": " + std::string(VerdictName(r.verdict)) + ".";
  return r;
}

// --- several slots ---------------------------------------------------------------------------

std::string Global(const Pool& pool, int m, PoolReport& report, Reasons& why) {
  const size_t n = pool.loads.size();
  const std::string slots = std::to_string(m) + " slots";
  std::vector<size_t> too_long;
  for (size_t i = 0; i < n; ++i) {
    if (pool.loads[i].c > pool.loads[i].d) too_long.push_back(i);
  }
  const bool overload = !pool.u.AtMost(m);
  if (!too_long.empty() || overload) {
    report.rms = report.edf = Verdict::kUnschedulable;
    for (size_t i = 0; i < n; ++i) {
      const Load& l = pool.loads[i];
      if (l.c > l.d) {
        why[i].push_back("wcet " + FormatNanos(l.c) + " exceeds its deadline " + FormatNanos(l.d));
      }
      if (overload) {
        why[i].push_back("pool overloaded: utilization " + Fixed3(pool.u.value()) +
                         " exceeds its " + slots);
      } else if (l.c <= l.d) {
        why[i].push_back("pool unschedulable: load '" + report.tasks[too_long[0]].name +
                         "' cannot meet its deadline");
      }
    }
    return std::string("Necessary conditions fail (") +
           (too_long.empty() ? "" : Plural(too_long.size(), "load") + " with wcet > deadline") +
           (!too_long.empty() && overload ? "; " : "") +
           (overload ? "utilization " + Fixed3(pool.u.value()) + " > " + std::to_string(m) : "") +
           "): unschedulable under any policy.";
  }

  const std::string necessary =
      "Necessary conditions hold (every wcet <= its deadline, "
      "utilization <= " +
      std::to_string(m) + "). ";
  // Goossens, Funk & Baruah, density form: sum C/D <= m - (m-1) max C/D.
  const bool gfb = (pool.dens + pool.d_max * (m - 1)).AtMost(m);
  // Andersson, Baruah & Jonsson: implicit deadlines, U <= m^2/(3m-2), every C/T <= m/(3m-2).
  const int64_t k = 3 * int64_t{m} - 2;
  const bool abj =
      pool.implicit && (pool.u * k).AtMost(int64_t{m} * m) && (pool.u_max * k).AtMost(m);
  // Bertogna, Cirinei & Lipari: sum C/D <= m/2 (1 - max C/D) + max C/D, doubled to stay integral.
  const bool bcl = (pool.dens * 2 + pool.d_max * (m - 2)).AtMost(m);

  report.edf = gfb ? Verdict::kSchedulable : Verdict::kUnknown;
  report.rms = abj || bcl ? Verdict::kSchedulable : Verdict::kUnknown;
  for (size_t i = 0; i < n; ++i) {
    if (!gfb) why[i].push_back("edf: not proven on " + slots + " (sufficient tests only)");
    if (!abj && !bcl) why[i].push_back("rms: not proven on " + slots + " (sufficient tests only)");
  }

  std::string s = necessary + "edf: the Goossens-Funk-Baruah bound (density " +
                  Fixed3(pool.dens.value()) + " <= " + std::to_string(m) + " - " +
                  std::to_string(m - 1) + " x max density " + Fixed3(pool.d_max.value()) + ") " +
                  (gfb ? "holds: schedulable" : "fails: not proven") + ". rms: ";
  if (abj) {
    s += "the Andersson-Baruah-Jonsson bound (utilization <= " +
         Fixed3(static_cast<double>(m) * m / static_cast<double>(k)) +
         ", each <= " + Fixed3(static_cast<double>(m) / static_cast<double>(k)) +
         ") holds: schedulable";
  } else if (bcl) {
    s += "the Bertogna-Cirinei-Lipari bound for deadline-monotonic priorities holds: schedulable";
  } else {
    s += std::string(pool.implicit ? "neither the Andersson-Baruah-Jonsson nor the " : "the ") +
         "Bertogna-Cirinei-Lipari bound holds: not proven";
  }
  return s + ". These tests are sufficient only: a load they do not prove may still fit.";
}

// --- a pool ----------------------------------------------------------------------------------

PoolReport AnalyzePool(const std::string& name, int m, std::span<const PeriodicLoad> all,
                       const std::vector<size_t>& members) {
  PoolReport report;
  report.pool = name;
  report.slots = m;
  Pool pool;
  std::set<int64_t> deadlines;
  for (size_t idx : members) {
    const PeriodicLoad& in = all[idx];
    const Load l{in.wcet.count(), in.period.count(),
                 in.deadline == Duration::zero() ? in.period.count() : in.deadline.count()};
    pool.loads.push_back(l);
    deadlines.insert(l.d);
    const Ratio u(l.c, l.t), d(l.c, l.d);
    pool.u = pool.u + u;
    pool.dens = pool.dens + d;
    if (pool.u_max < u) pool.u_max = u;
    if (pool.d_max < d) pool.d_max = d;
    if (l.d < l.t) pool.implicit = false;
    TaskVerdict v;
    v.name = in.name;
    v.period = Duration(l.t);
    v.wcet = Duration(l.c);
    v.deadline = Duration(l.d);
    v.utilization = u.value();
    v.density = d.value();
    report.tasks.push_back(std::move(v));
  }
  for (size_t i = 0; i < pool.loads.size(); ++i) {
    report.tasks[i].priority =
        static_cast<int>(std::distance(deadlines.begin(), deadlines.find(pool.loads[i].d)));
  }
  const size_t n = pool.loads.size();
  report.utilization = pool.u.value();
  report.density = pool.dens.value();
  report.ll_bound = LiuLaylandBound(static_cast<int64_t>(n));
  report.deadline_monotonic = !pool.implicit;

  Reasons why(n);
  std::string s =
      (m == 1 ? std::string("1 slot") : std::to_string(m) + " slots, scheduled globally") + "; " +
      Plural(n, "load") + ", utilization " + Fixed3(report.utilization) +
      (pool.implicit ? "" : ", density " + Fixed3(report.density)) + ". ";
  if (m == 1) {
    const double tested = pool.implicit ? report.utilization : report.density;
    report.rms_ll_pass = tested <= report.ll_bound;
    s += "Liu & Layland bound for " + Plural(n, "load") + ": " + Fixed3(report.ll_bound) + "; " +
         (pool.implicit ? "utilization " : "density ") +
         (report.rms_ll_pass ? "within it: schedulable under rms (sufficient test). "
                             : "above it: this sufficient test is inconclusive. ");
    s += FixedPriorityOneSlot(pool, report, why) + " ";
    EdfResult edf = EdfOneSlot(pool);
    report.edf = edf.verdict;
    s += "edf: " + edf.explanation;
    for (size_t i = 0; i < n; ++i) {
      report.tasks[i].meets_deadline_edf = edf.verdict == Verdict::kSchedulable;
      if (!edf.reason.empty()) why[i].push_back(edf.reason);
    }
  } else {
    s += "The Liu & Layland bound is for one slot and is not applied. ";
    s += Global(pool, m, report, why);
    for (TaskVerdict& v : report.tasks) {
      v.meets_deadline_rms = report.rms == Verdict::kSchedulable;
      v.meets_deadline_edf = report.edf == Verdict::kSchedulable;
    }
  }
  report.explanation = std::move(s);
  for (size_t i = 0; i < n; ++i) {
    if (why[i].empty()) continue;
    std::string reason = why[i][0];
    for (size_t j = 1; j < why[i].size(); ++j) reason += "; " + why[i][j];
    report.at_risk.push_back({report.tasks[i].name, std::move(reason)});
  }
  return report;
}

Status Validate(std::span<const PeriodicLoad> loads, const std::map<std::string, int>& pool_slots) {
  std::map<std::string_view, size_t> seen;
  for (size_t i = 0; i < loads.size(); ++i) {
    const PeriodicLoad& l = loads[i];
    const std::string at = "loads[" + std::to_string(i) + "].";
    if (l.name.empty()) return InvalidArgument(at + "name", "must not be empty");
    if (auto [it, fresh] = seen.emplace(l.name, i); !fresh) {
      return InvalidArgument(at + "name", "duplicate name '" + l.name + "' (also loads[" +
                                              std::to_string(it->second) + "])");
    }
    if (l.period <= Duration::zero()) return InvalidArgument(at + "period", "must be positive");
    if (l.wcet <= Duration::zero()) return InvalidArgument(at + "wcet", "must be positive");
    if (l.deadline < Duration::zero()) {
      return InvalidArgument(at + "deadline", "must not be negative (0 means the period)");
    }
    if (l.deadline > l.period) {
      return InvalidArgument(at + "deadline", "must not exceed the period " +
                                                  FormatNanos(l.period.count()) +
                                                  " (only constrained deadlines are analysed)");
    }
  }
  for (const auto& [pool, slots] : pool_slots) {
    if (pool.empty()) return InvalidArgument("pool_slots", "pool names must not be empty");
    if (slots < 1) return InvalidArgument("pool_slots." + pool, "must be at least 1 slot");
  }
  return Status();
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kSchedulable:
      return "schedulable";
    case Verdict::kUnschedulable:
      return "unschedulable";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "unknown";
}

double LiuLaylandBound(int64_t n) {
  // n * (2^(1/n) - 1) via expm1, which keeps full precision as 1/n gets small.
  return static_cast<double>(n) * std::expm1(std::numbers::ln2 / static_cast<double>(n));
}

Result<std::vector<PoolReport>> Analyze(std::span<const PeriodicLoad> loads,
                                        const std::map<std::string, int>& pool_slots) {
  if (Status s = Validate(loads, pool_slots); !s.ok()) return s;
  std::map<std::string, std::vector<size_t>> pools;
  for (size_t i = 0; i < loads.size(); ++i) {
    pools[loads[i].pool.empty() ? std::string(kDefaultPool) : loads[i].pool].push_back(i);
  }
  std::vector<PoolReport> reports;
  for (const auto& [name, members] : pools) {
    const auto it = pool_slots.find(name);
    reports.push_back(AnalyzePool(name, it == pool_slots.end() ? 1 : it->second, loads, members));
  }
  return reports;
}

}  // namespace taskly
