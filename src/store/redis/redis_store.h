// The Redis Store (taskly/redis_store.h): each operation is one script call (scripts.h) on a
// pooled connection, with the store's clock read once per call and passed in; get() is a plain
// HGETALL. wait_for_work() checks Redis once, then sleeps on the WakeListener.
//
// Thread-safety: thread-safe; the pool gives each concurrent call its own connection.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/redis/connection.h"
#include "store/redis/scripts.h"
#include "store/redis/wake_listener.h"
#include "taskly/redis_store.h"
#include "taskly/store.h"

namespace taskly::redis {

class RedisStore final : public Store {
 public:
  RedisStore(const RedisStoreOptions& options, ConnectOptions connect, Scripts scripts,
             std::unique_ptr<WakeListener> listener);

  Result<std::vector<EnqueueResult>> enqueue(std::span<const TaskSpec> specs) override;
  // Fenced by the coordinator's term key under the same prefix (OpenRedisCoordinator), checked
  // in each chunk's script: a batch of more than one chunk may be refused part way.
  Result<std::vector<EnqueueResult>> enqueue_as_leader(std::span<const TaskSpec> specs,
                                                       uint64_t term) override;
  Result<std::vector<Lease>> claim(const ClaimRequest& request) override;
  void wait_for_work(const std::vector<std::string>& queues, TimePoint until,
                     std::stop_token stop) override;
  Result<TimePoint> heartbeat(const TaskId& id, uint64_t token, Duration lease) override;
  Status complete(const TaskId& id, uint64_t token, std::string result) override;
  std::vector<Status> complete_batch(std::span<Completion> items) override;
  Result<TaskState> fail(const TaskId& id, uint64_t token, std::string error,
                         const FailOptions& options) override;
  Status yield(const TaskId& id, uint64_t token, std::string checkpoint) override;
  Status cancel(const TaskId& id) override;
  Status retry(const TaskId& id) override;
  Result<Task> get(const TaskId& id) override;
  Status ping() override;
  Result<TaskPage> list(const TaskFilter& filter, const PageRequest& page) override;
  Status set_queue(const std::string& name, const QueueConfig& config) override;
  Status pause_queue(const std::string& name, bool paused) override;
  Result<std::vector<QueueInfo>> queues() override;
  Status put_schedule(const ScheduleSpec& spec) override;
  Status remove_schedule(const std::string& id) override;
  Result<std::vector<StoredSchedule>> list_schedules() override;
  Status advance_schedule(const std::string& id, TimePoint due) override;
  Result<MaintenanceReport> maintain() override;
  int64_t damaged_rows() override;

 private:
  // Counts a stored row (`what`: "task ID", "schedule ID") that cannot be decoded, and reports
  // it the first time.
  void report_damaged(const std::string& what, const Status& why);

  // enqueue(), refused (kAborted) when `fence` is set and a newer leadership exists.
  Result<std::vector<EnqueueResult>> enqueue_chunks(std::span<const TaskSpec> specs,
                                                    std::optional<uint64_t> fence);
  // Runs `script` with ARGV = prefix, T8(now), `args`.
  Result<Reply> run(Script script, TimePoint now, std::vector<std::string> args);
  // run() for a script that answers OK or kCodeNotFound: the latter becomes NotFound("<what>
  // not found").
  Status run_on_existing(Script script, std::vector<std::string> args, const std::string& what);

  Clock& clock_;
  const RetentionPolicy retention_;
  const std::string prefix_;
  ConnectionPool pool_;
  const Scripts scripts_;
  std::unique_ptr<WakeListener> listener_;
  const std::function<void(const Status&)> on_damaged_row_;
  std::mutex damaged_mu_;
  std::set<std::string> damaged_;  // guarded by damaged_mu_
};

}  // namespace taskly::redis
