// JSON forms of what the scheduler reports about itself: the schedulability analysis
// (GET /v1/analysis), counters and latency histograms (GET /v1/stats), the workers
// (GET /v1/workers) and the cluster (GET /v1/cluster). Durations are written as the codec's
// duration strings ("1h30m", "250ms"), times as its RFC 3339 strings, like everywhere else in the
// API. docs/api.md shows each form.
//
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "codec/json_codec.h"
#include "taskly/analysis.h"
#include "taskly/histogram.h"
#include "taskly/scheduler.h"

namespace taskly::server {

using codec::Json;

// {"pools": [PoolReport...]}. A PoolReport: {"pool", "slots", "utilization", "density",
// "ll_bound", "deadline_monotonic", "rms_ll_pass", "rms", "edf" (VerdictName), "tasks":
// [{"name", "period", "wcet", "deadline", "utilization", "density", "priority",
// "response_time" (absent when not proven within the deadline), "meets_deadline_rms",
// "meets_deadline_edf"}], "at_risk": [{"name", "reason"}], "explanation"}.
Json AnalysisToJson(const std::vector<PoolReport>& pools);

// {"count", "sum", "p50", "p90", "p99", "max"}: durations but the count.
Json HistogramToJson(const HistogramSnapshot& h);

// {"started", "succeeded", "failed", "retried", "dead", "yielded", "timed_out",
// "rejected_results", "store_errors", "ticks_fired", "ticks_skipped", "fenced_writes",
// "leaderships", "start_latency", "run_time", "timer_lateness"}: counters, and histograms as
// HistogramToJson.
Json StatsToJson(const SchedulerStats& stats);

// {"id", "busy", "waiting"}, plus "task" and "since" when busy.
Json WorkerToJson(const WorkerInfo& worker);

// {"self", "leading", "leader": {"node" (null when no one leads), "term", "expires_at" (absent
// before the first leader)}, "nodes": [NodeToJson...]}.
Json ClusterToJson(const ClusterView& cluster);

// {"id", "role", "host", "pid", "api" (absent for workers), "queues", "slots", "running": [task
// ids], "started_at", "last_seen"}.
Json NodeToJson(const NodeInfo& node);

}  // namespace taskly::server
