// taskly::Client: the HTTP API's submit and inspect semantics over a Store, with no server hop.
#include "taskly/client.h"

#include "core/saturating.h"
#include "taskly/redis_store.h"

namespace taskly {

Client::Client(std::unique_ptr<Store> owned, Store& store, const ClientOptions& options)
    : owned_(std::move(owned)),
      store_(store),
      options_(options),
      clock_(options.clock ? *options.clock : RealClock()) {}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  if (!options.store.starts_with("redis://")) {
    return InvalidArgument("store",
                           "must be a redis:// URL (the memory and sqlite stores belong "
                           "to one process: reach them through its server)");
  }
  RedisStoreOptions redis;
  redis.url = options.store;
  redis.prefix = options.prefix;
  redis.clock = options.clock;
  Result<std::unique_ptr<Store>> store = OpenRedisStore(redis);
  if (!store.ok()) return store.status();
  Store& ref = **store;
  return std::unique_ptr<Client>(new Client(std::move(*store), ref, options));
}

std::unique_ptr<Client> Client::Over(Store& store, const ClientOptions& options) {
  return std::unique_ptr<Client>(new Client(nullptr, store, options));
}

Status Client::check_payload(const TaskSpec& spec, const std::string& field) const {
  if (static_cast<int64_t>(spec.payload.size()) <= options_.max_payload_bytes) return Status();
  return Status(StatusCode::kResourceExhausted,
                "payload is " + std::to_string(spec.payload.size()) + " bytes; the limit is " +
                    std::to_string(options_.max_payload_bytes),
                field);
}

Result<EnqueueResult> Client::enqueue(const TaskSpec& spec) {
  if (Status s = check_payload(spec, "payload"); !s.ok()) return s;
  return store_.enqueue_one(spec);
}

Result<EnqueueResult> Client::enqueue_in(const TaskSpec& spec, Duration delay) {
  if (Status s = ValidateDuration(delay, "delay"); !s.ok()) return s;
  TaskSpec delayed = spec;
  delayed.run_at = SaturatingAdd(clock_.now(), delay);
  return enqueue(delayed);
}

Result<std::vector<EnqueueResult>> Client::enqueue(std::span<const TaskSpec> specs) {
  if (specs.empty() || specs.size() > static_cast<size_t>(options_.max_batch)) {
    return InvalidArgument("tasks", "must hold 1 to " + std::to_string(options_.max_batch) +
                                        " tasks, not " + std::to_string(specs.size()));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    Status s = check_payload(specs[i], "tasks[" + std::to_string(i) + "].payload");
    if (!s.ok()) return s;
  }
  return store_.enqueue(specs);
}

Result<Task> Client::get(const TaskId& id) { return store_.get(id); }

Result<TaskPage> Client::list(const TaskFilter& filter, const PageRequest& page) {
  return store_.list(filter, page);
}

Status Client::cancel(const TaskId& id) { return store_.cancel(id); }

Status Client::retry(const TaskId& id) { return store_.retry(id); }

Result<std::vector<QueueInfo>> Client::queues() { return store_.queues(); }

Status Client::pause_queue(const std::string& name) { return store_.pause_queue(name, true); }

Status Client::resume_queue(const std::string& name) { return store_.pause_queue(name, false); }

Clock& Client::clock() const { return clock_; }

}  // namespace taskly
