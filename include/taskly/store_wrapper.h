// File: taskly/store_wrapper.h
//
// A Store that forwards every call to another (after LevelDB's EnvWrapper). Derive from it to
// change a few operations and keep the rest, e.g. to inject faults in tests:
//
//   class FlakyStore : public taskly::StoreWrapper {
//    public:
//     using StoreWrapper::StoreWrapper;
//     taskly::Status complete(const taskly::TaskId& id, uint64_t token,
//                             std::string result) override {
//       if (++calls_ % 5 == 0) return {taskly::StatusCode::kUnavailable, "injected"};
//       return StoreWrapper::complete(id, token, std::move(result));
//     }
//    private:
//     std::atomic<int> calls_{0};
//   };
//
// Thread-safety: as thread-safe as the target. The target must outlive the wrapper.
#pragma once

#include "taskly/store.h"

namespace taskly {

class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store& target) : target_(target) {}

  Store& target() { return target_; }

  Result<std::vector<EnqueueResult>> enqueue(std::span<const TaskSpec> specs) override {
    return target_.enqueue(specs);
  }
  Result<std::vector<EnqueueResult>> enqueue_as_leader(std::span<const TaskSpec> specs,
                                                       uint64_t term) override {
    return target_.enqueue_as_leader(specs, term);
  }
  Result<std::vector<Lease>> claim(const ClaimRequest& request) override {
    return target_.claim(request);
  }
  void wait_for_work(const std::vector<std::string>& queues, TimePoint until,
                     std::stop_token stop) override {
    target_.wait_for_work(queues, until, std::move(stop));
  }
  Result<TimePoint> heartbeat(const TaskId& id, uint64_t token, Duration lease) override {
    return target_.heartbeat(id, token, lease);
  }
  Status complete(const TaskId& id, uint64_t token, std::string result) override {
    return target_.complete(id, token, std::move(result));
  }
  std::vector<Status> complete_batch(std::span<Completion> items) override {
    return target_.complete_batch(items);
  }
  // complete_and_claim() is not forwarded: Store's default calls this wrapper's complete_batch()
  // and claim(), so that a derived wrapper's overrides of those (fault injection) still apply.
  Result<TaskState> fail(const TaskId& id, uint64_t token, std::string error,
                         const FailOptions& options) override {
    return target_.fail(id, token, std::move(error), options);
  }
  Status yield(const TaskId& id, uint64_t token, std::string checkpoint) override {
    return target_.yield(id, token, std::move(checkpoint));
  }
  Status cancel(const TaskId& id) override { return target_.cancel(id); }
  Status retry(const TaskId& id) override { return target_.retry(id); }
  Result<Task> get(const TaskId& id) override { return target_.get(id); }
  Result<TaskPage> list(const TaskFilter& filter, const PageRequest& page) override {
    return target_.list(filter, page);
  }
  Status set_queue(const std::string& name, const QueueConfig& config) override {
    return target_.set_queue(name, config);
  }
  Status pause_queue(const std::string& name, bool paused) override {
    return target_.pause_queue(name, paused);
  }
  Result<std::vector<QueueInfo>> queues() override { return target_.queues(); }
  Result<MaintenanceReport> maintain() override { return target_.maintain(); }
  Status put_schedule(const ScheduleSpec& spec) override { return target_.put_schedule(spec); }
  Status remove_schedule(const std::string& id) override { return target_.remove_schedule(id); }
  Result<std::vector<StoredSchedule>> list_schedules() override { return target_.list_schedules(); }
  Status advance_schedule(const std::string& id, TimePoint due) override {
    return target_.advance_schedule(id, due);
  }
  int64_t damaged_rows() override { return target_.damaged_rows(); }

 private:
  Store& target_;
};

}  // namespace taskly
