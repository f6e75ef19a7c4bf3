// File: taskly/redis_store.h
//
// The Redis backend: the Store contract kept in a Redis 7 server, so that
// several taskly processes (a cluster) share one store.
//
//  - Atomicity: every operation that reads and then writes is one Lua script (EVALSHA), so it
//    is atomic in Redis whatever other clients do at the same time. Time is never Redis's:
//    every script is given the store's `now` (options.clock), so leases, run_at, deadlines,
//    unique-key TTLs and retention are judged by the injected clock.
//  - Durability: a call returns after Redis has applied and acknowledged its write. Whether an
//    acknowledged write survives a crash of Redis is Redis's persistence setting: with
//    `appendonly yes` and `appendfsync always` (recommended for taskly) it does; with
//    `appendfsync everysec` up to about a second of writes may be lost; without AOF, all
//    writes since the last snapshot.
//  - Eviction: Redis must never evict taskly's keys (an evicted key is a lost task, lease or
//    unique key). The store refuses to open unless `maxmemory-policy` is `noeviction`.
//  - Keys: every key is under `<prefix>:` (see src/store/redis/keys.h). Give each store sharing
//    one Redis database its own prefix. A prefix in braces ("{taskly}") puts every key in one
//    Redis Cluster hash slot, which scripts need on a cluster.
//  - Wake-ups: wait_for_work() is woken through Redis pub/sub (a channel under the prefix)
//    by whatever any client does that may make work claimable: a task made ready (enqueue,
//    retry, yield, a failed attempt retried at once), a queue resumed or reconfigured, a
//    completion that frees a slot of a queue with a concurrency limit. So workers in other
//    processes wake too. In each process one waiter of the queue wakes; its claim wakes the
//    next if it took a full batch.
//  - Connections: a small pool, one connection per concurrent caller, plus one subscriber
//    connection for wake-ups. A connection that fails (I/O error, timeout) is dropped; the
//    call fails with kUnavailable and the next call reconnects, with a growing pause between
//    failed attempts (up to 5 s). Failed calls are never retried behind the caller's back,
//    since a write may have been applied before the connection broke.
//  - Batches: enqueue() writes 100 tasks per script call (each call atomic) and pipelines up to
//    16 calls. When it fails after validation (Redis unreachable, out of memory), any of the
//    batch's tasks may have been written, not only those before the failure. A caller that
//    retries such a batch avoids duplicates by giving its tasks unique keys.
//  - Retention deletes terminal tasks' hashes, payload and result included.
//
// Thread-safety: the returned Store is thread-safe, like every Store.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "taskly/clock.h"
#include "taskly/coordinator.h"
#include "taskly/status.h"
#include "taskly/store.h"

namespace taskly {

struct RedisStoreOptions {
  // redis://[[user]:password@]host[:port][/db]; port defaults to 6379, db to 0. A host may
  // be an IPv6 address in brackets ("redis://[::1]:6379").
  std::string url;
  Clock* clock = nullptr;  // default: RealClock()
  RetentionPolicy retention;
  // Every key of this store starts with `<prefix>:`. [A-Za-z0-9_.:{}-]{1,64}.
  std::string prefix = "taskly";
  Duration connect_timeout = std::chrono::seconds(2);
  // How long one command may take before its connection is dropped and the call fails with
  // kUnavailable. Scripts over many tasks (set_queue re-keying a large queue) run longer.
  Duration command_timeout = std::chrono::seconds(10);
  // Called the first time this store meets a stored task or schedule it cannot decode (a hash
  // or document written by something else, or damaged), with an Internal status naming it and
  // saying why. Listings and the schedule reload skip such rows, so they serve the rest; get()
  // of the task is Internal with the reason; damaged_rows() counts them. Default: nothing said.
  std::function<void(const Status&)> on_damaged_row;
};

// Connects to `options.url`, checks the server and loads the scripts.
//
// Errors:
//   InvalidArgument ("url")     the URL is not redis://[[user]:password@]host[:port][/db].
//   InvalidArgument ("prefix")  the prefix is empty, too long or has other characters.
//   Unavailable                 the server cannot be reached within connect_timeout, refused
//                               the password or the database; the message names the
//                               address and the reason.
//   FailedPrecondition          the server's maxmemory-policy is not `noeviction`: Redis could
//                               evict taskly's keys under memory pressure and lose tasks. The
//                               message says how to fix it (`CONFIG SET maxmemory-policy
//                               noeviction`, and `maxmemory-policy noeviction` in redis.conf so
//                               that it survives a restart).
Result<std::unique_ptr<Store>> OpenRedisStore(const RedisStoreOptions& options);

// The cluster's coordinator (taskly/coordinator.h) in the same Redis, under the same prefix as
// the store opened with the same options: the leadership lease is one key with a TTL judged by
// options.clock, the term a counter beside it, and the Redis store's enqueue_as_leader() checks
// that term in the same script as the write. Errors as OpenRedisStore (except the eviction
// check, which the store does).
Result<std::unique_ptr<Coordinator>> OpenRedisCoordinator(const RedisStoreOptions& options);

}  // namespace taskly
