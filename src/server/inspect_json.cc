#include "server/inspect_json.h"

namespace taskly::server {
namespace {

using codec::FormatDuration;

Json TaskVerdictToJson(const TaskVerdict& t) {
  Json j = {{"name", t.name},
            {"period", FormatDuration(t.period)},
            {"wcet", FormatDuration(t.wcet)},
            {"deadline", FormatDuration(t.deadline)},
            {"utilization", t.utilization},
            {"density", t.density},
            {"priority", t.priority},
            {"meets_deadline_rms", t.meets_deadline_rms},
            {"meets_deadline_edf", t.meets_deadline_edf}};
  if (t.response_time) j["response_time"] = FormatDuration(*t.response_time);
  return j;
}

Json PoolToJson(const PoolReport& p) {
  Json tasks = Json::array();
  for (const TaskVerdict& t : p.tasks) tasks.push_back(TaskVerdictToJson(t));
  Json at_risk = Json::array();
  for (const AtRisk& r : p.at_risk) at_risk.push_back({{"name", r.name}, {"reason", r.reason}});
  return {{"pool", p.pool},
          {"slots", p.slots},
          {"utilization", p.utilization},
          {"density", p.density},
          {"ll_bound", p.ll_bound},
          {"deadline_monotonic", p.deadline_monotonic},
          {"rms_ll_pass", p.rms_ll_pass},
          {"rms", VerdictName(p.rms)},
          {"edf", VerdictName(p.edf)},
          {"tasks", std::move(tasks)},
          {"at_risk", std::move(at_risk)},
          {"explanation", p.explanation}};
}

}  // namespace

Json AnalysisToJson(const std::vector<PoolReport>& pools) {
  Json out = Json::array();
  for (const PoolReport& p : pools) out.push_back(PoolToJson(p));
  return {{"pools", std::move(out)}};
}

Json HistogramToJson(const HistogramSnapshot& h) {
  return {{"count", h.count()},
          {"sum", FormatDuration(h.sum())},
          {"p50", FormatDuration(h.quantile(0.5))},
          {"p90", FormatDuration(h.quantile(0.9))},
          {"p99", FormatDuration(h.quantile(0.99))},
          {"max", FormatDuration(h.max())}};
}

Json StatsToJson(const SchedulerStats& s) {
  return {{"started", s.started},
          {"succeeded", s.succeeded},
          {"failed", s.failed},
          {"retried", s.retried},
          {"dead", s.dead},
          {"yielded", s.yielded},
          {"timed_out", s.timed_out},
          {"rejected_results", s.rejected_results},
          {"store_errors", s.store_errors},
          {"ticks_fired", s.ticks_fired},
          {"ticks_skipped", s.ticks_skipped},
          {"ticks_failed", s.ticks_failed},
          {"fenced_writes", s.fenced_writes},
          {"leaderships", s.leaderships},
          {"start_latency", HistogramToJson(s.start_latency)},
          {"run_time", HistogramToJson(s.run_time)},
          {"timer_lateness", HistogramToJson(s.timer_lateness)}};
}

Json WorkerToJson(const WorkerInfo& w) {
  Json j = {{"id", w.id}, {"busy", w.busy}, {"waiting", w.waiting}};
  if (w.busy) {
    j["task"] = w.task;
    j["since"] = codec::FormatTime(w.since);
  }
  return j;
}

Json NodeToJson(const NodeInfo& node) {
  Json j = {{"id", node.id},
            {"role", node.role},
            {"host", node.host},
            {"pid", node.pid},
            {"queues", node.queues},
            {"slots", node.slots},
            {"running", node.running},
            {"started_at", codec::FormatTime(node.started_at)},
            {"last_seen", codec::FormatTime(node.last_seen)}};
  if (!node.api.empty()) j["api"] = node.api;
  return j;
}

Json ClusterToJson(const ClusterView& cluster) {
  Json leader = {{"node", nullptr}, {"term", cluster.leader.term}};
  if (!cluster.leader.node.empty()) leader["node"] = cluster.leader.node;
  if (cluster.leader.term > 0) leader["expires_at"] = codec::FormatTime(cluster.leader.expires_at);
  Json nodes = Json::array();
  for (const NodeInfo& n : cluster.nodes) nodes.push_back(NodeToJson(n));
  return {{"self", cluster.self},
          {"leading", cluster.leading},
          {"leader", std::move(leader)},
          {"nodes", std::move(nodes)}};
}

}  // namespace taskly::server
