#include "server/metrics.h"

#include <prometheus/client_metric.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

namespace taskly::server {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::array<Duration, 18> kLatencyBounds = {
    microseconds(1),   microseconds(10),  microseconds(100), milliseconds(1),    microseconds(2500),
    milliseconds(5),   milliseconds(10),  milliseconds(25),  milliseconds(50),   milliseconds(100),
    milliseconds(250), milliseconds(500), seconds(1),        milliseconds(2500), seconds(5),
    seconds(10),       seconds(30),       seconds(60)};

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

MetricFamily Family(std::string name, std::string help, MetricType type) {
  return MetricFamily{.name = "taskly_" + std::move(name), .help = std::move(help), .type = type};
}

MetricFamily CounterFamily(std::string name, std::string help, int64_t value) {
  MetricFamily f = Family(std::move(name), std::move(help), MetricType::Counter);
  ClientMetric m;
  m.counter.value = static_cast<double>(value);
  f.metric.push_back(std::move(m));
  return f;
}

MetricFamily HistogramFamily(std::string name, std::string help, const HistogramSnapshot& h) {
  MetricFamily f = Family(std::move(name), std::move(help), MetricType::Histogram);
  ClientMetric m;
  m.histogram.sample_count = h.count();
  m.histogram.sample_sum = Seconds(h.sum());
  for (Duration bound : kLatencyBounds) {
    m.histogram.bucket.push_back(
        {.cumulative_count = h.count_at_or_below(bound), .upper_bound = Seconds(bound)});
  }
  // The serializer adds the +Inf bucket (the count).
  f.metric.push_back(std::move(m));
  return f;
}

void AddQueueFamilies(Store& store, std::vector<MetricFamily>& out) {
  Result<std::vector<QueueInfo>> queues = store.queues();
  if (!queues.ok()) {
    spdlog::warn("metrics: cannot list queues: {}", queues.status().ToString());
    return;
  }
  MetricFamily tasks = Family("tasks", "Tasks in each state now, per queue.", MetricType::Gauge);
  MetricFamily paused = Family("queue_paused", "1 when the queue is paused.", MetricType::Gauge);
  MetricFamily misses = Family("deadline_misses_total",
                               "Tasks whose deadline passed before they could start, per queue.",
                               MetricType::Counter);
  for (const QueueInfo& q : *queues) {
    const std::pair<TaskState, int64_t> counts[] = {
        {TaskState::kScheduled, q.scheduled}, {TaskState::kPending, q.pending},
        {TaskState::kActive, q.active},       {TaskState::kSucceeded, q.succeeded},
        {TaskState::kDead, q.dead},           {TaskState::kCancelled, q.cancelled},
        {TaskState::kExpired, q.expired}};
    for (const auto& [state, count] : counts) {
      ClientMetric m;
      m.label = {{"queue", q.name}, {"state", std::string(TaskStateName(state))}};
      m.gauge.value = static_cast<double>(count);
      tasks.metric.push_back(std::move(m));
    }
    ClientMetric p;
    p.label = {{"queue", q.name}};
    p.gauge.value = q.paused ? 1 : 0;
    paused.metric.push_back(std::move(p));
    ClientMetric d;
    d.label = {{"queue", q.name}};
    d.counter.value = static_cast<double>(q.deadline_misses);
    misses.metric.push_back(std::move(d));
  }
  out.push_back(std::move(tasks));
  out.push_back(std::move(paused));
  out.push_back(std::move(misses));
}

MetricFamily GaugeFamily(std::string name, std::string help, double value) {
  MetricFamily f = Family(std::move(name), std::move(help), MetricType::Gauge);
  ClientMetric m;
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
  return f;
}

void AddClusterFamilies(Scheduler& scheduler, std::vector<MetricFamily>& out) {
  Result<ClusterView> cluster = scheduler.cluster();
  if (!cluster.ok()) {
    spdlog::warn("metrics: cannot read the cluster: {}", cluster.status().ToString());
    return;
  }
  out.push_back(GaugeFamily("cluster_leader", "1 when this node leads the cluster.",
                            cluster->leading ? 1 : 0));
  out.push_back(GaugeFamily("cluster_term", "The current (or last) leadership's term.",
                            static_cast<double>(cluster->leader.term)));
  out.push_back(GaugeFamily("cluster_nodes", "Live nodes in the cluster.",
                            static_cast<double>(cluster->nodes.size())));
}

}  // namespace

std::vector<MetricFamily> MetricsCollector::Collect() const {
  std::vector<MetricFamily> out;
  AddQueueFamilies(scheduler_->store(), out);
  out.push_back(GaugeFamily("store_damaged_rows",
                            "Stored rows that cannot be decoded, left alone and not served.",
                            static_cast<double>(scheduler_->store().damaged_rows())));
  AddClusterFamilies(*scheduler_, out);
  SchedulerStats s = scheduler_->stats();
  out.push_back(CounterFamily("attempts_started_total", "Attempts started.", s.started));
  out.push_back(CounterFamily("tasks_succeeded_total", "Tasks that succeeded.", s.succeeded));
  out.push_back(
      CounterFamily("attempts_failed_total", "Attempts that failed (retried or dead).", s.failed));
  out.push_back(CounterFamily("retries_total", "Failed attempts that will be retried.", s.retried));
  out.push_back(CounterFamily("tasks_dead_total", "Tasks that went dead.", s.dead));
  out.push_back(CounterFamily("attempts_yielded_total", "Attempts that yielded.", s.yielded));
  out.push_back(CounterFamily("timeouts_total", "Attempts recorded as timed out.", s.timed_out));
  out.push_back(CounterFamily("rejected_results_total", "Late results refused by the lease token.",
                              s.rejected_results));
  out.push_back(CounterFamily("store_errors_total", "Store calls that failed.", s.store_errors));
  out.push_back(CounterFamily("schedule_ticks_fired_total", "Schedule ticks that enqueued a task.",
                              s.ticks_fired));
  out.push_back(CounterFamily("schedule_ticks_failed_total",
                              "Tries to enqueue a schedule tick that the store refused (retried).",
                              s.ticks_failed));
  out.push_back(CounterFamily("schedule_ticks_skipped_total",
                              "Schedule ticks dropped (misfired or overlapping).",
                              s.ticks_skipped));
  out.push_back(CounterFamily("fenced_writes_total",
                              "Leader writes refused because a newer leader exists.",
                              s.fenced_writes));
  out.push_back(
      CounterFamily("leaderships_total", "Times this node became leader.", s.leaderships));
  out.push_back(HistogramFamily("start_latency_seconds", "From ready to the start of an attempt.",
                                s.start_latency));
  out.push_back(HistogramFamily("run_time_seconds", "Handler run time.", s.run_time));
  out.push_back(HistogramFamily("timer_lateness_seconds", "Timer fire time minus due time.",
                                s.timer_lateness));
  return out;
}

std::string RenderMetrics(const prometheus::Collectable& collectable) {
  return prometheus::TextSerializer().Serialize(collectable.Collect());
}

}  // namespace taskly::server
