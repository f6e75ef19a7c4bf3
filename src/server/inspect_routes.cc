// What the scheduler says about itself: workers, the cluster, stats, the schedulability
// analysis, the Prometheus metrics, and the health checks.
#include "server/inspect_json.h"
#include "server/routes.h"

namespace taskly::server {

void AddInspectRoutes(Router& router, ApiContext& ctx) {
  router.Add("GET", "/healthz", [](const ApiRequest&) {
    return JsonReply(200, {{"status", "ok"}});
  });
  router.Add("GET", "/readyz", [&ctx](const ApiRequest&) {
    Status s = ctx.ready ? ctx.ready() : Status();
    if (!s.ok()) return ErrorReply(503, "unavailable", s.message(), s.field());
    return JsonReply(200, {{"ready", true}});
  });
  router.Add("GET", "/v1/workers", [&ctx](const ApiRequest&) {
    Json out = Json::array();
    for (const WorkerInfo& w : ctx.scheduler.workers()) out.push_back(WorkerToJson(w));
    return JsonReply(200, {{"workers", std::move(out)}});
  });
  router.Add("GET", "/v1/cluster", [&ctx](const ApiRequest&) {
    Result<ClusterView> cluster = ctx.scheduler.cluster();
    if (!cluster.ok()) return ErrorReply(cluster.status());
    return JsonReply(200, ClusterToJson(*cluster));
  });
  router.Add("GET", "/v1/stats", [&ctx](const ApiRequest&) {
    return JsonReply(200, StatsToJson(ctx.scheduler.stats()));
  });
  router.Add("GET", "/v1/analysis", [&ctx](const ApiRequest&) {
    Result<std::vector<PoolReport>> pools = ctx.scheduler.analyze();
    if (!pools.ok()) return ErrorReply(pools.status());
    return JsonReply(200, AnalysisToJson(*pools));
  });
  router.Add("GET", "/metrics", [&ctx](const ApiRequest&) {
    return Reply{.body = RenderMetrics(ctx.metrics),
                 .content_type = "text/plain; version=0.0.4; charset=utf-8"};
  });
}

}  // namespace taskly::server
