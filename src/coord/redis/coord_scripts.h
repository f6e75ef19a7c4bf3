// The Lua scripts of the Redis coordinator (taskly/coordinator.h), apart from the store's
// (store/redis/scripts.h) but in the same style: ARGV[1] = the key prefix, ARGV[2] = T8(now)
// from the coordinator's clock (never Redis TIME), then the script's own arguments; no KEYS.
//
// Keys, beside the store's (store/redis/keys.h) under the same prefix:
//   <p>:term          string INCR: the last leadership term given (the store's enqueue fence
//                            reads it: store/redis/scripts.cc)
//   <p>:leader        hash   {node, term, ex: T8(lease expiry)}; deleted by a resign
//   <p>:node:<id>     hash   {info: the NodeInfo as JSON (node_record.h), ex: T8(expiry)}
//   <p>:nodes         zset   score 0, member T8(expiry) . id: expired nodes are one
//                            ZRANGEBYLEX up to now (node ids are names, so no byte is 0xFF)
//
// Thread-safety: constants.
#pragma once

#include <string>

namespace taskly::redis {

enum class CoordScript {
  // ARGV[3] node, ARGV[4] T8(now + ttl). Returns {node, term, T8(expiry)} of the leadership
  // after the call.
  kCampaign,
  // ARGV[3] node, ARGV[4] term (decimal). Returns 1 if the lease was released, else 0.
  kResign,
  // Returns {node, term, T8(expiry)}; node and expiry empty when no unexpired lease is held.
  kLeader,
  // ARGV[3] id, ARGV[4] T8(now + ttl), ARGV[5] the node's JSON. Returns 1.
  kHeartbeat,
  // ARGV[3] id. Returns 1.
  kLeave,
  // Deletes the expired nodes; returns the JSON of the live ones (in expiry order).
  kNodes,
};

// The script's whole source (a shared prelude, then its body).
std::string CoordScriptSource(CoordScript script);

}  // namespace taskly::redis
