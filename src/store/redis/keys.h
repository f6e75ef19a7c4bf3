// The Redis store's key layout. Every key is `<prefix>:<kind>` or `<prefix>:<kind>:<name>`;
// the name (a queue, task id, unique key or schedule id) is always the whole rest of the key, so
// names containing ':' cannot collide with another kind's key. The Lua scripts (scripts.cc)
// build the same names through their `key()` helper; this file is the one description.
//
//   <p>:task:<id>          hash   one task: its spec and state (fields below)
//   <p>:ids                zset   every task id, score 0: ZRANGEBYLEX pages list() in id order
//   <p>:seq                string INCR: the enqueue sequence (policy tie-breaker)
//   <p>:idseq, <p>:idms    string id generator: counter and last millisecond used (see enqueue)
//   <p>:queues             set    names of the queues that exist
//   <p>:queue:<q>          hash   config, paused flag, counts per state, deadline misses, bucket
//   <p>:ready:<q>          zset   pending tasks of <q> in policy order (member layout below)
//   <p>:scheduled:<q>      zset   scheduled tasks of <q>: T8(scheduled_for) + id
//   <p>:deadlines:<q>      zset   pending and scheduled tasks of <q> with a deadline: T8(dl) + id
//   <p>:leases             zset   active tasks: T8(lease expiry) + id
//   <p>:done               zset   terminal tasks: T8(finished_at) + id (retention, oldest first)
//   <p>:unique:<key>       hash   {id, until}: the holder of a unique key; `until` (T8) when the
//                                 key has a TTL, else the key holds while the task is not terminal
//   <p>:tick:<schedule>    hash   {due, id}: the latest tick enqueued for a schedule
//   <p>:schedules          zset   schedule ids, score 0 (list_schedules in id order)
//   <p>:schedule:<id>      hash   {spec: JSON without the payload, pl: payload, ld: T8(last_due)}
//   <p>:wake               pub/sub channel: a queue name, published when work may be claimable
//   <p>:term, <p>:leader, <p>:node:<id>, <p>:nodes
//                          the cluster coordinator's (coord/redis/coord_scripts.h); enqueue
//                          reads <p>:term to fence a leader's writes
//
// Ordering without doubles. Sorted-set scores are doubles, which hold neither nanosecond
// instants (about 2^61) nor int64 keys exactly, so every ordered index uses score 0 and sorts by
// member bytes (ZRANGEBYLEX compares with memcmp). Numbers are encoded as T8: 8 bytes, big
// endian, of the int64 with its sign bit flipped, so byte order is numeric order for negative
// values too. A ready member is
//
//     T8(OrderKey.primary) . U8(seq) . id        (U8: unsigned 64-bit big endian)
//
// which sorts exactly as OrderKey (primary, secondary, seq): MakeOrderKey's `secondary` is 0
// under every policy, and seqs are unique, so the id never decides. The scripts compute
// `primary` as MakeOrderKey does (policy.h): 0 (fifo), -priority + ready_at / aging_step
// (priority: 64-bit division done exactly on 32-bit halves), T8(deadline) or INT64_MAX (edf),
// T8(period) or INT64_MAX (rms). Time indexes put T8(instant) first, so "due by now" is one
// ZRANGEBYLEX up to T8(now) and "before now" one up to (but excluding) T8(now).
//
// Task hash fields (T8: 8-byte instant or duration as above; decimal: ASCII integer):
//   id, q queue, ty type, pl payload, pr priority, dl deadline (T8), to timeout (decimal ns),
//   ma max_attempts, bi/bc backoff initial/cap (decimal ns), bm multiplier, ra run_at (T8),
//   uk unique_key, ut unique_ttl (decimal ns), pe period (T8), si schedule_id, td tick_due (T8),
//   l:<key> one label;
//   st state (TaskState's number), sq seq, at attempts, lt lease token, ea enqueued_at, rd
//   ready_at, sf scheduled_for, sa started_at, fa finished_at, lx lease expiry (times T8),
//   cp checkpoint, rs result, le last_error, wk worker, rk the task's member in its ready set.
//
// Queue hash fields: po policy (OrderingPolicy's number), ag aging_step (T8, absent if zero),
// cc concurrency, rt rate, bu burst, wt weight, pa paused (0/1), dm deadline misses, n0..n6
// tasks per state, and the token bucket: br its size, tk tokens, bl last refill (T8).
//
// Thread-safety: constants and pure functions.
#pragma once

#include <string>
#include <string_view>

namespace taskly::redis {

inline std::string Key(std::string_view prefix, std::string_view kind) {
  std::string k(prefix);
  k += ':';
  k += kind;
  return k;
}

inline std::string Key(std::string_view prefix, std::string_view kind, std::string_view name) {
  std::string k = Key(prefix, kind);
  k += ':';
  k += name;
  return k;
}

}  // namespace taskly::redis
