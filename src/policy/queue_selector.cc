#include <algorithm>
#include <array>
#include <numeric>
#include <utility>

#include "taskly/policy.h"

namespace taskly {
namespace {

constexpr std::array<std::string_view, 3> kSelectorNames = {"strict", "round_robin", "weighted"};

}  // namespace

std::string_view SelectorKindName(SelectorKind k) { return kSelectorNames[static_cast<size_t>(k)]; }

Result<SelectorKind> ParseSelectorKind(std::string_view name, std::string_view field) {
  for (size_t i = 0; i < kSelectorNames.size(); ++i) {
    if (kSelectorNames[i] == name) return static_cast<SelectorKind>(i);
  }
  return InvalidArgument(std::string(field), "unknown selector '" + std::string(name) +
                                                 "' (expected strict, round_robin or weighted)");
}

QueueSelector::QueueSelector(SelectorKind kind, std::vector<Entry> queues)
    : kind_(kind), queues_(std::move(queues)), current_(queues_.size(), 0), order_(queues_.size()) {
  for (Entry& e : queues_) e.weight = std::max<int32_t>(e.weight, 1);
  for (const Entry& e : queues_) total_weight_ += e.weight;
  std::iota(order_.begin(), order_.end(), size_t{0});
}

const std::vector<size_t>& QueueSelector::next() {
  const size_t n = queues_.size();
  if (n == 0) return order_;
  switch (kind_) {
    case SelectorKind::kStrict:
      // order_ was set to 0..n-1 at construction and never changes.
      break;
    case SelectorKind::kRoundRobin:
      for (size_t i = 0; i < n; ++i) order_[i] = (cursor_ + i) % n;
      cursor_ = (cursor_ + 1) % n;
      break;
    case SelectorKind::kWeighted: {
      // Smooth weighted round-robin (nginx): every queue earns its weight, the richest is picked
      // and pays the total. After each run of total_weight_ picks every current_ is back to zero
      // and each queue has been picked exactly `weight` times.
      for (size_t i = 0; i < n; ++i) current_[i] += queues_[i].weight;
      // Fallbacks in order of how much they are owed, so a queue that keeps losing to empty
      // queues is the next served; ties go to the earlier queue, as in the pick itself.
      std::iota(order_.begin(), order_.end(), size_t{0});
      std::stable_sort(order_.begin(), order_.end(),
                       [this](size_t a, size_t b) { return current_[a] > current_[b]; });
      current_[order_[0]] -= total_weight_;
      break;
    }
  }
  return order_;
}

}  // namespace taskly
