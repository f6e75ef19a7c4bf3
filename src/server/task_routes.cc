// /v1/tasks: submit one or a batch, list with filters and paging, get, cancel, retry.
#include <charconv>
#include <span>

#include "server/request.h"
#include "server/routes.h"

namespace taskly::server {
namespace {

constexpr size_t kMaxBatch = 1000;
constexpr int32_t kMaxPageLimit = 1000;

Json ResultToJson(const EnqueueResult& r) { return {{"id", r.id}, {"created", r.created}}; }

Reply Submit(const ApiRequest& req, ApiContext& ctx) {
  Result<Json> body = ParseJsonObject(req.body);
  if (!body.ok()) return ErrorReply(body.status());
  // "delay" counts from the API server's clock: Scheduler does not expose its own.
  Result<TaskSpec> spec = codec::TaskSpecFromJson(*body, ctx.scheduler.clock().now());
  if (!spec.ok()) return ErrorReply(spec.status());
  if (auto r = PayloadTooLarge(spec->payload, ctx.options, "payload")) return *r;
  Result<std::vector<EnqueueResult>> r = ctx.scheduler.enqueue(std::span(&*spec, 1));
  if (!r.ok()) return ErrorReply(r.status());
  const EnqueueResult& result = r->front();
  return JsonReply(result.created ? 201 : 200, ResultToJson(result));
}

Reply SubmitBatch(const ApiRequest& req, ApiContext& ctx) {
  Result<Json> body = ParseJsonObject(req.body);
  if (!body.ok()) return ErrorReply(body.status());
  for (const auto& [key, value] : body->items()) {
    if (key != "tasks") return ErrorReply(InvalidArgument(key, "unknown field"));
  }
  if (!body->contains("tasks") || body->at("tasks").is_null()) {
    return ErrorReply(InvalidArgument("tasks", "is required"));
  }
  const Json& tasks = body->at("tasks");
  if (!tasks.is_array()) return ErrorReply(InvalidArgument("tasks", "must be an array"));
  if (tasks.empty() || tasks.size() > kMaxBatch) {
    return ErrorReply(InvalidArgument("tasks", "must hold 1 to " + std::to_string(kMaxBatch) +
                                                   " tasks, not " + std::to_string(tasks.size())));
  }
  std::vector<TaskSpec> specs;
  specs.reserve(tasks.size());
  TimePoint now = ctx.scheduler.clock().now();
  for (size_t i = 0; i < tasks.size(); ++i) {
    std::string prefix = "tasks[" + std::to_string(i) + "].";
    Result<TaskSpec> spec = codec::TaskSpecFromJson(tasks[i], now, prefix);
    if (!spec.ok()) return ErrorReply(spec.status());
    if (auto r = PayloadTooLarge(spec->payload, ctx.options, prefix + "payload")) return *r;
    specs.push_back(std::move(*spec));
  }
  Result<std::vector<EnqueueResult>> r = ctx.scheduler.enqueue(specs);
  if (!r.ok()) return ErrorReply(r.status());
  Json results = Json::array();
  for (const EnqueueResult& result : *r) results.push_back(ResultToJson(result));
  return JsonReply(201, {{"results", std::move(results)}});
}

// "1".."1000", digits only.
Result<int32_t> ParseLimit(const std::string& text) {
  int32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > kMaxPageLimit) {
    return InvalidArgument("limit",
                           "must be an integer from 1 to " + std::to_string(kMaxPageLimit));
  }
  return value;
}

Reply List(const ApiRequest& req, ApiContext& ctx) {
  TaskFilter filter;
  PageRequest page;
  if (auto v = QueryValue(req.query, "state")) {
    Result<TaskState> state = ParseTaskState(*v, "state");
    if (!state.ok()) return ErrorReply(state.status());
    filter.state = *state;
  }
  if (auto v = QueryValue(req.query, "queue")) {
    if (Status s = ValidateName(*v, "queue"); !s.ok()) return ErrorReply(s);
    filter.queue = *v;
  }
  if (auto v = QueryValue(req.query, "type")) {
    if (Status s = ValidateName(*v, "type"); !s.ok()) return ErrorReply(s);
    filter.type = *v;
  }
  if (auto v = QueryValue(req.query, "label")) {
    // Label keys are names ([A-Za-z0-9_.:-]), values any text: the first ':' ends the key, so
    // a key that itself holds a ':' cannot be filtered on.
    size_t colon = v->find(':');
    if (colon == std::string::npos) {
      return ErrorReply(InvalidArgument("label", "must be KEY:VALUE"));
    }
    filter.label_key = v->substr(0, colon);
    filter.label_value = v->substr(colon + 1);
    if (Status s = ValidateName(filter.label_key, "label"); !s.ok()) return ErrorReply(s);
  }
  if (auto v = QueryValue(req.query, "after")) page.after = *v;
  if (auto v = QueryValue(req.query, "limit")) {
    Result<int32_t> limit = ParseLimit(*v);
    if (!limit.ok()) return ErrorReply(limit.status());
    page.limit = *limit;
  }
  Result<TaskPage> r = ctx.scheduler.store().list(filter, page);
  if (!r.ok()) return ErrorReply(r.status());
  Json tasks = Json::array();
  for (const Task& t : r->tasks) tasks.push_back(codec::TaskToJson(t));
  Json out = {{"tasks", std::move(tasks)}};
  if (!r->next.empty()) out["next"] = r->next;
  return JsonReply(200, out);
}

Reply TaskReply(ApiContext& ctx, const TaskId& id) {
  Result<Task> task = ctx.scheduler.get(id);
  if (!task.ok()) return ErrorReply(task.status(), "id");
  return JsonReply(200, codec::TaskToJson(*task));
}

}  // namespace

void AddTaskRoutes(Router& router, ApiContext& ctx) {
  router.Add("POST", "/v1/tasks", [&ctx](const ApiRequest& req) { return Submit(req, ctx); });
  router.Add("GET", "/v1/tasks", [&ctx](const ApiRequest& req) { return List(req, ctx); },
             {"state", "queue", "type", "label", "after", "limit"});
  router.Add("POST", "/v1/tasks/batch",
             [&ctx](const ApiRequest& req) { return SubmitBatch(req, ctx); });
  router.Add("GET", "/v1/tasks/{id}",
             [&ctx](const ApiRequest& req) { return TaskReply(ctx, req.param("id")); });
  router.Add("POST", "/v1/tasks/{id}/cancel", [&ctx](const ApiRequest& req) {
    // Through the scheduler, so that a running attempt's stop token is requested.
    if (Status s = ctx.scheduler.cancel(req.param("id")); !s.ok()) return ErrorReply(s, "id");
    return TaskReply(ctx, req.param("id"));
  });
  router.Add("POST", "/v1/tasks/{id}/retry", [&ctx](const ApiRequest& req) {
    if (Status s = ctx.scheduler.retry(req.param("id")); !s.ok()) return ErrorReply(s, "id");
    return TaskReply(ctx, req.param("id"));
  });
}

}  // namespace taskly::server
