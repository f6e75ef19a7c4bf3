#include "store/redis/encoding.h"

#include <charconv>
#include <cstring>

namespace taskly::redis {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

std::string Decimal(int64_t v) { return std::to_string(v); }

std::string Double(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact round trip
  return std::string(buf, end);
}

Status Bad(std::string_view field, std::string_view value) {
  return InvalidArgument(std::string(field),
                         "cannot decode stored value \"" + std::string(value.substr(0, 32)) + "\"");
}

template <typename Int>
bool ParseInt(std::string_view s, Int* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Decoders for one field; each returns false when the value is malformed.
bool Time(std::string_view v, TimePoint* out) {
  std::optional<int64_t> n = FromT8(v);
  if (!n) return false;
  *out = TimePoint(Duration(*n));
  return true;
}
bool Time(std::string_view v, std::optional<TimePoint>* out) {
  TimePoint t;
  if (!Time(v, &t)) return false;
  *out = t;
  return true;
}
bool Nanos(std::string_view v, Duration* out) {
  int64_t n = 0;
  if (!ParseInt(v, &n)) return false;
  *out = Duration(n);
  return true;
}

}  // namespace

std::string T8(int64_t value) {
  uint64_t u = static_cast<uint64_t>(value) ^ kSignBit;
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return out;
}

std::optional<int64_t> FromT8(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t u = 0;
  for (char c : bytes) u = (u << 8) | static_cast<unsigned char>(c);
  return static_cast<int64_t>(u ^ kSignBit);
}

Fields SpecFields(const TaskSpec& spec) {
  static const TaskSpec kDefaults;
  Fields f = {{"q", spec.queue},
              {"ty", spec.type},
              {"pl", spec.payload},
              {"ma", Decimal(spec.max_attempts)}};
  if (spec.priority != kDefaults.priority) f.emplace_back("pr", Decimal(spec.priority));
  if (spec.timeout != kDefaults.timeout) f.emplace_back("to", Decimal(spec.timeout.count()));
  if (spec.backoff.initial != kDefaults.backoff.initial) {
    f.emplace_back("bi", Decimal(spec.backoff.initial.count()));
  }
  if (spec.backoff.cap != kDefaults.backoff.cap) {
    f.emplace_back("bc", Decimal(spec.backoff.cap.count()));
  }
  if (spec.backoff.multiplier != kDefaults.backoff.multiplier) {
    f.emplace_back("bm", Double(spec.backoff.multiplier));
  }
  if (spec.deadline) f.emplace_back("dl", T8(*spec.deadline));
  if (spec.run_at) f.emplace_back("ra", T8(*spec.run_at));
  if (!spec.unique_key.empty()) f.emplace_back("uk", spec.unique_key);
  if (spec.unique_ttl != Duration::zero()) f.emplace_back("ut", Decimal(spec.unique_ttl.count()));
  if (spec.period != Duration::zero()) f.emplace_back("pe", T8(spec.period));
  if (!spec.schedule_id.empty()) f.emplace_back("si", spec.schedule_id);
  if (spec.tick_due) f.emplace_back("td", T8(*spec.tick_due));
  for (const auto& [k, v] : spec.labels) f.emplace_back("l:" + k, v);
  return f;
}

Result<Task> DecodeTask(const Fields& fields) {
  Task t;
  bool has_id = false, has_state = false;
  for (const auto& [name, v] : fields) {
    bool ok = true;
    if (name == "q") {
      t.spec.queue = v;
      continue;
    }
    if (name.size() > 2 && name.compare(0, 2, "l:") == 0) {
      t.spec.labels.emplace(name.substr(2), v);
      continue;
    }
    // Two-letter names: switch on both characters.
    if (name.size() != 2) continue;  // a field of a later version: ignored
    switch ((name[0] << 8) | name[1]) {
      case ('i' << 8) | 'd':
        t.id = v;
        has_id = true;
        break;
      case ('t' << 8) | 'y':
        t.spec.type = v;
        break;
      case ('p' << 8) | 'l':
        t.spec.payload = v;
        break;
      case ('p' << 8) | 'r':
        ok = ParseInt(v, &t.spec.priority);
        break;
      case ('d' << 8) | 'l':
        ok = Time(v, &t.spec.deadline);
        break;
      case ('t' << 8) | 'o':
        ok = Nanos(v, &t.spec.timeout);
        break;
      case ('m' << 8) | 'a':
        ok = ParseInt(v, &t.spec.max_attempts);
        break;
      case ('b' << 8) | 'i':
        ok = Nanos(v, &t.spec.backoff.initial);
        break;
      case ('b' << 8) | 'c':
        ok = Nanos(v, &t.spec.backoff.cap);
        break;
      case ('b' << 8) | 'm':
        ok = ParseDouble(v, &t.spec.backoff.multiplier);
        break;
      case ('r' << 8) | 'a':
        ok = Time(v, &t.spec.run_at);
        break;
      case ('u' << 8) | 'k':
        t.spec.unique_key = v;
        break;
      case ('u' << 8) | 't':
        ok = Nanos(v, &t.spec.unique_ttl);
        break;
      case ('p' << 8) | 'e': {
        std::optional<int64_t> n = FromT8(v);
        ok = n.has_value();
        if (ok) t.spec.period = Duration(*n);
        break;
      }
      case ('s' << 8) | 'i':
        t.spec.schedule_id = v;
        break;
      case ('t' << 8) | 'd':
        ok = Time(v, &t.spec.tick_due);
        break;
      case ('s' << 8) | 't': {
        int s = -1;
        ok = ParseInt(v, &s) && s >= 0 && s <= static_cast<int>(TaskState::kExpired);
        if (ok) t.state = static_cast<TaskState>(s);
        has_state = ok;
        break;
      }
      case ('s' << 8) | 'q':
        ok = ParseInt(v, &t.seq);
        break;
      case ('a' << 8) | 't':
        ok = ParseInt(v, &t.attempts);
        break;
      case ('l' << 8) | 't':
        ok = ParseInt(v, &t.lease_token);
        break;
      case ('e' << 8) | 'a':
        ok = Time(v, &t.enqueued_at);
        break;
      case ('r' << 8) | 'd':
        ok = Time(v, &t.ready_at);
        break;
      case ('s' << 8) | 'f':
        ok = Time(v, &t.scheduled_for);
        break;
      case ('s' << 8) | 'a':
        ok = Time(v, &t.started_at);
        break;
      case ('f' << 8) | 'a':
        ok = Time(v, &t.finished_at);
        break;
      case ('c' << 8) | 'p':
        t.checkpoint = v;
        break;
      case ('r' << 8) | 's':
        t.result = v;
        break;
      case ('l' << 8) | 'e':
        t.last_error = v;
        break;
      case ('w' << 8) | 'k':
        t.worker = v;
        break;
      default:
        break;  // index bookkeeping (lx, rk) or a later version's field
    }
    if (!ok) return Bad(name, v);
  }
  if (!has_id) return Bad("id", "");
  if (!has_state) return Bad("st", "");
  return t;
}

Result<QueueInfo> DecodeQueue(std::string name, const Fields& fields) {
  QueueInfo q;
  q.name = std::move(name);
  int64_t* counts[] = {&q.scheduled, &q.pending,   &q.active, &q.succeeded,
                       &q.dead,      &q.cancelled, &q.expired};
  for (const auto& [field, v] : fields) {
    bool ok = true;
    if (field == "po") {
      int p = 0;
      ok = ParseInt(v, &p) && p >= 0 && p <= static_cast<int>(OrderingPolicy::kRms);
      if (ok) q.config.policy = static_cast<OrderingPolicy>(p);
    } else if (field == "ag") {
      std::optional<int64_t> n = FromT8(v);
      ok = n.has_value();
      if (ok) q.config.aging_step = Duration(*n);
    } else if (field == "cc") {
      ok = ParseInt(v, &q.config.concurrency);
    } else if (field == "rt") {
      ok = ParseDouble(v, &q.config.rate);
    } else if (field == "bu") {
      ok = ParseInt(v, &q.config.burst);
    } else if (field == "wt") {
      ok = ParseInt(v, &q.config.weight);
    } else if (field == "pa") {
      q.paused = v == "1";
    } else if (field == "dm") {
      ok = ParseInt(v, &q.deadline_misses);
    } else if (field.size() == 2 && field[0] == 'n' && field[1] >= '0' && field[1] <= '6') {
      ok = ParseInt(v, counts[field[1] - '0']);
    }
    if (!ok) return Bad(field, v);
  }
  return q;
}

}  // namespace taskly::redis
