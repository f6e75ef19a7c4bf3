// File: taskly/client.h
//
// A producer's and inspector's view of taskly: enqueue tasks, look at
// them, cancel and retry them, see and pause queues — without running any worker. Connected
// straight to the cluster's store (redis://...), a Client enqueues with no server in between,
// and with the HTTP API's semantics:
//
//  - Every spec is validated first; a bad one is InvalidArgument naming its field ("queue" for
//    one task, "tasks[2].queue" in a batch) and nothing is enqueued.
//  - A payload larger than `max_payload_bytes` is ResourceExhausted naming the payload's field;
//    a batch holds 1 to `max_batch` tasks (InvalidArgument "tasks" otherwise). The defaults are
//    the server's, so a task a Client accepts is one the API would accept too.
//  - enqueue returns once the task is durable in the store (for Redis: applied and acknowledged;
//    what survives a Redis crash is Redis's persistence setting, see docs/operations.md). It is
//    idempotent on a live unique_key: the existing task's id comes back with created = false.
//  - `delay` counts from the client's clock; the store judges run_at by its own.
//  - cancel() of a running task voids its lease at once; the node running it learns so at its
//    next heartbeat (within a third of the lease) and requests the attempt's stop token.
//
//   taskly::ClientOptions options;
//   options.store = "redis://127.0.0.1:6379/0";
//   auto client = taskly::Client::Connect(options);
//   if (!client.ok()) return client.status();
//   auto id = (*client)->enqueue({.type = "email", .payload = R"({"to":"a@b.c"})"});
//
// Thread-safety: a Client is thread-safe (its store is).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "taskly/clock.h"
#include "taskly/status.h"
#include "taskly/store.h"
#include "taskly/task.h"

namespace taskly {

struct ClientOptions {
  // The shared store: redis://[[user]:password@]host[:port][/db]. (The embedded stores, memory
  // and sqlite, belong to one process: reach those through its server, or use Client::Over.)
  std::string store;
  std::string prefix = "taskly";  // the store's key prefix (RedisStoreOptions::prefix)
  Clock* clock = nullptr;         // default: RealClock()
  int64_t max_payload_bytes = 256 << 10;
  int32_t max_batch = 1000;
};

class Client {
 public:
  // Opens the store named by options.store. Errors: InvalidArgument "store" for a URL that is
  // not redis://, those of OpenRedisStore otherwise (unreachable, refused, may evict keys).
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);
  // A client over a store the caller owns (a Scheduler's, say); options.store is ignored.
  // `store` must outlive the client.
  static std::unique_ptr<Client> Over(Store& store, const ClientOptions& options = {});
  ~Client();

  Result<EnqueueResult> enqueue(const TaskSpec& spec);
  // `spec` to run no earlier than now + delay (client's clock). InvalidArgument "delay" if < 0.
  Result<EnqueueResult> enqueue_in(const TaskSpec& spec, Duration delay);
  // One result per spec, in order; all or nothing on a validation error.
  Result<std::vector<EnqueueResult>> enqueue(std::span<const TaskSpec> specs);

  Result<Task> get(const TaskId& id);
  Result<TaskPage> list(const TaskFilter& filter, const PageRequest& page = {});
  // Any non-terminal state -> cancelled (NotFound, FailedPrecondition for a finished task).
  Status cancel(const TaskId& id);
  // Dead, cancelled or expired -> pending with attempts reset.
  Status retry(const TaskId& id);

  Result<std::vector<QueueInfo>> queues();
  Status pause_queue(const std::string& name);
  Status resume_queue(const std::string& name);

  Clock& clock() const;

 private:
  Client(std::unique_ptr<Store> owned, Store& store, const ClientOptions& options);
  Status check_payload(const TaskSpec& spec, const std::string& field) const;

  std::unique_ptr<Store> owned_;
  Store& store_;
  ClientOptions options_;
  Clock& clock_;
};

}  // namespace taskly
