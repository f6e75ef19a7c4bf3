#include <array>
#include <cmath>
#include <limits>

#include "taskly/policy.h"

namespace taskly {
namespace {

constexpr std::array<std::string_view, 4> kPolicyNames = {"fifo", "priority", "edf", "rms"};
constexpr int64_t kLast = std::numeric_limits<int64_t>::max();

}  // namespace

std::string_view OrderingPolicyName(OrderingPolicy p) {
  return kPolicyNames[static_cast<size_t>(p)];
}

Result<OrderingPolicy> ParseOrderingPolicy(std::string_view name, std::string_view field) {
  for (size_t i = 0; i < kPolicyNames.size(); ++i) {
    if (kPolicyNames[i] == name) return static_cast<OrderingPolicy>(i);
  }
  return InvalidArgument(std::string(field), "unknown policy '" + std::string(name) +
                                                 "' (expected fifo, priority, edf or rms)");
}

Status ValidateQueueConfig(const QueueConfig& c) {
  if (Status s = ValidateDuration(c.aging_step, "aging_step"); !s.ok()) return s;
  if (c.concurrency < 0) return InvalidArgument("concurrency", "must not be negative");
  if (!(c.rate == 0 || (c.rate >= kMinRate && c.rate <= kMaxRate))) {
    return InvalidArgument("rate", "must be 0 (unlimited) or from 1e-09 to 1e+09 per second");
  }
  if (c.burst < 0) return InvalidArgument("burst", "must not be negative");
  if (c.weight < 1) return InvalidArgument("weight", "must be at least 1");
  return Status();
}

OrderKey MakeOrderKey(const QueueConfig& config, const Task& task) {
  return MakeOrderKey(config, OrderFields{task.spec.priority, task.spec.deadline, task.spec.period,
                                          task.seq, task.ready_at});
}

OrderKey MakeOrderKey(const QueueConfig& config, const OrderFields& task) {
  switch (config.policy) {
    case OrderingPolicy::kFifo:
      return {0, 0, task.seq};
    case OrderingPolicy::kPriority: {
      // Effective priority at time t is priority + (t - ready_at) / step. Comparing two tasks at
      // the same t, the t term cancels: order by priority - ready_at / step. Nanoseconds since
      // the epoch over a step of at least 1 ns fit in int64; priorities are int32.
      int64_t aged = -static_cast<int64_t>(task.priority);
      if (config.aging_step > Duration::zero()) {
        aged += task.ready_at.time_since_epoch().count() / config.aging_step.count();
      }
      return {aged, 0, task.seq};
    }
    case OrderingPolicy::kEdf:
      return {task.deadline ? task.deadline->time_since_epoch().count() : kLast, 0, task.seq};
    case OrderingPolicy::kRms:
      return {task.period > Duration::zero() ? task.period.count() : kLast, 0, task.seq};
  }
  return {0, 0, task.seq};
}

}  // namespace taskly
