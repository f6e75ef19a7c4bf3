// NewLocalCoordinator: the leadership lease and the node registry in memory, under one mutex.
// Expiry is judged by the clock at each call, so a lease that is not renewed runs out exactly
// as a Redis one does; schedulers sharing one LocalCoordinator behave as a cluster (tests).

#include <algorithm>
#include <map>
#include <mutex>

#include "taskly/coordinator.h"

namespace taskly {
namespace {

class LocalCoordinator final : public Coordinator {
 public:
  explicit LocalCoordinator(Clock& clock) : clock_(clock) {}

  Result<LeaderInfo> campaign(const std::string& node, Duration ttl) override {
    if (node.empty()) return InvalidArgument("node", "must not be empty");
    if (ttl <= Duration::zero()) return InvalidArgument("ttl", "must be positive");
    std::lock_guard lock(mu_);
    TimePoint now = clock_.now();
    if (held(now) && leader_.node != node) return leader_;
    // A holder renews in its term; a lease that ran out starts a new term, even for the node
    // that held it: in between it was no longer the leader, and may have been replaced.
    if (!held(now)) {
      leader_.node = node;
      leader_.term = ++term_;
    }
    leader_.expires_at = now + ttl;
    return leader_;
  }

  Status resign(const std::string& node, uint64_t term) override {
    std::lock_guard lock(mu_);
    if (leader_.node == node && leader_.term == term) leader_.node.clear();
    return Status();
  }

  Result<LeaderInfo> leader() override {
    std::lock_guard lock(mu_);
    if (held(clock_.now())) return leader_;
    return LeaderInfo{.term = term_};
  }

  Status heartbeat(const NodeInfo& node, Duration ttl) override {
    if (node.id.empty()) return InvalidArgument("id", "must not be empty");
    if (ttl <= Duration::zero()) return InvalidArgument("ttl", "must be positive");
    std::lock_guard lock(mu_);
    TimePoint now = clock_.now();
    Entry& e = nodes_[node.id];
    e.info = node;
    e.info.last_seen = now;
    e.expires_at = now + ttl;
    return Status();
  }

  Status leave(const std::string& node_id) override {
    std::lock_guard lock(mu_);
    nodes_.erase(node_id);
    return Status();
  }

  Result<std::vector<NodeInfo>> nodes() override {
    std::lock_guard lock(mu_);
    TimePoint now = clock_.now();
    std::erase_if(nodes_, [now](const auto& kv) { return kv.second.expires_at <= now; });
    std::vector<NodeInfo> out;
    out.reserve(nodes_.size());
    for (const auto& [id, e] : nodes_) out.push_back(e.info);
    return out;
  }

 private:
  struct Entry {
    NodeInfo info;
    TimePoint expires_at{};
  };

  // REQUIRES: mu_ held.
  bool held(TimePoint now) const { return !leader_.node.empty() && now < leader_.expires_at; }

  Clock& clock_;
  std::mutex mu_;
  LeaderInfo leader_;                   // guarded by mu_
  uint64_t term_ = 0;                   // guarded by mu_: the last term given
  std::map<std::string, Entry> nodes_;  // guarded by mu_, ordered by id
};

}  // namespace

std::unique_ptr<Coordinator> NewLocalCoordinator(Clock* clock) {
  return std::make_unique<LocalCoordinator>(clock ? *clock : RealClock());
}

}  // namespace taskly
