// OpenRedisCoordinator: the Coordinator on Redis. Each call is one EVAL of a small script
// (coord_scripts.h) on a pooled connection, with `now` from the coordinator's clock. The scripts
// are sent whole each time rather than by SHA: they run a few times per lease period, far from
// any hot path, and so survive a Redis restart or SCRIPT FLUSH without reloading.
//
// Thread-safety: thread-safe; the pool gives each concurrent call its own connection.

#include <algorithm>

#include "coord/redis/coord_scripts.h"
#include "coord/redis/node_record.h"
#include "store/redis/connection.h"
#include "store/redis/encoding.h"
#include "store/redis/url.h"
#include "taskly/redis_store.h"

namespace taskly {
namespace {

using redis::CoordScript;
using redis::Reply;
using redis::T8;

Status Malformed(std::string_view what) {
  return Status(StatusCode::kInternal, "redis: unexpected reply to " + std::string(what));
}

class RedisCoordinator final : public Coordinator {
 public:
  RedisCoordinator(const RedisStoreOptions& options, redis::ConnectOptions connect)
      : clock_(options.clock ? *options.clock : RealClock()),
        prefix_(options.prefix),
        pool_(std::move(connect)) {}

  Result<LeaderInfo> campaign(const std::string& node, Duration ttl) override {
    if (Status s = ValidateName(node, "node"); !s.ok()) return s;
    if (ttl <= Duration::zero()) return InvalidArgument("ttl", "must be positive");
    TimePoint now = clock_.now();
    Result<Reply> r = run(CoordScript::kCampaign, now, {node, T8(now + ttl)});
    if (!r.ok()) return r.status();
    return ToLeader(*r, "campaign");
  }

  Status resign(const std::string& node, uint64_t term) override {
    return run(CoordScript::kResign, clock_.now(), {node, std::to_string(term)}).status();
  }

  Result<LeaderInfo> leader() override {
    Result<Reply> r = run(CoordScript::kLeader, clock_.now(), {});
    if (!r.ok()) return r.status();
    return ToLeader(*r, "leader");
  }

  Status heartbeat(const NodeInfo& node, Duration ttl) override {
    if (Status s = ValidateName(node.id, "id"); !s.ok()) return s;
    if (ttl <= Duration::zero()) return InvalidArgument("ttl", "must be positive");
    TimePoint now = clock_.now();
    NodeInfo seen = node;
    seen.last_seen = now;
    return run(CoordScript::kHeartbeat, now, {node.id, T8(now + ttl), redis::EncodeNode(seen)})
        .status();
  }

  Status leave(const std::string& node_id) override {
    return run(CoordScript::kLeave, clock_.now(), {node_id}).status();
  }

  Result<std::vector<NodeInfo>> nodes() override {
    Result<Reply> r = run(CoordScript::kNodes, clock_.now(), {});
    if (!r.ok()) return r.status();
    if (r->type != Reply::Type::kArray) return Malformed("nodes");
    std::vector<NodeInfo> out;
    out.reserve(r->elements.size());
    for (const Reply& e : r->elements) {
      Result<NodeInfo> n = redis::DecodeNode(e.str);
      if (!n.ok()) return n.status();
      out.push_back(std::move(*n));
    }
    std::sort(out.begin(), out.end(),
              [](const NodeInfo& a, const NodeInfo& b) { return a.id < b.id; });
    return out;
  }

 private:
  // EVAL of `script` with ARGV = prefix, T8(now), `args`.
  Result<Reply> run(CoordScript script, TimePoint now, std::vector<std::string> args) {
    Result<redis::ConnectionPool::Handle> conn = pool_.acquire();
    if (!conn.ok()) return conn.status();
    std::vector<std::string> argv = {"EVAL", redis::CoordScriptSource(script), "0", prefix_,
                                     T8(now)};
    argv.insert(argv.end(), std::make_move_iterator(args.begin()),
                std::make_move_iterator(args.end()));
    Result<Reply> r = (*conn)->command(argv);
    if (!r.ok()) return r.status();
    if (r->is_error()) return Status(StatusCode::kInternal, "redis: coordinator: " + r->str);
    return r;
  }

  static Result<LeaderInfo> ToLeader(const Reply& r, std::string_view what) {
    if (r.type != Reply::Type::kArray || r.elements.size() != 3) return Malformed(what);
    LeaderInfo out;
    out.node = r.elements[0].str;
    out.term = std::strtoull(r.elements[1].str.c_str(), nullptr, 10);
    if (std::optional<int64_t> ex = redis::FromT8(r.elements[2].str)) {
      out.expires_at = TimePoint(Duration(*ex));
    }
    return out;
  }

  Clock& clock_;
  const std::string prefix_;
  redis::ConnectionPool pool_;
};

}  // namespace

Result<std::unique_ptr<Coordinator>> OpenRedisCoordinator(const RedisStoreOptions& options) {
  Result<redis::RedisAddress> address = redis::ParseRedisUrl(options.url);
  if (!address.ok()) return address.status();
  if (Status s = redis::ValidateKeyPrefix(options.prefix); !s.ok()) return s;
  redis::ConnectOptions connect{*address, options.connect_timeout, options.command_timeout};
  // Connect once now, so that a wrong address fails here rather than at the first campaign.
  Result<std::unique_ptr<redis::Connection>> conn = redis::Connection::Open(connect);
  if (!conn.ok()) return conn.status();
  return std::unique_ptr<Coordinator>(std::make_unique<RedisCoordinator>(options, connect));
}

}  // namespace taskly
