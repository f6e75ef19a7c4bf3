// File: taskly/policy.h
//
// Scheduling policies. An ordering policy is a sort key over the ready
// tasks of one queue, ties broken by enqueue sequence; one mechanism serves the in-memory heap,
// a Redis sorted set and a SQL index. A queue selector chooses which queue the next free slot
// pulls from.
//
// Thread-safety: `OrderKey` and `QueueConfig` are values. A `QueueSelector` is not thread-safe;
// its owner serializes calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskly/clock.h"
#include "taskly/status.h"
#include "taskly/task.h"

namespace taskly {

enum class OrderingPolicy : uint8_t {
  kFifo,      // (seq)
  kPriority,  // (-priority, seq), with optional aging
  kEdf,       // (deadline, seq); tasks without a deadline last
  kRms,       // (period, seq); tasks of shorter-period schedules first, aperiodic last
};

std::string_view OrderingPolicyName(OrderingPolicy p);
Result<OrderingPolicy> ParseOrderingPolicy(std::string_view name,
                                           std::string_view field = "policy");

// A queue's settings. Defaults are an unlimited FIFO queue.
struct QueueConfig {
  OrderingPolicy policy = OrderingPolicy::kFifo;
  // Under `priority`: a waiting task gains one priority level per `aging_step` it has been ready
  // (zero disables aging), so low priorities cannot starve forever.
  Duration aging_step = Duration::zero();
  int32_t concurrency = 0;  // max active tasks of this queue; 0 = unlimited
  double rate = 0;          // tasks started per second (token bucket); 0 = unlimited, else
                            // from kMinRate to kMaxRate
  int32_t burst = 0;        // token bucket size; 0 = max(1, ceil(rate))
  int32_t weight = 1;       // for the weighted selector; >= 1
};

// The range of a limited rate: at least one task in about 32 years, at most one a nanosecond.
inline constexpr double kMinRate = 1e-9;
inline constexpr double kMaxRate = 1e9;

// Checks the settings; InvalidArgument naming the first bad field. aging_step is checked by
// ValidateDuration (task.h).
Status ValidateQueueConfig(const QueueConfig& config);

// The sort key of a ready task: smaller runs first. Two int64 components and the enqueue seq.
struct OrderKey {
  int64_t primary = 0;
  int64_t secondary = 0;
  uint64_t seq = 0;
  friend auto operator<=>(const OrderKey&, const OrderKey&) = default;
};

// The key of `task` under `config`'s policy. Aging is expressed without a clock: the priority
// key subtracts ready_at / aging_step from the priority, which orders tasks exactly as "priority
// plus one level per aging_step waited" would at any instant, so keys never need recomputing.
OrderKey MakeOrderKey(const QueueConfig& config, const Task& task);

// The fields of a task its key depends on, for stores that do not keep whole `Task`s.
struct OrderFields {
  int32_t priority = 0;
  std::optional<TimePoint> deadline;
  Duration period = Duration::zero();
  uint64_t seq = 0;
  TimePoint ready_at{};
};
OrderKey MakeOrderKey(const QueueConfig& config, const OrderFields& task);

enum class SelectorKind : uint8_t {
  kStrict,      // always the first queue (in the given order) that can give a task
  kRoundRobin,  // rotate over the queues
  kWeighted,    // smooth weighted round-robin by QueueConfig::weight
};

std::string_view SelectorKindName(SelectorKind k);
Result<SelectorKind> ParseSelectorKind(std::string_view name, std::string_view field = "selector");

// Produces, for each claim, the order in which queues are tried. The first queue of the order is
// the selector's choice; the rest are fallbacks when it has nothing to give, so a free slot never
// idles while any queue has work.
//
//   strict:      always 0, 1, ..., n-1.
//   round_robin: call k starts at queue k mod n and continues in rotation (k, k+1, ..., k-1), so
//                after any number of calls the first-choice counts differ by at most one.
//   weighted:    smooth weighted round-robin (as nginx): each call every queue's running value
//                grows by its weight, the largest is picked (ties: the earlier queue) and loses
//                the total weight W. In every run of W calls counted from construction, queue i
//                is first exactly weight_i times, spread out (5,3,1 gives a b a c a b a b a,
//                never a run of five). Within a run a count is off its share k*weight_i/W by less
//                than one pick with up to three queues; with more it can be slightly more (weights
//                1,1,13,13,13: 1.02 after 19 calls). Fallbacks follow in decreasing running value
//                (how much each queue is owed), ties to the earlier queue.
//
// A first choice counts as a pick whether or not its queue had work: a queue's share is not
// given to others while it is empty.
//
// Input: an empty queue list is allowed and `next()` returns an empty order. Weights below 1 are
// raised to 1 (ValidateQueueConfig rejects them earlier, so this only guards the selector's
// arithmetic); `queues()` reports the weights in effect. Weights are ignored by strict and
// round_robin.
class QueueSelector {
 public:
  struct Entry {
    std::string queue;
    int32_t weight = 1;
  };
  QueueSelector(SelectorKind kind, std::vector<Entry> queues);

  // The next preference order (a permutation of the queues' indexes). Each call counts as one
  // pick of the order's first queue.
  const std::vector<size_t>& next();

  const std::vector<Entry>& queues() const { return queues_; }

 private:
  SelectorKind kind_;
  std::vector<Entry> queues_;
  std::vector<int64_t> current_;  // weighted: running values; they sum to zero between calls
  int64_t total_weight_ = 0;      // W: sum of the weights
  std::vector<size_t> order_;     // the order returned by next()
  size_t cursor_ = 0;             // round_robin: first queue of the next order
};

}  // namespace taskly
