#include "store/redis/redis_store.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "codec/bounded_json.h"
#include "codec/json_codec.h"
#include "core/saturating.h"
#include "store/redis/encoding.h"
#include "store/redis/keys.h"

namespace taskly::redis {
namespace {

using namespace std::chrono_literals;

// Tasks per enqueue or complete_batch script call: a large batch must not hold up Redis (it runs
// one script at a time) for long.
constexpr size_t kChunk = 100;
// Enqueue script calls sent together (pipelined) before their replies are read.
constexpr size_t kWindow = 16;
// Tasks each maintain() duty handles per script call, and ids list() looks at per call.
constexpr int kBudget = 1000;

Status Malformed(std::string_view what) {
  return Status(StatusCode::kInternal, "redis: unexpected reply to " + std::string(what));
}

// A flat field/value array (HGETALL) as Fields.
Fields ToFields(const Reply& r) {
  Fields out;
  out.reserve(r.elements.size() / 2);
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    out.emplace_back(r.elements[i].str, r.elements[i + 1].str);
  }
  return out;
}

Result<Task> ToTask(const Reply& r) {
  if (r.type != Reply::Type::kArray) return Malformed("a task");
  return DecodeTask(ToFields(r));
}

// The id field of a task's hash, for naming one that cannot be decoded ("?" when it has none).
std::string IdOf(const Reply& r) {
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    if (r.elements[i].str == "id") return r.elements[i + 1].str;
  }
  return "?";
}

// An integer element of an array reply, or -1.
int64_t IntAt(const Reply& r, size_t i) {
  if (r.type != Reply::Type::kArray || i >= r.elements.size()) return -1;
  const Reply& e = r.elements[i];
  if (e.type == Reply::Type::kInteger) return e.integer;
  int64_t v = -1;
  std::from_chars(e.str.data(), e.str.data() + e.str.size(), v);
  return v;
}

std::string StrAt(const Reply& r, size_t i) {
  if (r.type != Reply::Type::kArray || i >= r.elements.size()) return "";
  return r.elements[i].str;
}

std::string StateName(const std::string& digit) {
  int s = digit.empty() ? -1 : digit[0] - '0';
  if (s < 0 || s > static_cast<int>(TaskState::kExpired)) return "unknown";
  return std::string(TaskStateName(static_cast<TaskState>(s)));
}

Status LeaseStatus(int64_t code, const TaskId& id) {
  switch (code) {
    case kCodeOk:
      return Status();
    case kCodeNotFound:
      return NotFound("task " + id + " not found");
    case kCodeStale:
      return Aborted("stale lease token for task " + id +
                     ": the lease expired and the task was claimed again, or the attempt was "
                     "already settled");
    case kCodeCancelled:
      return Status(StatusCode::kCancelled, "task " + id + " was cancelled");
    default:
      return Malformed("a settle of task " + id);
  }
}

// The enqueue script's ARGV (scripts.cc) for `chunk`.
std::vector<std::string> EnqueueArgs(const std::string& prefix, TimePoint now,
                                     std::optional<uint64_t> fence,
                                     std::span<const TaskSpec> chunk) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  std::vector<std::string> args = {prefix, T8(now), std::to_string(ms.count()),
                                   std::to_string(chunk.size()),
                                   fence ? std::to_string(*fence) : ""};
  for (const TaskSpec& spec : chunk) {
    args.push_back(spec.queue);
    args.push_back(spec.run_at && *spec.run_at > now ? T8(*spec.run_at) : "");
    args.push_back(spec.unique_key);
    args.push_back(!spec.unique_key.empty() && spec.unique_ttl > Duration::zero()
                       ? T8(SaturatingAdd(now, spec.unique_ttl))
                       : "");
    args.push_back(spec.schedule_id);
    args.push_back(spec.tick_due ? T8(*spec.tick_due) : "");
    Fields fields = SpecFields(spec);
    args.push_back(std::to_string(fields.size()));
    for (auto& [f, v] : fields) {
      args.push_back(std::move(f));
      args.push_back(std::move(v));
    }
  }
  return args;
}

std::string DoubleText(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

}  // namespace

RedisStore::RedisStore(const RedisStoreOptions& options, ConnectOptions connect, Scripts scripts,
                       std::unique_ptr<WakeListener> listener)
    : clock_(options.clock ? *options.clock : RealClock()),
      retention_(options.retention),
      prefix_(options.prefix),
      pool_(std::move(connect)),
      scripts_(std::move(scripts)),
      listener_(std::move(listener)),
      on_damaged_row_(options.on_damaged_row) {}

void RedisStore::report_damaged(const std::string& what, const Status& why) {
  {
    std::lock_guard lock(damaged_mu_);
    if (!damaged_.insert(what).second) return;
  }
  if (on_damaged_row_) {
    on_damaged_row_(
        Status(StatusCode::kInternal,
               "redis store: " + what + " cannot be read (left as it is): " + why.message()));
  }
}

int64_t RedisStore::damaged_rows() {
  std::lock_guard lock(damaged_mu_);
  return static_cast<int64_t>(damaged_.size());
}

Status RedisStore::run_on_existing(Script script, std::vector<std::string> args,
                                   const std::string& what) {
  Result<Reply> r = run(script, clock_.now(), std::move(args));
  if (!r.ok()) return r.status();
  if (r->integer == kCodeNotFound) return NotFound(what + " not found");
  return Status();
}

Result<Reply> RedisStore::run(Script script, TimePoint now, std::vector<std::string> args) {
  Result<ConnectionPool::Handle> conn = pool_.acquire();
  if (!conn.ok()) return conn.status();
  args.insert(args.begin(), {prefix_, T8(now)});
  return scripts_.Run(**conn, script, args);
}

Result<std::vector<EnqueueResult>> RedisStore::enqueue(std::span<const TaskSpec> specs) {
  return enqueue_chunks(specs, std::nullopt);
}

Result<std::vector<EnqueueResult>> RedisStore::enqueue_as_leader(std::span<const TaskSpec> specs,
                                                                 uint64_t term) {
  return enqueue_chunks(specs, term);
}

Result<std::vector<EnqueueResult>> RedisStore::enqueue_chunks(std::span<const TaskSpec> specs,
                                                              std::optional<uint64_t> fence) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (Status s = ValidateTaskSpec(specs[i]); !s.ok()) {
      return InvalidArgument("tasks[" + std::to_string(i) + "]." + s.field(), s.message());
    }
  }
  std::vector<EnqueueResult> out;
  out.reserve(specs.size());
  Result<ConnectionPool::Handle> conn = pool_.acquire();
  if (!conn.ok()) return conn.status();
  // Each chunk is one script call, atomic as a whole; the batch is not (as in the other
  // backends, each task is). The calls of a window are pipelined: one round trip, and Redis
  // runs the next call while this process reads the last one's reply.
  for (size_t window = 0; window < specs.size(); window += kChunk * kWindow) {
    const TimePoint now = clock_.now();
    std::vector<std::vector<std::string>> calls;
    for (size_t from = window; from < specs.size() && from < window + kChunk * kWindow;
         from += kChunk) {
      calls.push_back(EnqueueArgs(prefix_, now, fence,
                                  specs.subspan(from, std::min(kChunk, specs.size() - from))));
    }
    std::vector<Result<Reply>> replies = scripts_.RunAll(**conn, Script::kEnqueue, calls);
    for (size_t c = 0; c < replies.size(); ++c) {
      Result<Reply>& r = replies[c];
      if (!r.ok()) return r.status();
      if (r->type == Reply::Type::kInteger) {
        return Aborted("fenced: leadership term " + std::to_string(r->integer) +
                       " is newer than this leader's term " + std::to_string(fence.value_or(0)) +
                       "; nothing more was enqueued");
      }
      const size_t size = std::min(kChunk, specs.size() - window - c * kChunk);
      if (r->elements.size() != 2 * size) return Malformed("enqueue");
      for (size_t i = 0; i < size; ++i) {
        out.push_back(EnqueueResult{r->elements[2 * i].str, r->elements[2 * i + 1].str == "1"});
      }
    }
  }
  return out;
}

Result<std::vector<Lease>> RedisStore::claim(const ClaimRequest& request) {
  if (request.max_tasks < 1) return InvalidArgument("max_tasks", "must be at least 1");
  if (request.lease <= Duration::zero()) return InvalidArgument("lease", "must be positive");
  std::vector<Lease> out;
  if (request.queues.empty()) return out;
  const TimePoint now = clock_.now();
  const TimePoint expires = SaturatingAdd(now, request.lease);
  std::vector<std::string> args = {request.worker, std::to_string(request.max_tasks), T8(expires)};
  args.insert(args.end(), request.queues.begin(), request.queues.end());
  Result<Reply> r = run(Script::kClaim, now, std::move(args));
  if (!r.ok()) return r.status();
  out.reserve(r->elements.size());
  for (const Reply& e : r->elements) {
    Result<Task> task = ToTask(e);
    if (!task.ok()) return task.status();
    uint64_t token = task->lease_token;
    out.push_back(Lease{std::move(task).value(), token, expires});
  }
  // A full batch may have left work behind: wake the next local waiter of that queue (a short
  // one means every queue asked was emptied or held back by its limits).
  if (out.size() == static_cast<size_t>(request.max_tasks)) {
    listener_->pass_on(out.back().task.spec.queue);
  }
  return out;
}

void RedisStore::wait_for_work(const std::vector<std::string>& queues, TimePoint until,
                               std::stop_token stop) {
  if (stop.stop_requested()) return;
  // The epoch is read before Redis is checked: a publish after the check moves it, so the
  // wait below cannot miss work that arrives in between.
  const uint64_t seen = listener_->epoch();
  const TimePoint now = clock_.now();
  if (until <= now) return;
  Result<Reply> r = run(Script::kProbe, now, queues);
  if (!r.ok()) {
    // Redis is unreachable: return after a short real-time pause (a spurious return), so the
    // caller's claim() reports the error instead of this call hiding it.
    std::this_thread::sleep_for(100ms);
    return;
  }
  if (IntAt(*r, 0) == 1) return;
  TimePoint wake = until;
  if (std::optional<int64_t> earliest = FromT8(StrAt(*r, 1))) {
    wake = std::min(wake, TimePoint(Duration(*earliest)));
  }
  if (std::string seconds = StrAt(*r, 2); !seconds.empty()) {
    double s = 0;
    std::from_chars(seconds.data(), seconds.data() + seconds.size(), s);
    wake = std::min(wake, SaturatingAdd(now, ClampedSeconds(s)));
  }
  if (wake <= now) return;
  listener_->wait(seen, queues, wake, stop);
}

Result<TimePoint> RedisStore::heartbeat(const TaskId& id, uint64_t token, Duration lease) {
  if (lease <= Duration::zero()) return InvalidArgument("lease", "must be positive");
  const TimePoint now = clock_.now();
  const TimePoint expires = SaturatingAdd(now, lease);
  Result<Reply> r = run(Script::kHeartbeat, now, {id, std::to_string(token), T8(expires)});
  if (!r.ok()) return r.status();
  if (Status s = LeaseStatus(r->integer, id); !s.ok()) return s;
  return expires;
}

Status RedisStore::complete(const TaskId& id, uint64_t token, std::string result) {
  Completion item{id, token, std::move(result)};
  return complete_batch(std::span<Completion>(&item, 1)).front();
}

std::vector<Status> RedisStore::complete_batch(std::span<Completion> items) {
  std::vector<Status> out;
  out.reserve(items.size());
  for (size_t from = 0; from < items.size(); from += kChunk) {
    std::span<Completion> chunk = items.subspan(from, std::min(kChunk, items.size() - from));
    std::vector<std::string> args = {std::to_string(chunk.size())};
    for (Completion& c : chunk) {
      args.push_back(c.id);
      args.push_back(std::to_string(c.token));
      args.push_back(std::move(c.result));
    }
    Result<Reply> r = run(Script::kComplete, clock_.now(), std::move(args));
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (!r.ok()) {
        out.push_back(r.status());
      } else {
        out.push_back(LeaseStatus(IntAt(*r, i), chunk[i].id));
      }
    }
  }
  return out;
}

Result<TaskState> RedisStore::fail(const TaskId& id, uint64_t token, std::string error,
                                   const FailOptions& options) {
  const TimePoint now = clock_.now();
  std::string retry_at =
      options.retry_at && *options.retry_at > now ? T8(*options.retry_at) : std::string();
  Result<Reply> r = run(Script::kFail, now,
                        {id, std::to_string(token), std::move(error), options.permanent ? "1" : "0",
                         std::move(retry_at)});
  if (!r.ok()) return r.status();
  if (Status s = LeaseStatus(IntAt(*r, 0), id); !s.ok()) return s;
  std::string state = StrAt(*r, 1);
  if (state.size() != 1) return Malformed("fail");
  return static_cast<TaskState>(state[0] - '0');
}

Status RedisStore::yield(const TaskId& id, uint64_t token, std::string checkpoint) {
  Result<Reply> r =
      run(Script::kYield, clock_.now(), {id, std::to_string(token), std::move(checkpoint)});
  if (!r.ok()) return r.status();
  return LeaseStatus(r->integer, id);
}

Status RedisStore::cancel(const TaskId& id) {
  Result<Reply> r = run(Script::kCancel, clock_.now(), {id});
  if (!r.ok()) return r.status();
  switch (IntAt(*r, 0)) {
    case kCodeOk:
      return Status();
    case kCodeNotFound:
      return NotFound("task " + id + " not found");
    case kCodeWrongState:
      return FailedPrecondition("task " + id + " is already " + StateName(StrAt(*r, 1)));
    default:
      return Malformed("cancel");
  }
}

Status RedisStore::retry(const TaskId& id) {
  Result<Reply> r = run(Script::kRetry, clock_.now(), {id});
  if (!r.ok()) return r.status();
  switch (IntAt(*r, 0)) {
    case kCodeOk:
      return Status();
    case kCodeNotFound:
      return NotFound("task " + id + " not found");
    case kCodeWrongState:
      return FailedPrecondition("only dead, cancelled or expired tasks can be retried; task " + id +
                                " is " + StateName(StrAt(*r, 1)));
    default:
      return Malformed("retry");
  }
}

Result<Task> RedisStore::get(const TaskId& id) {
  Result<ConnectionPool::Handle> conn = pool_.acquire();
  if (!conn.ok()) return conn.status();
  Result<Reply> r = (*conn)->command({"HGETALL", Key(prefix_, "task", id)});
  if (!r.ok()) return r.status();
  if (r->type != Reply::Type::kArray) return Malformed("HGETALL");
  if (r->elements.empty()) return NotFound("task " + id + " not found");
  Result<Task> task = ToTask(*r);
  if (!task.ok()) {
    report_damaged("task " + id, task.status());
    return Status(StatusCode::kInternal,
                  "task " + id + " is stored but cannot be read: " + task.status().message());
  }
  return task;
}

Status RedisStore::ping() {
  Result<ConnectionPool::Handle> conn = pool_.acquire();
  if (!conn.ok()) return conn.status();
  Result<Reply> r = (*conn)->command({"PING"});
  if (!r.ok()) return r.status();
  if (r->is_error()) return Status(StatusCode::kUnavailable, "redis answered PING: " + r->str);
  return Status();
}

Result<TaskPage> RedisStore::list(const TaskFilter& filter, const PageRequest& page) {
  if (page.limit < 1 || page.limit > 10'000) {
    return InvalidArgument("limit", "must be between 1 and 10000");
  }
  const size_t limit = static_cast<size_t>(page.limit);
  std::string state = filter.state ? std::to_string(static_cast<int>(*filter.state)) : "";
  std::vector<Task> hits;
  std::string after = page.after;
  // One more than the page, to know whether another page follows.
  while (hits.size() <= limit) {
    Result<Reply> r = run(Script::kList, clock_.now(),
                          {after, std::to_string(limit + 1 - hits.size()), std::to_string(kBudget),
                           state, filter.queue, filter.type, filter.label_key, filter.label_value});
    if (!r.ok()) return r.status();
    if (r->elements.size() != 3) return Malformed("list");
    for (const Reply& e : r->elements[0].elements) {
      Result<Task> task = ToTask(e);
      if (!task.ok()) {
        report_damaged("task " + IdOf(e), task.status());
        continue;
      }
      hits.push_back(std::move(task).value());
    }
    std::string last = r->elements[1].str;
    if (r->elements[2].str == "1" || last.empty()) break;
    after = std::move(last);
  }
  TaskPage out;
  if (hits.size() > limit) {
    hits.resize(limit);
    out.next = hits.back().id;
  }
  out.tasks = std::move(hits);
  return out;
}

Status RedisStore::set_queue(const std::string& name, const QueueConfig& config) {
  if (Status s = ValidateName(name, "queue"); !s.ok()) return s;
  if (Status s = ValidateQueueConfig(config); !s.ok()) return s;
  Result<Reply> r = run(Script::kSetQueue, clock_.now(),
                        {name, std::to_string(static_cast<int>(config.policy)),
                         config.aging_step > Duration::zero() ? T8(config.aging_step) : "",
                         std::to_string(config.concurrency), DoubleText(config.rate),
                         std::to_string(config.burst), std::to_string(config.weight)});
  return r.status();
}

Status RedisStore::pause_queue(const std::string& name, bool paused) {
  return run_on_existing(Script::kPauseQueue, {name, paused ? "1" : "0"}, "queue " + name);
}

Result<std::vector<QueueInfo>> RedisStore::queues() {
  Result<Reply> r = run(Script::kQueues, clock_.now(), {});
  if (!r.ok()) return r.status();
  std::vector<QueueInfo> out;
  for (const Reply& e : r->elements) {
    if (e.elements.size() != 2) return Malformed("queues");
    Result<QueueInfo> q = DecodeQueue(e.elements[0].str, ToFields(e.elements[1]));
    if (!q.ok()) return q.status();
    out.push_back(std::move(q).value());
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

Status RedisStore::put_schedule(const ScheduleSpec& spec) {
  if (Status s = ValidateScheduleSpec(spec); !s.ok()) return s;
  // The payload is kept beside the JSON, byte for byte (JSON holds only UTF-8 text).
  ScheduleSpec without_payload = spec;
  without_payload.task.payload.clear();
  Result<Reply> r =
      run(Script::kPutSchedule, clock_.now(),
          {spec.id, codec::ScheduleSpecToJson(without_payload).dump(), spec.task.payload});
  return r.status();
}

Status RedisStore::remove_schedule(const std::string& id) {
  return run_on_existing(Script::kRemoveSchedule, {id}, "schedule " + id);
}

Result<std::vector<StoredSchedule>> RedisStore::list_schedules() {
  Result<Reply> r = run(Script::kListSchedules, clock_.now(), {});
  if (!r.ok()) return r.status();
  std::vector<StoredSchedule> out;
  for (const Reply& e : r->elements) {
    if (e.elements.size() != 4) return Malformed("list_schedules");
    // A schedule that cannot be read is skipped (and reported): the others still tick.
    codec::Json json = codec::ParseBoundedJson(e.elements[1].str);
    if (json.is_discarded()) {
      report_damaged(
          "schedule " + e.elements[0].str,
          Status(StatusCode::kInternal, "its definition is not JSON (or nests too deep)"));
      continue;
    }
    Result<ScheduleSpec> spec = codec::ScheduleSpecFromJson(json);
    if (!spec.ok()) {
      report_damaged("schedule " + e.elements[0].str, spec.status());
      continue;
    }
    StoredSchedule s{std::move(spec).value(), std::nullopt};
    s.spec.task.payload = e.elements[2].str;
    if (std::optional<int64_t> due = FromT8(e.elements[3].str)) {
      s.last_due = TimePoint(Duration(*due));
    }
    out.push_back(std::move(s));
  }
  return out;
}

Status RedisStore::advance_schedule(const std::string& id, TimePoint due) {
  return run_on_existing(Script::kAdvanceSchedule, {id, T8(due)}, "schedule " + id);
}

Result<MaintenanceReport> RedisStore::maintain() {
  MaintenanceReport report;
  const TimePoint now = clock_.now();
  // Each call handles a bounded number of tasks per duty, so Redis serves others in between.
  for (;;) {
    Result<Reply> r = run(Script::kMaintain, now,
                          {std::to_string(kBudget), std::to_string(retention_.max_count),
                           T8(now - retention_.max_age)});
    if (!r.ok()) return r.status();
    if (r->elements.size() != 6) return Malformed("maintain");
    report.promoted += IntAt(*r, 0);
    report.recovered += IntAt(*r, 1);
    report.quarantined += IntAt(*r, 2);
    report.expired += IntAt(*r, 3);
    report.deleted += IntAt(*r, 4);
    if (IntAt(*r, 5) != 1) return report;
  }
}

}  // namespace taskly::redis
