// File: taskly/policy.h
//
// Scheduling policies (DESIGN.md section 3). An ordering policy is a sort key over the ready
// tasks of one queue, ties broken by enqueue sequence; one mechanism serves the in-memory heap,
// a Redis sorted set and a SQL index. A queue selector chooses which queue the next free slot
// pulls from.
//
// Thread-safety: `OrderKey` and `QueueConfig` are values. A `QueueSelector` is not thread-safe;
// its owner serializes calls.
#pragma once

#include <cstdint>
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
Result<OrderingPolicy> ParseOrderingPolicy(std::string_view name, std::string_view field = "policy");

// A queue's settings. Defaults are an unlimited FIFO queue.
struct QueueConfig {
  OrderingPolicy policy = OrderingPolicy::kFifo;
  // Under `priority`: a waiting task gains one priority level per `aging_step` it has been ready
  // (zero disables aging), so low priorities cannot starve forever.
  Duration aging_step = Duration::zero();
  int32_t concurrency = 0;  // max active tasks of this queue; 0 = unlimited
  double rate = 0;          // tasks started per second (token bucket); 0 = unlimited
  int32_t burst = 0;        // token bucket size; 0 = max(1, ceil(rate))
  int32_t weight = 1;       // for the weighted selector; >= 1
};

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

enum class SelectorKind : uint8_t {
  kStrict,      // always the first queue (in the given order) that can give a task
  kRoundRobin,  // rotate over the queues
  kWeighted,    // smooth weighted round-robin by QueueConfig::weight
};

std::string_view SelectorKindName(SelectorKind k);
Result<SelectorKind> ParseSelectorKind(std::string_view name, std::string_view field = "selector");

// Produces, for each claim, the order in which queues are tried. The first queue of the order is
// the selector's choice; the rest are fallbacks when it has nothing to give, so a free slot never
// idles while any queue has work. Over a long run in which every queue always has work, the
// number of picks of each queue is within +-1 of its share by weight (round_robin: equal shares).
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
  std::vector<int64_t> current_;  // smooth WRR running weights
  std::vector<size_t> order_;
  size_t cursor_ = 0;
};

}  // namespace taskly
