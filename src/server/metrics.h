// GET /metrics: the scheduler's state in the Prometheus text exposition format, built at scrape
// time from Store::queues(), Scheduler::cluster() and Scheduler::stats() (nothing is kept
// between scrapes).
//
// Families (all prefixed taskly_):
//   tasks{queue,state}                 gauge    tasks in each state now (terminal ones until
//                                               retention deletes them)
//   queue_paused{queue}                gauge    1 when the queue is paused
//   deadline_misses_total{queue}       counter  tasks that expired before they could start
//   attempts_started_total, tasks_succeeded_total, attempts_failed_total, retries_total,
//   tasks_dead_total, attempts_yielded_total, timeouts_total, rejected_results_total,
//   store_errors_total, schedule_ticks_fired_total, schedule_ticks_skipped_total,
//   fenced_writes_total, leaderships_total
//                                      counters since the scheduler started
//   cluster_leader                     gauge    1 when this node leads
//   cluster_term                       gauge    the current (or last) leadership's term
//   cluster_nodes                      gauge    live nodes
//   start_latency_seconds, run_time_seconds, timer_lateness_seconds
//                                      histograms with the fixed `le` bounds kLatencyBounds
// A histogram bucket counts the values of the scheduler's own (log-linear) buckets that lie
// wholly at or below its `le` (HistogramSnapshot::count_at_or_below): a value within 3.1% below
// a bound may be counted in the next bucket up. _sum and _count are exact.
//
// If the store cannot list its queues, the per-queue families are left out of that scrape (and
// the failure is logged), and so are the cluster gauges when the coordinator cannot be read;
// the scheduler's counters are still reported.
//
// Thread-safety: Collect() may run concurrently from several threads.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <string>
#include <vector>

#include "taskly/clock.h"
#include "taskly/scheduler.h"

namespace taskly::server {

// The `le` bounds of the latency histograms: 1us to 60s.
extern const std::array<Duration, 18> kLatencyBounds;

class MetricsCollector final : public prometheus::Collectable {
 public:
  // `scheduler` must outlive the collector.
  explicit MetricsCollector(Scheduler& scheduler) : scheduler_(&scheduler) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  Scheduler* scheduler_;
};

// The text exposition (version 0.0.4) of `collectable`'s families.
std::string RenderMetrics(const prometheus::Collectable& collectable);

}  // namespace taskly::server
