// /v1/schedules: list, add, get, replace, remove, pause and resume, all through the Scheduler's
// schedule methods.
#include <spdlog/spdlog.h>

#include "server/request.h"
#include "server/routes.h"

namespace taskly::server {
namespace {

// The body as a ScheduleSpec; `path_id`, when given, is the id of the schedule the request is
// about: the body's "id" may be left out and otherwise must equal it.
Result<ScheduleSpec> ParseSpec(const ApiRequest& req, const std::string* path_id) {
  Result<Json> body = ParseJsonObject(req.body);
  if (!body.ok()) return body.status();
  if (path_id != nullptr) {
    auto it = body->find("id");
    if (it == body->end() || it->is_null()) {
      (*body)["id"] = *path_id;
    } else if (it->is_string() && it->get<std::string>() != *path_id) {
      return InvalidArgument("id", "must be the id in the path (" + *path_id + ") or left out");
    }
  }
  return codec::ScheduleSpecFromJson(*body);
}

Reply InfoReply(ApiContext& ctx, const std::string& id, int status = 200) {
  Result<ScheduleInfo> info = ctx.scheduler.schedule(id);
  if (!info.ok()) return ErrorReply(info.status(), "id");
  return JsonReply(status, codec::ScheduleInfoToJson(*info));
}

Reply List(ApiContext& ctx) {
  Json out = Json::array();
  for (const ScheduleInfo& info : ctx.scheduler.schedules()) {
    out.push_back(codec::ScheduleInfoToJson(info));
  }
  return JsonReply(200, {{"schedules", std::move(out)}});
}

Reply Add(const ApiRequest& req, ApiContext& ctx) {
  Result<ScheduleSpec> spec = ParseSpec(req, nullptr);
  if (!spec.ok()) return ErrorReply(spec.status());
  if (auto r = PayloadTooLarge(spec->task.payload, ctx.options, "task.payload")) return *r;
  std::lock_guard lock(ctx.schedule_writes);
  if (Status s = ctx.scheduler.add_schedule(*spec); !s.ok()) return ErrorReply(s);
  return InfoReply(ctx, spec->id, 201);
}

// Replace is remove + add (the Scheduler has no update): the new definition starts afresh
// (cursor at now, counters at zero). If the add fails the old definition is put back, so a
// refused replacement changes nothing a user can see but those counters.
Reply Replace(const ApiRequest& req, ApiContext& ctx) {
  const std::string& id = req.param("id");
  Result<ScheduleSpec> spec = ParseSpec(req, &id);
  if (!spec.ok()) return ErrorReply(spec.status());
  if (auto r = PayloadTooLarge(spec->task.payload, ctx.options, "task.payload")) return *r;
  std::lock_guard lock(ctx.schedule_writes);
  Result<ScheduleInfo> old = ctx.scheduler.schedule(id);
  if (!old.ok()) return ErrorReply(old.status(), "id");
  if (Status s = ctx.scheduler.remove_schedule(id); !s.ok()) return ErrorReply(s, "id");
  if (Status s = ctx.scheduler.add_schedule(*spec); !s.ok()) {
    if (Status restored = ctx.scheduler.add_schedule(old->spec); !restored.ok()) {
      spdlog::error(
          "api: schedule {} was removed to be replaced, and neither the new nor the old "
          "definition could be added back: {}",
          id, restored.ToString());
    }
    return ErrorReply(s);
  }
  return InfoReply(ctx, id);
}

Reply Remove(const ApiRequest& req, ApiContext& ctx) {
  std::lock_guard lock(ctx.schedule_writes);
  if (Status s = ctx.scheduler.remove_schedule(req.param("id")); !s.ok()) {
    return ErrorReply(s, "id");
  }
  return Reply{.status = 204, .content_type = ""};
}

Reply Pause(const ApiRequest& req, ApiContext& ctx, bool paused) {
  const std::string& id = req.param("id");
  if (Status s = ctx.scheduler.pause_schedule(id, paused); !s.ok()) return ErrorReply(s, "id");
  return InfoReply(ctx, id);
}

}  // namespace

void AddScheduleRoutes(Router& router, ApiContext& ctx) {
  router.Add("GET", "/v1/schedules", [&ctx](const ApiRequest&) { return List(ctx); });
  router.Add("POST", "/v1/schedules", [&ctx](const ApiRequest& req) { return Add(req, ctx); });
  router.Add("GET", "/v1/schedules/{id}",
             [&ctx](const ApiRequest& req) { return InfoReply(ctx, req.param("id")); });
  router.Add("PUT", "/v1/schedules/{id}",
             [&ctx](const ApiRequest& req) { return Replace(req, ctx); });
  router.Add("DELETE", "/v1/schedules/{id}",
             [&ctx](const ApiRequest& req) { return Remove(req, ctx); });
  router.Add("POST", "/v1/schedules/{id}/pause",
             [&ctx](const ApiRequest& req) { return Pause(req, ctx, true); });
  router.Add("POST", "/v1/schedules/{id}/resume",
             [&ctx](const ApiRequest& req) { return Pause(req, ctx, false); });
}

}  // namespace taskly::server
