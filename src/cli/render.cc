#include "cli/render.h"

#include <cstdio>
#include <vector>

#include "cli/table.h"
#include "codec/json_codec.h"
#include "codec/raw_json.h"

namespace taskly::cli {
namespace {

const Json& Member(const Json& j, const std::string& key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

const Json& Array(const Json& j) {
  static const Json kEmpty = Json::array();
  return j.is_array() ? j : kEmpty;
}

std::string Fixed(const Json& number, int digits = 3) {
  if (!number.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, number.get<double>());
  return buf;
}

std::string YesNo(const Json& flag) {
  if (!flag.is_boolean()) return "-";
  return flag.get<bool>() ? "yes" : "no";
}

// A payload or result for people: a string as it is, other JSON values indented.
std::string Bytes(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (codec::IsRawJson(value)) return codec::RawJsonText(value);
  return codec::DumpJson(value, 2);
}

std::string Labels(const Json& labels) {
  std::string text;
  if (!labels.is_object()) return text;
  for (const auto& [key, value] : labels.items()) {
    if (!text.empty()) text += ", ";
    text += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

// A duration string of the API for people: three significant digits in the largest fitting
// unit ("15ms818us618ns" -> "15.8ms"); text that is not a duration is returned as it is.
std::string HumanDuration(const std::string& text) {
  Result<Duration> d = codec::ParseDuration(text, "");
  if (!d.ok()) return text;
  const double ns = static_cast<double>(d->count());
  if (ns >= 60e9) {
    return codec::FormatDuration(std::chrono::round<std::chrono::seconds>(*d));
  }
  struct Unit {
    double scale;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}};
  for (const Unit& unit : kUnits) {
    if (ns >= unit.scale) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3g%s", ns / unit.scale, unit.name);
      return buf;
    }
  }
  return text;
}

std::string DurationField(const Json& j, const std::string& key) {
  return HumanDuration(Field(j, key));
}

// An RFC 3339 time of the API to the second, for tables: "2026-11-29T12:44:17Z".
std::string TimeField(const Json& j, const std::string& key) {
  std::string text = Field(j, key);
  const size_t dot = text.find('.');
  if (dot != std::string::npos && text.ends_with('Z')) text = text.substr(0, dot) + "Z";
  return text;
}

// Output of a command for a key/value block: without its final newline.
std::string Output(const Json& result, const std::string& key) {
  std::string text = Field(result, key, "");
  if (text.ends_with('\n')) text.pop_back();
  return text;
}

// "cron 0 3 * * * (Europe/Berlin)", "every 5m", "once 2026-...".
std::string ScheduleKind(const Json& spec) {
  if (spec.contains("cron")) {
    return "cron " + Field(spec, "cron") + " (" + Field(spec, "tz", "UTC") + ")";
  }
  if (spec.contains("every")) return "every " + Field(spec, "every");
  if (spec.contains("once")) return "once " + TimeField(spec, "once");
  return "-";
}

}  // namespace

std::string Field(const Json& j, const std::string& key, const std::string& fallback) {
  const Json& value = Member(j, key);
  if (value.is_null()) return fallback;
  if (value.is_string()) return value.get<std::string>();
  return codec::DumpJson(value);
}

void PrintJson(std::ostream& out, const Json& j) { out << codec::DumpJson(j, 2) << '\n'; }

void PrintTaskTable(std::ostream& out, const Json& tasks) {
  Table table({"ID", "STATE", "TYPE", "QUEUE", "PRI", "ATTEMPTS", "ENQUEUED", "LAST ERROR"});
  for (const Json& t : Array(tasks)) {
    table.add_row({Field(t, "id"), Field(t, "state"), Shorten(Field(t, "type"), 24),
                   Field(t, "queue"), Field(t, "priority"),
                   Field(t, "attempts") + "/" + Field(t, "max_attempts"),
                   TimeField(t, "enqueued_at"), Shorten(Field(t, "last_error", ""), 50)});
  }
  table.print(out);
}

void PrintTask(std::ostream& out, const Json& t) {
  KeyValues kv;
  kv.add("id", Field(t, "id"));
  kv.add("type", Field(t, "type"));
  kv.add("state", Field(t, "state"));
  kv.add("queue", Field(t, "queue"));
  kv.add("priority", Field(t, "priority"));
  kv.add("attempts", Field(t, "attempts") + " of " + Field(t, "max_attempts"));
  for (const char* key : {"timeout", "unique_ttl"}) {
    if (Field(t, key, "0s") != "0s") kv.add(key, Field(t, key));
  }
  for (const char* key :
       {"deadline", "run_at", "unique_key", "enqueued_at", "ready_at", "scheduled_for",
        "started_at", "finished_at", "worker", "schedule_id", "tick_due"}) {
    if (t.contains(key)) kv.add(key, Field(t, key));
  }
  if (t.contains("labels") && !Labels(t["labels"]).empty()) kv.add("labels", Labels(t["labels"]));
  if (t.contains("last_error")) kv.add("last_error", Field(t, "last_error"));
  if (t.contains("payload")) kv.add("payload", Bytes(t["payload"]));
  if (t.contains("checkpoint")) kv.add("checkpoint", Field(t, "checkpoint"));
  const Json& result = Member(t, "result");
  if (Field(t, "type") == "exec" && result.is_object() && result.contains("exit_code")) {
    // A command's result: how it ended, then its output as text.
    kv.add("exit_code", Field(result, "exit_code"));
    if (Field(result, "signal") != "0") kv.add("signal", Field(result, "signal"));
    kv.add("run_time", DurationField(result, "run_time"));
    kv.add("stdout", Output(result, "stdout"));
    kv.add("stderr", Output(result, "stderr"));
  } else if (!result.is_null()) {
    kv.add("result", Bytes(result));
  }
  kv.print(out);
}

void PrintScheduleTable(std::ostream& out, const Json& schedules) {
  Table table(
      {"ID", "WHEN", "TYPE", "QUEUE", "PAUSED", "NEXT DUE", "LAST DUE", "FIRED", "SKIPPED"});
  for (const Json& s : Array(schedules)) {
    const Json& task = Member(s, "task");
    const int64_t skipped =
        Member(s, "skipped_misfire").is_number_integer() &&
                Member(s, "skipped_overlap").is_number_integer()
            ? s["skipped_misfire"].get<int64_t>() + s["skipped_overlap"].get<int64_t>()
            : 0;
    table.add_row({Field(s, "id"), ScheduleKind(s), Field(task, "type"),
                   Field(task, "queue", "default"), YesNo(Member(s, "paused")),
                   TimeField(s, "next_due"), TimeField(s, "last_due"), Field(s, "fired", "0"),
                   std::to_string(skipped)});
  }
  table.print(out);
}

void PrintSchedule(std::ostream& out, const Json& s) {
  KeyValues kv;
  kv.add("id", Field(s, "id"));
  kv.add("when", ScheduleKind(s));
  if (s.contains("anchor")) kv.add("anchor", Field(s, "anchor"));
  const Json& misfire = Member(s, "misfire");
  kv.add("misfire", Field(misfire, "policy") + " (max_catch_up " + Field(misfire, "max_catch_up") +
                        ", grace " + Field(misfire, "grace") + ")");
  kv.add("overlap", Field(s, "overlap"));
  kv.add("paused", YesNo(Member(s, "paused")));
  kv.add("next_due", Field(s, "next_due"));
  kv.add("last_due", Field(s, "last_due"));
  kv.add("last_task", Field(s, "last_task"));
  kv.add("fired", Field(s, "fired"));
  kv.add("skipped", Field(s, "skipped_misfire") + " misfired, " + Field(s, "skipped_overlap") +
                        " overlapping");
  if (Member(s, "failed_tries").is_number_integer()) {
    kv.add("failing", Field(s, "failed_tries") + " tries: " + Field(s, "last_error"));
  }
  kv.add("task", codec::DumpJson(Member(s, "task")));
  kv.print(out);
}

void PrintQueueTable(std::ostream& out, const Json& queues) {
  Table table({"QUEUE", "PAUSED", "POLICY", "CONCURRENCY", "RATE", "SCHEDULED", "PENDING", "ACTIVE",
               "SUCCEEDED", "DEAD", "CANCELLED", "EXPIRED", "MISSES"});
  for (const Json& q : Array(queues)) {
    const Json& config = Member(q, "config");
    const Json& counts = Member(q, "counts");
    const std::string concurrency = Field(config, "concurrency", "0");
    const std::string rate = Field(config, "rate", "0");
    table.add_row({Field(q, "name"), YesNo(Member(q, "paused")), Field(config, "policy"),
                   concurrency == "0" ? "unlimited" : concurrency,
                   rate == "0" || rate == "0.0" ? "unlimited" : rate + "/s",
                   Field(counts, "scheduled"), Field(counts, "pending"), Field(counts, "active"),
                   Field(counts, "succeeded"), Field(counts, "dead"), Field(counts, "cancelled"),
                   Field(counts, "expired"), Field(q, "deadline_misses")});
  }
  table.print(out);
}

void PrintWorkerTable(std::ostream& out, const Json& workers) {
  Table table({"WORKER", "BUSY", "TASK", "SINCE", "WAITING"});
  for (const Json& w : Array(workers)) {
    table.add_row({Field(w, "id"), YesNo(Member(w, "busy")), Field(w, "task"),
                   TimeField(w, "since"), Field(w, "waiting")});
  }
  table.print(out);
}

void PrintCluster(std::ostream& out, const Json& cluster) {
  const Json& leader = Member(cluster, "leader");
  const std::string leader_node = Field(leader, "node", "");
  out << "leader: " << (leader_node.empty() ? "none" : leader_node) << " (term "
      << Field(leader, "term") << ", lease until " << TimeField(leader, "expires_at") << ")\n\n";
  Table table({"NODE", "ROLE", "HOST", "PID", "API", "QUEUES", "SLOTS", "RUNNING", "LAST SEEN"});
  for (const Json& n : Array(Member(cluster, "nodes"))) {
    std::string id = Field(n, "id");
    if (!leader_node.empty() && id == leader_node) id += " *";
    std::string queues;
    for (const Json& q : Array(Member(n, "queues"))) {
      queues += (queues.empty() ? "" : ",") + (q.is_string() ? q.get<std::string>() : q.dump());
    }
    table.add_row({id, Field(n, "role"), Field(n, "host"), Field(n, "pid"), Field(n, "api"),
                   queues.empty() ? "-" : queues, Field(n, "slots"),
                   std::to_string(Array(Member(n, "running")).size()), TimeField(n, "last_seen")});
  }
  table.print(out);
}

void PrintStats(std::ostream& out, const Json& stats) {
  KeyValues counters;
  for (const char* key : {"started", "succeeded", "failed", "retried", "dead", "yielded",
                          "timed_out", "rejected_results", "store_errors", "ticks_fired",
                          "ticks_failed", "ticks_skipped", "fenced_writes", "leaderships"}) {
    counters.add(key, Field(stats, key));
  }
  counters.print(out);
  out << '\n';
  Table table({"HISTOGRAM", "COUNT", "P50", "P90", "P99", "MAX"});
  for (const char* key : {"start_latency", "run_time", "timer_lateness"}) {
    const Json& h = Member(stats, key);
    table.add_row({key, Field(h, "count"), DurationField(h, "p50"), DurationField(h, "p90"),
                   DurationField(h, "p99"), DurationField(h, "max")});
  }
  table.print(out);
}

void PrintAnalysis(std::ostream& out, const Json& report) {
  const Json& pools = Array(Member(report, "pools"));
  if (pools.empty()) {
    out << "No periodic schedules with a known execution time (give schedules a --wcet, or let "
           "them run once).\n";
    return;
  }
  bool first = true;
  for (const Json& p : pools) {
    if (!first) out << '\n';
    first = false;
    KeyValues kv;
    kv.add("pool", Field(p, "pool") + " (" + Field(p, "slots") + " slots)");
    kv.add("utilization", Fixed(Member(p, "utilization")) + " (density " +
                              Fixed(Member(p, "density")) + ", Liu-Layland bound " +
                              Fixed(Member(p, "ll_bound")) + ")");
    kv.add("rms",
           Field(p, "rms") +
               (Member(p, "deadline_monotonic") == true ? " (deadline-monotonic priorities)" : ""));
    kv.add("edf", Field(p, "edf"));
    kv.print(out);
    Table table(
        {"SCHEDULE", "PERIOD", "WCET", "DEADLINE", "UTIL", "PRIO", "RESPONSE", "RMS OK", "EDF OK"});
    for (const Json& t : Array(Member(p, "tasks"))) {
      table.add_row({Field(t, "name"), DurationField(t, "period"), DurationField(t, "wcet"),
                     DurationField(t, "deadline"), Fixed(Member(t, "utilization")),
                     Field(t, "priority"), DurationField(t, "response_time"),
                     YesNo(Member(t, "meets_deadline_rms")),
                     YesNo(Member(t, "meets_deadline_edf"))});
    }
    out << '\n';
    table.print(out);
    const Json& at_risk = Array(Member(p, "at_risk"));
    if (!at_risk.empty()) {
      out << "\nAt risk:\n";
      for (const Json& r : at_risk)
        out << "  " << Field(r, "name") << ": " << Field(r, "reason") << '\n';
    }
    if (std::string why = Field(p, "explanation", ""); !why.empty()) out << '\n' << why << '\n';
  }
}

}  // namespace taskly::cli
