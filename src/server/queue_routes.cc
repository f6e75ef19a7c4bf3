// /v1/queues: stats, limits (a partial QueueConfig), pause and resume.
#include "server/request.h"
#include "server/routes.h"

namespace taskly::server {
namespace {

// The queue `name` as the store reports it; NotFound naming "name" when there is none.
Result<QueueInfo> FindQueue(ApiContext& ctx, const std::string& name) {
  Result<std::vector<QueueInfo>> queues = ctx.scheduler.store().queues();
  if (!queues.ok()) return queues.status();
  for (QueueInfo& q : *queues) {
    if (q.name == name) return std::move(q);
  }
  return Status(StatusCode::kNotFound, "queue " + name + " not found", "name");
}

Reply InfoReply(ApiContext& ctx, const std::string& name) {
  Result<QueueInfo> info = FindQueue(ctx, name);
  if (!info.ok()) return ErrorReply(info.status());
  return JsonReply(200, codec::QueueInfoToJson(*info));
}

Reply List(ApiContext& ctx) {
  Result<std::vector<QueueInfo>> queues = ctx.scheduler.store().queues();
  if (!queues.ok()) return ErrorReply(queues.status());
  Json out = Json::array();
  for (const QueueInfo& q : *queues) out.push_back(codec::QueueInfoToJson(q));
  return JsonReply(200, {{"queues", std::move(out)}});
}

// The fields given are applied over the queue's current config (the defaults for a new queue,
// which this creates).
Reply Update(const ApiRequest& req, ApiContext& ctx) {
  const std::string& name = req.param("name");
  if (Status s = ValidateName(name, "name"); !s.ok()) return ErrorReply(s);
  Result<Json> body = ParseJsonObject(req.body);
  if (!body.ok()) return ErrorReply(body.status());
  std::lock_guard lock(ctx.queue_writes);
  QueueConfig base;
  if (Result<QueueInfo> current = FindQueue(ctx, name); current.ok()) {
    base = current->config;
  } else if (current.status().code() != StatusCode::kNotFound) {
    return ErrorReply(current.status());
  }
  Result<QueueConfig> config = codec::QueueConfigFromJson(*body, base);
  if (!config.ok()) return ErrorReply(config.status());
  if (Status s = ctx.scheduler.set_queue(name, *config); !s.ok()) return ErrorReply(s);
  return InfoReply(ctx, name);
}

Reply Pause(const ApiRequest& req, ApiContext& ctx, bool paused) {
  const std::string& name = req.param("name");
  Status s = paused ? ctx.scheduler.pause_queue(name) : ctx.scheduler.resume_queue(name);
  if (!s.ok()) return ErrorReply(s, "name");
  return InfoReply(ctx, name);
}

}  // namespace

void AddQueueRoutes(Router& router, ApiContext& ctx) {
  router.Add("GET", "/v1/queues", [&ctx](const ApiRequest&) { return List(ctx); });
  router.Add("GET", "/v1/queues/{name}",
             [&ctx](const ApiRequest& req) { return InfoReply(ctx, req.param("name")); });
  router.Add("PATCH", "/v1/queues/{name}",
             [&ctx](const ApiRequest& req) { return Update(req, ctx); });
  router.Add("POST", "/v1/queues/{name}/pause",
             [&ctx](const ApiRequest& req) { return Pause(req, ctx, true); });
  router.Add("POST", "/v1/queues/{name}/resume",
             [&ctx](const ApiRequest& req) { return Pause(req, ctx, false); });
}

}  // namespace taskly::server
