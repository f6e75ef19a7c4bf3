#include "store/memory/record.h"

#include <cstring>
#include <string_view>

namespace taskly::memory {
namespace {

bool HasColdFields(const TaskSpec& s) {
  const Backoff defaults;
  return s.deadline || s.run_at || !s.unique_key.empty() || s.unique_ttl != Duration::zero() ||
         !s.labels.empty() || s.period != Duration::zero() || !s.schedule_id.empty() ||
         s.tick_due || s.backoff.initial != defaults.initial || s.backoff.cap != defaults.cap ||
         s.backoff.multiplier != defaults.multiplier;
}

// Copies `from` into `to`, over its bytes when it has that size already: a reused lease's id,
// type, queue and worker usually do, and this skips std::string's general assignment.
void CopyInto(std::string& to, std::string_view from) {
  if (to.size() == from.size()) {
    std::memcpy(to.data(), from.data(), from.size());
  } else {
    to.assign(from);
  }
}

}  // namespace

const std::string& Record::unique_key() const {
  static const std::string kNone;
  return cold ? cold->unique_key : kNone;
}

Cold& Record::mutable_cold() {
  if (!cold) cold = std::make_unique<Cold>();
  return *cold;
}

void Record::set_cold(std::string Cold::*field, std::string&& value) {
  if (value.empty() && !cold) return;
  mutable_cold().*field = std::move(value);
}

void SetSpec(Record& r, const TaskSpec& spec, const std::string* type, QueueState* queue) {
  r.type = type;
  r.queue = queue;
  r.payload = spec.payload;
  r.priority = spec.priority;
  r.timeout = spec.timeout;
  r.max_attempts = spec.max_attempts;
  if (!HasColdFields(spec)) return;
  Cold& c = r.mutable_cold();
  c.deadline = spec.deadline;
  c.backoff = spec.backoff;
  c.run_at = spec.run_at;
  c.unique_key = spec.unique_key;
  c.unique_ttl = spec.unique_ttl;
  c.labels = spec.labels;
  c.period = spec.period;
  c.schedule_id = spec.schedule_id;
  c.tick_due = spec.tick_due;
}

Task ToTask(const Record& r, const std::string& queue_name) {
  Task t;
  FillTask(r, queue_name, t);
  return t;
}

void FillTask(const Record& r, const std::string& queue_name, Task& t) {
  CopyInto(t.id, r.id_view());
  CopyInto(t.spec.type, *r.type);
  CopyInto(t.spec.payload, r.payload);
  CopyInto(t.spec.queue, queue_name);
  t.spec.priority = r.priority;
  t.spec.timeout = r.timeout;
  t.spec.max_attempts = r.max_attempts;
  t.state = r.state;
  t.seq = r.seq;
  t.attempts = r.attempts;
  t.lease_token = r.lease_token();
  t.enqueued_at = r.enqueued_at;
  t.ready_at = r.ready_at;
  t.scheduled_for = Optional(r.scheduled_for);
  t.started_at = Optional(r.started_at);
  t.finished_at = Optional(r.finished_at);
  if (r.worker != nullptr) {
    CopyInto(t.worker, *r.worker);
  } else {
    t.worker.clear();
  }
  if (const Cold* c = r.cold.get()) {
    t.spec.deadline = c->deadline;
    t.spec.backoff = c->backoff;
    t.spec.run_at = c->run_at;
    t.spec.unique_key = c->unique_key;
    t.spec.unique_ttl = c->unique_ttl;
    t.spec.labels = c->labels;
    t.spec.period = c->period;
    t.spec.schedule_id = c->schedule_id;
    t.spec.tick_due = c->tick_due;
    t.checkpoint = c->checkpoint;
    t.result = c->result;
    t.last_error = c->last_error;
  } else {
    // Every cold field at its default: `t` may be a reused Task.
    t.spec.deadline.reset();
    t.spec.backoff = Backoff();
    t.spec.run_at.reset();
    t.spec.unique_key.clear();
    t.spec.unique_ttl = Duration::zero();
    t.spec.labels.clear();
    t.spec.period = Duration::zero();
    t.spec.schedule_id.clear();
    t.spec.tick_due.reset();
    t.checkpoint.clear();
    t.result.clear();
    t.last_error.clear();
  }
}

}  // namespace taskly::memory
