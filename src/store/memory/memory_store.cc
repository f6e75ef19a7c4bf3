// The in-memory Store: every task is a Record in a slot of fixed-size chunks, found by id through
// a table indexed by the id's counter; each state keeps the indexes it needs (ready sets per
// queue in policy order, due times of scheduled tasks, lease expiries, deadlines, terminal tasks
// in finish order). Every transition goes through unindex(), a change of fields, and index(), so
// the indexes can never disagree with the records.
//
// One mutex (mu_) guards the records and indexes; the schedules have their own. Claimers waiting
// for work sleep on one condition variable through the injected Clock, so a SimulatedClock wakes
// them when it is advanced.

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <new>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/equal_short.h"
#include "core/saturating.h"
#include "core/token_bucket.h"
#include "store/memory/huge_page_array.h"
#include "store/memory/lazy_queue.h"
#include "store/memory/record.h"
#include "store/memory/segmented_queue.h"
#include "store/memory/spinning_mutex.h"
#include "store/memory/zeroed_array.h"
#include "store/schedule_table.h"
#include "store/task_id.h"
#include "taskly/store.h"

namespace taskly {
namespace memory {

constexpr size_t kStates = 7;
// How many deletions ahead apply_retention() fetches a terminal record.
constexpr size_t kRetentionPrefetch = 4;
// How many claims ahead a claim fetches a pending record.
constexpr size_t kClaimPrefetch = 4;

struct QueueState {
  std::string name;
  QueueConfig config;
  bool paused = false;
  // Pending tasks by OrderKey. Its live entries are exactly the pending tasks (see ReadyLive).
  LazyQueue<OrderKey, Record> ready;
  std::array<int64_t, kStates> counts{};
  int64_t deadline_misses = 0;
  TokenBucket bucket;

  bool has_ready() const { return counts[static_cast<size_t>(TaskState::kPending)] > 0; }
  bool at_limit() const {
    return config.concurrency > 0 &&
           counts[static_cast<size_t>(TaskState::kActive)] >= config.concurrency;
  }
};

}  // namespace memory

namespace {

using memory::Cold;
using memory::kNever;
using memory::LazyQueue;
using memory::QueueState;
using memory::Record;
using ByTime = std::set<std::pair<TimePoint, Record*>>;

// An entry of a ready set stands for its record while the record is pending with the entry's
// seq. A seq is unique in the store (a reused slot never matches), and a record keeps its seq
// only when it becomes pending again after a claim, which popped its entry; so a pending record
// has exactly one entry with its seq, whatever its key, and the record need not keep the key.
bool ReadyLive(const LazyQueue<OrderKey, Record>::Entry& e) {
  return e.value->live() && e.value->state == TaskState::kPending && e.value->seq == e.key.seq;
}

struct LeaseKey {
  TimePoint expires;
  uint64_t token;
  bool operator<(const LeaseKey& o) const { return expires < o.expires; }
};

// An entry of the lease queue stands for the lease its record holds now.
bool LeaseLive(const LazyQueue<LeaseKey, Record>::Entry& e) {
  return e.value->live() && e.value->state == TaskState::kActive &&
         e.value->lease_expires == e.key.expires && e.value->lease_token() == e.key.token;
}

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(const MemoryStoreOptions& options)
      : clock_(options.clock ? *options.clock : RealClock()), retention_(options.retention) {}

  Result<std::vector<EnqueueResult>> enqueue(std::span<const TaskSpec> specs) override;
  Result<EnqueueResult> enqueue_one(const TaskSpec& spec) override;
  Result<std::vector<Lease>> claim(const ClaimRequest& request) override;
  void wait_for_work(const std::vector<std::string>& queues, TimePoint until,
                     std::stop_token stop) override;
  Result<TimePoint> heartbeat(const TaskId& id, uint64_t token, Duration lease) override;
  Status complete(const TaskId& id, uint64_t token, std::string result) override;
  std::vector<Status> complete_batch(std::span<Completion> items) override;
  Status complete_and_claim(std::span<Completion> done, std::vector<Status>& statuses,
                            const ClaimRequest& request, std::vector<Lease>& leases) override;
  Result<TaskState> fail(const TaskId& id, uint64_t token, std::string error,
                         const FailOptions& options) override;
  Status yield(const TaskId& id, uint64_t token, std::string checkpoint) override;
  Status cancel(const TaskId& id) override;
  Status retry(const TaskId& id) override;
  Result<Task> get(const TaskId& id) override;
  Result<TaskPage> list(const TaskFilter& filter, const PageRequest& page) override;
  Status set_queue(const std::string& name, const QueueConfig& config) override;
  Status pause_queue(const std::string& name, bool paused) override;
  Result<std::vector<QueueInfo>> queues() override;
  Result<MaintenanceReport> maintain() override;
  Status put_schedule(const ScheduleSpec& spec) override { return schedules_.put(spec); }
  Status remove_schedule(const std::string& id) override { return schedules_.remove(id); }
  Result<std::vector<StoredSchedule>> list_schedules() override { return schedules_.list(); }
  Status advance_schedule(const std::string& id, TimePoint due) override {
    return schedules_.advance(id, due);
  }

 private:
  // All below REQUIRE mu_ held.
  QueueState& queue(const std::string& name, TimePoint now);
  // The one copy of a type or worker name (they are few, and every record refers to one).
  const std::string* intern(const std::string& name);
  OrderKey order_key(const QueueConfig& config, const Record& r) const {
    // FIFO, the default, orders by seq alone (as MakeOrderKey does): no other field is read.
    if (config.policy == OrderingPolicy::kFifo) return {0, 0, r.seq};
    return MakeOrderKey(config, memory::OrderFieldsOf(r));
  }
  void index(Record& r);
  void unindex(Record& r);
  void set_state(Record& r, TaskState s, TimePoint now);
  void make_pending(Record& r, TimePoint now, bool new_seq);
  Record* find(const TaskId& id);
  void index_id(Record& r);
  void unindex_id(const Record& r);
  void grow_id_index();
  // An entry of by_counter_ for r: its counter, and its slot + 1 (0 is the empty entry).
  static uint64_t IdEntry(const Record& r) { return uint64_t{r.counter} << 32 | (r.slot + 1); }
  Record& at(uint32_t slot) { return (*records_[slot / kChunk])[slot % kChunk]; }
  Record& allocate();
  void release(Record& r);
  // The active record for (id, token), or the status a stale settle gets.
  Result<Record*> find_lease(const TaskId& id, uint64_t token);
  std::optional<EnqueueResult> duplicate_of(const TaskSpec& spec, TimePoint now);
  EnqueueResult enqueue_locked(const TaskSpec& spec, TimePoint now);
  // Takes `result` only if it succeeds (by reference: settles are per task, and each move of a
  // string is a dozen instructions under the lock).
  Status complete_locked(const TaskId& id, uint64_t token, std::string&& result, TimePoint now);
  // Claims into `out`, over the elements it has (then appended); returns how many it claimed.
  size_t claim_locked(const ClaimRequest& request, TimePoint now, std::vector<Lease>& out);
  void promote_due(TimePoint now, MaintenanceReport* report);
  void expire_deadlines(TimePoint now, MaintenanceReport* report);
  void expire(Record& r, TimePoint now);
  void recover_leases(TimePoint now, MaintenanceReport* report);
  void apply_retention(TimePoint now, MaintenanceReport* report);
  void erase(Record& r);
  bool claimable(const std::vector<std::string>& queues, TimePoint now, TimePoint* wake);
  void notify_work() {
    ++work_epoch_;
    // Most transitions happen while nobody waits: no futex call for them.
    if (waiters_ > 0) work_cv_.notify_all();
  }

  Clock& clock_;
  const RetentionPolicy retention_;

  memory::SpinningMutex mu_;
  std::condition_variable work_cv_;  // notified when work may have become claimable...
  uint64_t work_epoch_ = 0;          // ...which also bumps this; guarded by mu_
  int waiters_ = 0;                  // threads in wait_for_work(); guarded by mu_
  TaskIdGenerator ids_;              // guarded by mu_
  uint64_t next_seq_ = 0;            // guarded by mu_
  uint64_t next_finish_ = 0;         // guarded by mu_
  // Records live in fixed chunks (stable addresses, few allocations); slots freed by retention
  // are reused. by_counter_ finds a slot by id (below). A lease token is (slot << 32 | claims of
  // that task), so settling a lease finds its record without hashing the id, and tokens of one task
  // still increase with every claim.
  static constexpr uint32_t kChunk = (uint32_t{4} << 20) / sizeof(Record);  // in 4 MiB
  using Chunk = HugePageArray<Record, kChunk>;
  std::vector<std::unique_ptr<Chunk>> records_;  // guarded by mu_
  // The next chunk, made ready (its pages touched) outside mu_ ahead of need: the first touch
  // of 4 MiB costs milliseconds on a VM, and under mu_ every claimer and settler would wait for
  // it. Enqueuers ask for it (kChunkWanted) early (see after_enqueue()); the first claimer to
  // see the request takes it on (kChunkMaking), makes the chunk and keeps it as the spare. A
  // bulk enqueue is bounded by the producer's own time, while the workers keeping up with it
  // have time to spare, so the page touches go to a claimer. Enqueuers make it themselves only
  // when no claimer has within the last sixteenth of the chunk (kChunkUrgent): a store may have
  // no claimers at all.
  // The first chunk is not made ahead: a store that holds a few tasks touches a few pages.
  std::unique_ptr<Chunk> spare_chunk_;  // guarded by mu_
  enum ChunkRequest : int { kChunkNone, kChunkWanted, kChunkUrgent, kChunkMaking };
  std::atomic<int> chunk_request_{kChunkNone};
  // Outside mu_: makes and keeps the next chunk, if one is wanted (by a claimer) or urgent (by
  // anyone) and nobody else is on it.
  void make_chunk_if_wanted(bool claimer);
  // REQUIRES mu_: asks for a spare chunk when one is due, and wakes claimers.
  void after_enqueue();
  std::vector<uint32_t> free_slots_;  // guarded by mu_
  uint32_t next_slot_ = 0;            // guarded by mu_
  // Finding a record by id without hashing: ids carry a counter that grows by one per id, so
  // live ids map to slots through a direct-mapped table indexed by counter modulo its size
  // (kept at least twice the live count). An id whose entry is taken by a newer one moves to
  // overflow_; it only happens to tasks that live while the table's size in newer ids arrive.
  // Entries carry their counter (IdEntry()), so doubling the table moves entries without reading
  // a single record (a walk of every record under the lock would stall every claimer).
  memory::ZeroedArray<uint64_t> by_counter_;            // guarded by mu_
  std::unordered_map<TaskId, uint32_t> overflow_;       // guarded by mu_
  size_t live_ = 0;                                     // guarded by mu_
  std::unordered_map<std::string, QueueState> queues_;  // guarded by mu_; never shrinks
  QueueState* last_queue_ = nullptr;    // the last queue looked up: usually the next one too
  ByTime scheduled_;                    // by scheduled_for
  LazyQueue<LeaseKey, Record> leases_;  // by lease expiry
  size_t active_ = 0;                   // tasks active now
  ByTime deadlines_;                    // scheduled/pending by deadline
  // Terminal tasks in finish order. Entries go stale when a task leaves the terminal state
  // (retry); a stale entry is recognised by its finish_seq and skipped. A record is deleted only
  // through its newest entry, and its stale entries come before it, so none ever dangles.
  struct Finished {
    uint64_t seq;  // the record's finish_seq when it finished
    Record* record;
  };
  memory::SegmentedQueue<Finished> terminal_;
  int64_t terminal_count_ = 0;
  std::unordered_map<std::string, Record*> unique_;  // unique_key -> newest holder
  // schedule id -> (latest tick due enqueued, that tick's task id)
  std::unordered_map<std::string, std::pair<TimePoint, TaskId>> ticks_;
  std::unordered_set<std::string> names_;   // interned type and worker names
  const std::string* last_name_ = nullptr;  // the last name interned: usually the next one too
  ScheduleTable schedules_;                 // its own lock
};

QueueState& MemoryStore::queue(const std::string& name, TimePoint now) {
  if (last_queue_ != nullptr && EqualShort(last_queue_->name, name)) return *last_queue_;
  auto [it, inserted] = queues_.try_emplace(name);
  last_queue_ = &it->second;
  if (inserted) {
    it->second.name = name;
    it->second.bucket.configure(0, 0, now);
  }
  return it->second;
}

const std::string* MemoryStore::intern(const std::string& name) {
  if (last_name_ == nullptr || !EqualShort(*last_name_, name)) {
    last_name_ = &*names_.insert(name).first;
  }
  return last_name_;
}

void MemoryStore::index(Record& r) {
  QueueState& q = *r.queue;
  q.counts[static_cast<size_t>(r.state)]++;
  switch (r.state) {
    case TaskState::kPending:
      q.ready.push(order_key(q.config, r), &r);
      q.ready.compact_if_sparse(static_cast<size_t>(q.counts[static_cast<size_t>(r.state)]),
                                ReadyLive);
      if (auto d = r.deadline()) deadlines_.emplace(*d, &r);
      break;
    case TaskState::kScheduled:
      scheduled_.emplace(r.scheduled_for, &r);
      if (auto d = r.deadline()) deadlines_.emplace(*d, &r);
      break;
    case TaskState::kActive:
      leases_.push({r.lease_expires, r.lease_token()}, &r);
      leases_.compact_if_sparse(++active_, LeaseLive);
      break;
    default:
      r.finish_seq = ++next_finish_;
      terminal_.push_back({r.finish_seq, &r});
      terminal_count_++;
  }
}

void MemoryStore::unindex(Record& r) {
  QueueState& q = *r.queue;
  q.counts[static_cast<size_t>(r.state)]--;
  switch (r.state) {
    case TaskState::kPending:
      // Its entry in q.ready goes stale by itself.
      if (auto d = r.deadline()) deadlines_.erase({*d, &r});
      break;
    case TaskState::kScheduled:
      scheduled_.erase({r.scheduled_for, &r});
      if (auto d = r.deadline()) deadlines_.erase({*d, &r});
      break;
    case TaskState::kActive:
      active_--;  // its entry in leases_ goes stale by itself
      break;
    default:
      r.finish_seq = 0;  // its entry in terminal_ is stale from now on
      terminal_count_--;
  }
}

// Moves r (already unindexed) to state s and indexes it there.
void MemoryStore::set_state(Record& r, TaskState s, TimePoint now) {
  r.state = s;
  r.finished_at = IsTerminal(s) ? now : kNever;
  if (s != TaskState::kScheduled) r.scheduled_for = kNever;
  index(r);
  // Work may have become claimable: a task became ready, or an active slot was freed.
  notify_work();
}

void MemoryStore::make_pending(Record& r, TimePoint now, bool new_seq) {
  if (new_seq) r.seq = ++next_seq_;
  r.ready_at = now;
  set_state(r, TaskState::kPending, now);
}

Record* MemoryStore::find(const TaskId& id) {
  std::optional<uint32_t> counter = TaskIdGenerator::CounterOf(id);
  if (!counter || by_counter_.empty()) return nullptr;
  if (uint64_t e = by_counter_[*counter & (by_counter_.size() - 1)]; e >> 32 == *counter) {
    Record& r = at(static_cast<uint32_t>(e) - 1);
    if (r.has_id(id)) return &r;
  }
  if (overflow_.empty()) return nullptr;
  auto it = overflow_.find(id);
  return it == overflow_.end() ? nullptr : &at(it->second);
}

// REQUIRES: r is live and has its id.
void MemoryStore::index_id(Record& r) {
  if (2 * (live_ + 1) > by_counter_.size()) grow_id_index();
  // The newest id takes the table entry; the one it displaces moves to overflow_.
  uint64_t& e = by_counter_[r.counter & (by_counter_.size() - 1)];
  if (e != 0) {
    const Record& displaced = at(static_cast<uint32_t>(e) - 1);
    overflow_.emplace(displaced.id_view(), displaced.slot);
  }
  e = IdEntry(r);
  live_++;
}

void MemoryStore::unindex_id(const Record& r) {
  uint64_t& e = by_counter_[r.counter & (by_counter_.size() - 1)];
  if (e == IdEntry(r)) {
    e = 0;
  } else {
    overflow_.erase(TaskId(r.id_view()));
  }
  live_--;
}

// Doubles the table. Entries at distinct indexes modulo the old size stay distinct modulo the
// new one, so none collide; ids in overflow_ stay there until they are settled.
void MemoryStore::grow_id_index() {
  memory::ZeroedArray<uint64_t> grown(std::max<size_t>(1024, by_counter_.size() * 2));
  for (uint64_t e : by_counter_) {
    if (e != 0) grown[(e >> 32) & (grown.size() - 1)] = e;
  }
  by_counter_ = std::move(grown);
}

Record& MemoryStore::allocate() {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    at(slot) = Record{};  // release() left the fields of the task that was here
  } else {
    slot = next_slot_++;
    if (slot / kChunk == records_.size()) {
      records_.push_back(spare_chunk_ ? std::move(spare_chunk_) : std::make_unique<Chunk>());
    }
    records_.back()->construct_next();  // new slots are handed out in order within a chunk
  }
  Record& r = at(slot);
  r.slot = slot;
  return r;
}

// Frees what the task owns and marks the slot empty (see Record::live()); the other fields are
// reset when the slot is reused, as its cache lines are written then anyway. Retention deletes
// records long out of cache, and resetting the whole record here doubled the lines it wrote.
void MemoryStore::release(Record& r) {
  r.type = nullptr;
  std::string().swap(r.payload);
  r.cold.reset();
  free_slots_.push_back(r.slot);
}

Result<Record*> MemoryStore::find_lease(const TaskId& id, uint64_t token) {
  // Fast path: the token names the slot. Any mismatch falls back to the id, for the right error.
  uint64_t slot = token >> 32;
  Record* r = slot < next_slot_ ? &at(static_cast<uint32_t>(slot)) : nullptr;
  if (r == nullptr || !r->live() || !r->has_id(id)) r = find(id);
  if (r == nullptr) return NotFound("task " + id + " not found");
  if (r->lease_token() != token) {
    return Aborted("stale lease token for task " + id + ": it was claimed again");
  }
  if (r->state == TaskState::kCancelled) {
    return Status(StatusCode::kCancelled, "task " + id + " was cancelled");
  }
  if (r->state != TaskState::kActive) {
    return Aborted("lease of task " + id + " is no longer held (task is " +
                   std::string(TaskStateName(r->state)) + ")");
  }
  return r;
}

std::optional<EnqueueResult> MemoryStore::duplicate_of(const TaskSpec& spec, TimePoint now) {
  if (spec.tick_due) {
    auto it = ticks_.find(spec.schedule_id);
    if (it != ticks_.end() && *spec.tick_due <= it->second.first) {
      TaskId id = *spec.tick_due == it->second.first ? it->second.second : TaskId();
      if (!id.empty() && find(id) == nullptr) id.clear();
      return EnqueueResult{id, false};
    }
  }
  if (!spec.unique_key.empty()) {
    auto it = unique_.find(spec.unique_key);
    if (it != unique_.end()) {
      const Record& held = *it->second;  // has a unique key, so a Cold part
      bool live = held.cold->unique_ttl > Duration::zero()
                      ? now < SaturatingAdd(held.enqueued_at, held.cold->unique_ttl)
                      : !IsTerminal(held.state);
      if (live) return EnqueueResult{TaskId(held.id_view()), false};
    }
  }
  return std::nullopt;
}

Result<std::vector<EnqueueResult>> MemoryStore::enqueue(std::span<const TaskSpec> specs) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (Status s = ValidateTaskSpec(specs[i]); !s.ok()) {
      return InvalidArgument("tasks[" + std::to_string(i) + "]." + s.field(), s.message());
    }
  }
  std::vector<EnqueueResult> out;
  out.reserve(specs.size());
  // Each task is enqueued atomically, the batch is not: the lock is taken for a group of tasks
  // at a time, so claimers are not held up long behind a large batch. The group is large
  // because every hand-off of the lock between a producer and the workers may cost both a
  // futex call; it is bounded so that a claim waits at most one group's enqueues.
  constexpr size_t kGroup = 1024;
  for (size_t from = 0; from < specs.size(); from += kGroup) {
    make_chunk_if_wanted(/*claimer=*/false);
    std::lock_guard lock(mu_);
    TimePoint now = clock_.now();
    for (const TaskSpec& spec : specs.subspan(from, std::min(kGroup, specs.size() - from))) {
      out.push_back(enqueue_locked(spec, now));
    }
    after_enqueue();
  }
  return out;
}

// The batch's path without its vector, and validated once.
Result<EnqueueResult> MemoryStore::enqueue_one(const TaskSpec& spec) {
  if (Status s = ValidateTaskSpec(spec); !s.ok()) return s;
  make_chunk_if_wanted(/*claimer=*/false);
  std::lock_guard lock(mu_);
  EnqueueResult result = enqueue_locked(spec, clock_.now());
  after_enqueue();
  return result;
}

void MemoryStore::make_chunk_if_wanted(bool claimer) {
  int request = chunk_request_.load(std::memory_order_relaxed);
  if (!(request == kChunkUrgent || (claimer && request == kChunkWanted)) ||
      !chunk_request_.compare_exchange_strong(request, kChunkMaking, std::memory_order_relaxed)) {
    return;
  }
  std::unique_ptr<Chunk> chunk;
  try {
    chunk = std::make_unique<Chunk>();
  } catch (const std::bad_alloc&) {
    // Out of address space: allocate() makes the chunk when it is needed, and fails there.
    chunk_request_.store(kChunkNone, std::memory_order_relaxed);
    return;
  }
  chunk->prefault();
  std::lock_guard lock(mu_);
  spare_chunk_ = std::move(chunk);
  chunk_request_.store(kChunkNone, std::memory_order_relaxed);
}

void MemoryStore::after_enqueue() {
  // Ask a claimer for a spare (unless one is being made) as soon as the store has gone past its
  // first chunk, or half way into it: making one takes milliseconds (4 MiB of fresh pages), in
  // which a bulk enqueue fills most of a chunk. Within a sixteenth of the end, anyone makes it.
  const size_t end = records_.size() * kChunk;
  if (!records_.empty() && !spare_chunk_ &&
      (records_.size() > 1 || next_slot_ + kChunk / 2 >= end)) {
    int none = kChunkNone;
    chunk_request_.compare_exchange_strong(none, kChunkWanted, std::memory_order_relaxed);
    if (next_slot_ + kChunk / 16 >= end) {
      int wanted = kChunkWanted;
      chunk_request_.compare_exchange_strong(wanted, kChunkUrgent, std::memory_order_relaxed);
    }
  }
  notify_work();
}

EnqueueResult MemoryStore::enqueue_locked(const TaskSpec& spec, TimePoint now) {
  if (auto dup = duplicate_of(spec, now)) return std::move(*dup);
  TaskId id = ids_.next(now);
  Record& r = allocate();
  std::copy_n(id.data(), Record::kIdSize, r.id);
  r.counter = ids_.last_counter();
  index_id(r);
  SetSpec(r, spec, intern(spec.type), &queue(spec.queue, now));
  r.seq = ++next_seq_;
  r.enqueued_at = now;
  if (spec.run_at && *spec.run_at > now) {
    r.state = TaskState::kScheduled;
    r.scheduled_for = *spec.run_at;
  } else {
    r.state = TaskState::kPending;
    r.ready_at = now;
  }
  index(r);
  if (!spec.unique_key.empty()) unique_[spec.unique_key] = &r;
  if (spec.tick_due) ticks_[spec.schedule_id] = {*spec.tick_due, id};
  return EnqueueResult{std::move(id), true};
}

void MemoryStore::promote_due(TimePoint now, MaintenanceReport* report) {
  while (!scheduled_.empty() && scheduled_.begin()->first <= now) {
    Record& r = *scheduled_.begin()->second;
    TimePoint due = scheduled_.begin()->first;
    unindex(r);
    // Ready since it was due, so enqueue-to-start latency counts from the due time.
    make_pending(r, due, /*new_seq=*/false);
    if (report) report->promoted++;
  }
}

void MemoryStore::expire_deadlines(TimePoint now, MaintenanceReport* report) {
  while (!deadlines_.empty() && deadlines_.begin()->first < now) {
    expire(*deadlines_.begin()->second, now);
    if (report) report->expired++;
  }
}

void MemoryStore::expire(Record& r, TimePoint now) {
  unindex(r);
  r.set_cold(&Cold::last_error, "deadline passed before the task could start");
  r.queue->deadline_misses++;
  set_state(r, TaskState::kExpired, now);
}

void MemoryStore::recover_leases(TimePoint now, MaintenanceReport* report) {
  while (const auto* e = leases_.front(LeaseLive)) {
    if (e->key.expires > now) break;
    Record& r = *e->value;
    leases_.pop();
    unindex(r);
    if (r.attempts >= r.max_attempts) {
      r.set_cold(&Cold::last_error, "lease expired on its last attempt (" +
                                        std::to_string(r.attempts) + " attempts): quarantined");
      set_state(r, TaskState::kDead, now);
      report->quarantined++;
    } else {
      r.set_cold(&Cold::last_error, "lease expired: the worker died or stalled");
      // Redelivered in its original place: it was next in line before.
      make_pending(r, now, /*new_seq=*/false);
      report->recovered++;
    }
  }
}

void MemoryStore::erase(Record& r) {
  unindex(r);
  if (!r.unique_key().empty()) {
    auto it = unique_.find(r.unique_key());
    if (it != unique_.end() && it->second == &r) unique_.erase(it);
  }
  unindex_id(r);
  release(r);
}

// Deletes terminal tasks beyond the retention policy, oldest first. Called after every
// transition to a terminal state, so deletions are spread over the operations that cause them
// instead of piling up for maintain().
void MemoryStore::apply_retention(TimePoint now, MaintenanceReport* report) {
  while (!terminal_.empty()) {
    // The oldest terminal records are long out of cache, and are usually deleted in runs (one
    // per settled task in a batch): fetch the one kRetentionPrefetch deletions ahead while this
    // one is handled (each record once). Deleting one reads its first 64 bytes, its cold pointer
    // and its payload's header (record.h).
    if (memory::kRetentionPrefetch < terminal_.size()) {
      const Record* ahead = terminal_[memory::kRetentionPrefetch].record;
      __builtin_prefetch(ahead);
      __builtin_prefetch(reinterpret_cast<const char*>(ahead) + 64);
      __builtin_prefetch(reinterpret_cast<const char*>(&ahead->payload) + sizeof(std::string) - 1);
    }
    auto [seq, r] = terminal_.front();
    if (r->finish_seq != seq) {
      terminal_.pop_front();  // stale: the task left the terminal state
      continue;
    }
    bool too_many = terminal_count_ > retention_.max_count;
    bool too_old = r->finished_at + retention_.max_age <= now;
    if (!too_many && !too_old) break;
    terminal_.pop_front();
    erase(*r);
    if (report) report->deleted++;
  }
}

Status ValidateClaim(const ClaimRequest& req) {
  if (req.max_tasks < 1) return InvalidArgument("max_tasks", "must be at least 1");
  if (req.lease <= Duration::zero()) return InvalidArgument("lease", "must be positive");
  return Status();
}

Result<std::vector<Lease>> MemoryStore::claim(const ClaimRequest& req) {
  if (Status s = ValidateClaim(req); !s.ok()) return s;
  std::vector<Lease> out;
  out.reserve(static_cast<size_t>(std::min(req.max_tasks, 1024)));
  make_chunk_if_wanted(/*claimer=*/true);
  std::lock_guard lock(mu_);
  TimePoint now = clock_.now();
  claim_locked(req, now, out);
  apply_retention(now, nullptr);
  return out;
}

// One lock for both halves: a prefetching worker's round trip to the store, and the futex
// traffic of the lock it contends for with the other workers and the producers, are halved.
Status MemoryStore::complete_and_claim(std::span<Completion> done, std::vector<Status>& statuses,
                                       const ClaimRequest& req, std::vector<Lease>& leases) {
  statuses.clear();
  statuses.reserve(done.size());
  Status valid = ValidateClaim(req);
  size_t claimed = 0;
  make_chunk_if_wanted(/*claimer=*/true);
  {
    std::lock_guard lock(mu_);
    TimePoint now = clock_.now();
    for (Completion& c : done)
      statuses.push_back(complete_locked(c.id, c.token, std::move(c.result), now));
    if (valid.ok()) claimed = claim_locked(req, now, leases);
    apply_retention(now, nullptr);
  }
  // The leases past the claimed ones go outside the lock (their Tasks free memory).
  leases.erase(leases.begin() + static_cast<std::ptrdiff_t>(claimed), leases.end());
  return valid;
}

size_t MemoryStore::claim_locked(const ClaimRequest& req, TimePoint now, std::vector<Lease>& out) {
  size_t n = 0;
  promote_due(now, nullptr);
  const std::string* worker = intern(req.worker);
  std::vector<QueueState*> order;
  order.reserve(req.queues.size());
  for (const std::string& name : req.queues) {
    auto it = queues_.find(name);
    if (it != queues_.end()) order.push_back(&it->second);
  }
  for (QueueState* q : order) {
    while (static_cast<int32_t>(n) < req.max_tasks && !q->paused && q->has_ready() &&
           !q->at_limit() && q->bucket.available(now)) {
      const auto* e = q->ready.front(ReadyLive);
      if (e == nullptr) break;  // cannot happen: every pending task has a live entry
      Record& r = *e->value;
      q->ready.pop();
      q->ready.prefetch_ahead(memory::kClaimPrefetch);
      if (auto d = r.deadline(); d && *d < now) {
        expire(r, now);
        continue;
      }
      unindex(r);
      q->bucket.try_take(now);
      r.attempts++;
      r.claims++;
      r.started_at = now;
      r.worker = worker;
      r.lease_expires = SaturatingAdd(now, req.lease);
      r.state = TaskState::kActive;
      index(r);
      // Built in place, or over a lease the caller had: a Task is large.
      Lease& lease = n < out.size() ? out[n] : out.emplace_back();
      n++;
      memory::FillTask(r, q->name, lease.task);
      lease.token = r.lease_token();
      lease.expires_at = r.lease_expires;
    }
  }
  return n;
}

bool MemoryStore::claimable(const std::vector<std::string>& queues, TimePoint now,
                            TimePoint* wake) {
  if (!scheduled_.empty()) *wake = std::min(*wake, scheduled_.begin()->first);
  for (const std::string& name : queues) {
    auto it = queues_.find(name);
    if (it == queues_.end()) continue;
    QueueState& q = it->second;
    if (q.paused || !q.has_ready() || q.at_limit()) continue;
    if (q.bucket.available(now)) return true;
    *wake = std::min(*wake, q.bucket.next_token(now));
  }
  return false;
}

void MemoryStore::wait_for_work(const std::vector<std::string>& queues, TimePoint until,
                                std::stop_token stop) {
  // The callback takes mu_, so it is registered before (and destroyed after) the lock is
  // held: ~stop_callback waits for a running callback, which must not wait for our lock.
  std::stop_callback wake_on_stop(stop, [this] {
    std::lock_guard g(mu_);
    notify_work();
  });
  std::unique_lock lock(mu_.native());
  // Sleep until the epoch moves (something that may make work claimable happened) or the
  // earliest moment work could become claimable by the passing of time.
  TimePoint wake = until;
  if (stop.stop_requested() || claimable(queues, clock_.now(), &wake)) return;
  uint64_t epoch = work_epoch_;
  waiters_++;
  while (work_epoch_ == epoch && !stop.stop_requested()) {
    if (clock_.wait_until(work_cv_, lock, wake)) break;
  }
  waiters_--;
}

Result<TimePoint> MemoryStore::heartbeat(const TaskId& id, uint64_t token, Duration lease) {
  if (lease <= Duration::zero()) return InvalidArgument("lease", "must be positive");
  std::lock_guard lock(mu_);
  Result<Record*> r = find_lease(id, token);
  if (!r.ok()) return r.status();
  unindex(**r);
  (*r)->lease_expires = SaturatingAdd(clock_.now(), lease);
  index(**r);
  return (*r)->lease_expires;
}

Status MemoryStore::complete(const TaskId& id, uint64_t token, std::string result) {
  std::lock_guard lock(mu_);
  TimePoint now = clock_.now();
  Status s = complete_locked(id, token, std::move(result), now);
  apply_retention(now, nullptr);
  return s;
}

std::vector<Status> MemoryStore::complete_batch(std::span<Completion> items) {
  std::vector<Status> out;
  out.reserve(items.size());
  std::lock_guard lock(mu_);
  TimePoint now = clock_.now();
  for (Completion& c : items)
    out.push_back(complete_locked(c.id, c.token, std::move(c.result), now));
  apply_retention(now, nullptr);
  return out;
}

Status MemoryStore::complete_locked(const TaskId& id, uint64_t token, std::string&& result,
                                    TimePoint now) {
  Result<Record*> found = find_lease(id, token);
  if (!found.ok()) return found.status();
  Record& r = **found;
  unindex(r);
  r.set_cold(&Cold::result, std::move(result));
  set_state(r, TaskState::kSucceeded, now);
  return Status();
}

Result<TaskState> MemoryStore::fail(const TaskId& id, uint64_t token, std::string error,
                                    const FailOptions& options) {
  std::lock_guard lock(mu_);
  Result<Record*> found = find_lease(id, token);
  if (!found.ok()) return found.status();
  Record& r = **found;
  TimePoint now = clock_.now();
  unindex(r);
  r.set_cold(&Cold::last_error, std::move(error));
  if (options.permanent || r.attempts >= r.max_attempts) {
    set_state(r, TaskState::kDead, now);
  } else if (options.retry_at && *options.retry_at > now) {
    // A retry queues behind the tasks that arrived before it, whether it waits or not.
    r.seq = ++next_seq_;
    r.scheduled_for = *options.retry_at;
    set_state(r, TaskState::kScheduled, now);
  } else {
    make_pending(r, now, /*new_seq=*/true);
  }
  TaskState state = r.state;  // read before retention may delete the record
  apply_retention(now, nullptr);
  return state;
}

Status MemoryStore::yield(const TaskId& id, uint64_t token, std::string checkpoint) {
  std::lock_guard lock(mu_);
  Result<Record*> found = find_lease(id, token);
  if (!found.ok()) return found.status();
  Record& r = **found;
  unindex(r);
  r.set_cold(&Cold::checkpoint, std::move(checkpoint));
  r.attempts--;  // a time slice is not a failed attempt
  make_pending(r, clock_.now(), /*new_seq=*/true);
  return Status();
}

Status MemoryStore::cancel(const TaskId& id) {
  std::lock_guard lock(mu_);
  Record* r = find(id);
  if (r == nullptr) return NotFound("task " + id + " not found");
  if (IsTerminal(r->state)) {
    return FailedPrecondition("task " + id + " is already " + std::string(TaskStateName(r->state)));
  }
  unindex(*r);
  TimePoint now = clock_.now();
  set_state(*r, TaskState::kCancelled, now);
  apply_retention(now, nullptr);
  return Status();
}

Status MemoryStore::retry(const TaskId& id) {
  std::lock_guard lock(mu_);
  Record* r = find(id);
  if (r == nullptr) return NotFound("task " + id + " not found");
  TaskState s = r->state;
  if (s != TaskState::kDead && s != TaskState::kCancelled && s != TaskState::kExpired) {
    return FailedPrecondition("only dead, cancelled or expired tasks can be retried; task " + id +
                              " is " + std::string(TaskStateName(s)));
  }
  unindex(*r);
  r->attempts = 0;
  // A manual retry of a task that expired runs it now: its old deadline no longer applies.
  if (r->cold) r->cold->deadline.reset();
  make_pending(*r, clock_.now(), /*new_seq=*/true);
  return Status();
}

Result<Task> MemoryStore::get(const TaskId& id) {
  std::lock_guard lock(mu_);
  Record* r = find(id);
  if (r == nullptr) return NotFound("task " + id + " not found");
  return ToTask(*r, r->queue->name);
}

Result<TaskPage> MemoryStore::list(const TaskFilter& f, const PageRequest& page) {
  if (page.limit < 1 || page.limit > 10'000) {
    return InvalidArgument("limit", "must be between 1 and 10000");
  }
  std::vector<const Record*> hits;
  std::lock_guard lock(mu_);
  for (uint32_t slot = 0; slot < next_slot_; ++slot) {
    const Record& r = at(slot);
    if (!r.live()) continue;
    if (!page.after.empty() && r.id_view() <= page.after) continue;
    if (f.state && r.state != *f.state) continue;
    if (!f.queue.empty() && r.queue->name != f.queue) continue;
    if (!f.type.empty() && *r.type != f.type) continue;
    if (!f.label_key.empty()) {
      if (!r.cold) continue;
      auto it = r.cold->labels.find(f.label_key);
      if (it == r.cold->labels.end() || it->second != f.label_value) continue;
    }
    hits.push_back(&r);
  }
  auto by_id = [](const Record* a, const Record* b) { return a->id_view() < b->id_view(); };
  size_t n = std::min(hits.size(), static_cast<size_t>(page.limit));
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end(), by_id);
  TaskPage out;
  for (size_t i = 0; i < n; ++i) out.tasks.push_back(ToTask(*hits[i], hits[i]->queue->name));
  if (hits.size() > n) out.next = out.tasks.back().id;
  return out;
}

Status MemoryStore::set_queue(const std::string& name, const QueueConfig& config) {
  if (Status s = ValidateName(name, "queue"); !s.ok()) return s;
  if (Status s = ValidateQueueConfig(config); !s.ok()) return s;
  std::lock_guard lock(mu_);
  TimePoint now = clock_.now();
  QueueState& q = queue(name, now);
  // Re-key the ready set: the ordering policy or aging may have changed.
  std::vector<Record*> ready;
  q.ready.drain(ReadyLive, [&ready](const auto& e) { ready.push_back(e.value); });
  for (Record* r : ready) unindex(*r);
  q.config = config;
  q.bucket.configure(config.rate, config.burst, now);
  for (Record* r : ready) index(*r);
  notify_work();
  return Status();
}

Status MemoryStore::pause_queue(const std::string& name, bool paused) {
  std::lock_guard lock(mu_);
  auto it = queues_.find(name);
  if (it == queues_.end()) return NotFound("queue " + name + " not found");
  it->second.paused = paused;
  notify_work();
  return Status();
}

Result<std::vector<QueueInfo>> MemoryStore::queues() {
  std::vector<QueueInfo> out;
  std::lock_guard lock(mu_);
  for (const auto& [name, q] : queues_) {
    auto c = [&q](TaskState s) { return q.counts[static_cast<size_t>(s)]; };
    out.push_back(QueueInfo{name, q.config, q.paused, c(TaskState::kScheduled),
                            c(TaskState::kPending), c(TaskState::kActive), c(TaskState::kSucceeded),
                            c(TaskState::kDead), c(TaskState::kCancelled), c(TaskState::kExpired),
                            q.deadline_misses});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

Result<MaintenanceReport> MemoryStore::maintain() {
  MaintenanceReport report;
  std::lock_guard lock(mu_);
  TimePoint now = clock_.now();
  promote_due(now, &report);
  recover_leases(now, &report);
  expire_deadlines(now, &report);
  apply_retention(now, &report);
  return report;
}

}  // namespace

std::unique_ptr<Store> NewMemoryStore(const MemoryStoreOptions& options) {
  return std::make_unique<MemoryStore>(options);
}

}  // namespace taskly
