// The Lua scripts of the Redis store: one per operation that reads and then writes, so each is
// atomic in Redis. Each script is a shared prelude (key names, T8 arithmetic, the index
// bookkeeping every transition goes through) followed by its body; scripts.cc documents the
// arguments and results of each.
//
// Every script takes ARGV[1] = the key prefix and ARGV[2] = T8(now), the store's clock (never
// Redis TIME), then its own arguments. Scripts take no KEYS: they derive key names from the
// prefix (keys.h), which on a Redis Cluster needs a hash-tagged prefix ("{taskly}").
//
// Scripts are loaded with SCRIPT LOAD when the store opens and run with EVALSHA; a server that
// lost them (restart, SCRIPT FLUSH, failover) answers NOSCRIPT, and the script is loaded again
// and run once more.
//
// Thread-safety: Scripts is immutable after Load(); Run() may be called from many threads, each
// with its own Connection.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "store/redis/connection.h"
#include "taskly/status.h"

namespace taskly::redis {

enum class Script {
  kEnqueue,
  kClaim,
  kComplete,
  kFail,
  kYield,
  kHeartbeat,
  kCancel,
  kRetry,
  kSetQueue,
  kPauseQueue,
  kQueues,
  kProbe,
  kList,
  kMaintain,
  kPutSchedule,
  kRemoveSchedule,
  kAdvanceSchedule,
  kListSchedules,
};
inline constexpr size_t kScriptCount = static_cast<size_t>(Script::kListSchedules) + 1;

// The codes settle, cancel, retry and lookup scripts answer with.
enum ScriptCode : int64_t {
  kCodeOk = 0,
  kCodeNotFound = 1,
  kCodeStale = 2,      // the token is not the task's current lease
  kCodeCancelled = 3,  // the token was the lease of a task since cancelled
  kCodeWrongState = 4,
};

class Scripts {
 public:
  // Loads every script into the server `conn` is connected to.
  Status Load(Connection& conn);

  // EVALSHA of `script` with `args` (ARGV[1] and ARGV[2] included). A Lua error is returned as
  // kInternal naming the script; a broken connection as kUnavailable.
  Result<Reply> Run(Connection& conn, Script script, const std::vector<std::string>& args) const;
  // Run() of `script` once per element of `calls`, pipelined: every call is sent, then the
  // replies are read in order, in one round trip. Redis runs the calls one after another, each
  // atomic; a call whose script the server lost is run again, after those sent with it.
  std::vector<Result<Reply>> RunAll(Connection& conn, Script script,
                                    const std::vector<std::vector<std::string>>& calls) const;

  static std::string Source(Script script);

 private:
  std::vector<std::string> Argv(Script script, const std::vector<std::string>& args) const;
  static Result<Reply> Checked(Script script, Result<Reply> r);

  std::array<std::string, kScriptCount> sha_;
};

}  // namespace taskly::redis
