// OpenRedisStore: parses the URL, connects, refuses a server that may evict keys, loads the
// scripts and subscribes to the wake channel.
#include <algorithm>

#include "store/redis/keys.h"
#include "store/redis/redis_store.h"
#include "taskly/redis_store.h"

namespace taskly {
namespace {

using redis::Connection;
using redis::Reply;

// The server's maxmemory-policy: CONFIG GET, or INFO where CONFIG is disabled (managed Redis).
Result<std::string> EvictionPolicy(Connection& conn) {
  Result<Reply> r = conn.command({"CONFIG", "GET", "maxmemory-policy"});
  if (!r.ok()) return r.status();
  if (r->type == Reply::Type::kArray && r->elements.size() == 2) return r->elements[1].str;
  r = conn.command({"INFO", "memory"});
  if (!r.ok()) return r.status();
  constexpr std::string_view kField = "maxmemory_policy:";
  size_t at = r->str.find(kField);
  if (at == std::string::npos) {
    return Status(StatusCode::kFailedPrecondition,
                  "redis: cannot read maxmemory-policy (CONFIG GET and INFO memory refused); "
                  "taskly needs it to be noeviction");
  }
  size_t from = at + kField.size();
  return r->str.substr(from, r->str.find_first_of("\r\n", from) - from);
}

}  // namespace

Result<std::unique_ptr<Store>> OpenRedisStore(const RedisStoreOptions& options) {
  Result<redis::RedisAddress> address = redis::ParseRedisUrl(options.url);
  if (!address.ok()) return address.status();
  if (Status s = redis::ValidateKeyPrefix(options.prefix); !s.ok()) return s;
  redis::ConnectOptions connect{*address, options.connect_timeout, options.command_timeout};

  Result<std::unique_ptr<Connection>> conn = Connection::Open(connect);
  if (!conn.ok()) return conn.status();
  Result<std::string> policy = EvictionPolicy(**conn);
  if (!policy.ok()) return policy.status();
  if (*policy != "noeviction") {
    return FailedPrecondition(
        "redis " + redis::Describe(*address) + " has maxmemory-policy " + *policy +
        ": under memory pressure Redis would evict keys, and an evicted key is a lost task, "
        "lease or unique key. Set it to noeviction (CONFIG SET maxmemory-policy noeviction, and "
        "the line `maxmemory-policy noeviction` in redis.conf so that it survives a restart)");
  }

  redis::Scripts scripts;
  if (Status s = scripts.Load(**conn); !s.ok()) return s;
  Clock& clock = options.clock ? *options.clock : RealClock();
  Result<std::unique_ptr<redis::WakeListener>> listener =
      redis::WakeListener::Start(connect, redis::Key(options.prefix, "wake"), clock);
  if (!listener.ok()) return listener.status();
  return std::unique_ptr<Store>(std::make_unique<redis::RedisStore>(
      options, connect, std::move(scripts), std::move(listener).value()));
}

}  // namespace taskly
