// The API's routes, grouped by resource; each Add*Routes registers its group on a Router. What
// the handlers share is the ApiContext. The contract of every route is docs/api.md.
//
// Thread-safety: handlers run concurrently on the server's threads; what they share is guarded
// here or thread-safe (Scheduler, Store).
#pragma once

#include <functional>
#include <mutex>

#include "server/api_server.h"
#include "server/metrics.h"
#include "server/router.h"

namespace taskly::server {

struct ApiContext {
  ApiContext(Scheduler& s, const ApiOptions& o, std::function<Status()> r)
      : scheduler(s), options(o), ready(std::move(r)), metrics(s) {}

  Scheduler& scheduler;
  const ApiOptions options;
  const std::function<Status()> ready;  // empty: always ready
  MetricsCollector metrics;
  // Replacing a schedule is a remove and an add, and updating a queue reads its config before
  // writing the merged one: each is serialized so that two requests cannot interleave.
  std::mutex schedule_writes;
  std::mutex queue_writes;
};

// /v1/tasks, /v1/tasks/batch, /v1/tasks/{id}, /v1/tasks/{id}/cancel, /v1/tasks/{id}/retry.
void AddTaskRoutes(Router& router, ApiContext& ctx);
// /v1/schedules, /v1/schedules/{id}, /v1/schedules/{id}/pause, /v1/schedules/{id}/resume.
void AddScheduleRoutes(Router& router, ApiContext& ctx);
// /v1/queues, /v1/queues/{name}, /v1/queues/{name}/pause, /v1/queues/{name}/resume.
void AddQueueRoutes(Router& router, ApiContext& ctx);
// /v1/workers, /v1/cluster, /v1/stats, /v1/analysis, /metrics, /healthz, /readyz.
void AddInspectRoutes(Router& router, ApiContext& ctx);
// /v1/backup.
void AddBackupRoutes(Router& router, ApiContext& ctx);

}  // namespace taskly::server
