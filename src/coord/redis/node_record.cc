#include "coord/redis/node_record.h"

#include "codec/bounded_json.h"
#include "codec/json_codec.h"

namespace taskly::redis {
namespace {

using codec::Json;

Status Bad(const std::string& what) {
  return Status(StatusCode::kInternal, "redis: unreadable node record: " + what);
}

}  // namespace

std::string EncodeNode(const NodeInfo& node) {
  Json j = {{"id", node.id},
            {"role", node.role},
            {"host", node.host},
            {"pid", node.pid},
            {"api", node.api},
            {"queues", node.queues},
            {"slots", node.slots},
            {"running", node.running},
            {"started_at", codec::FormatTime(node.started_at)},
            {"last_seen", codec::FormatTime(node.last_seen)}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<NodeInfo> DecodeNode(const std::string& json) {
  Json j = codec::ParseBoundedJson(json);
  if (!j.is_object()) return Bad("not a JSON object");
  NodeInfo n;
  // The record is ours: a wrong type is corruption, reported rather than thrown.
  auto str = [&](const char* f, std::string& out) {
    auto it = j.find(f);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  auto strings = [&](const char* f, std::vector<std::string>& out) {
    auto it = j.find(f);
    if (it == j.end() || !it->is_array()) return false;
    for (const Json& e : *it) {
      if (!e.is_string()) return false;
      out.push_back(e.get<std::string>());
    }
    return true;
  };
  auto integer = [&](const char* f, int64_t& out) {
    auto it = j.find(f);
    if (it == j.end() || !it->is_number_integer()) return false;
    out = it->get<int64_t>();
    return true;
  };
  auto time = [&](const char* f, TimePoint& out) {
    std::string text;
    if (!str(f, text)) return false;
    Result<TimePoint> t = codec::ParseTime(text, f);
    if (!t.ok()) return false;
    out = *t;
    return true;
  };
  int64_t slots = 0;
  if (!str("id", n.id) || !str("role", n.role) || !str("host", n.host) || !integer("pid", n.pid) ||
      !str("api", n.api) || !strings("queues", n.queues) || !integer("slots", slots) ||
      !strings("running", n.running) || !time("started_at", n.started_at) ||
      !time("last_seen", n.last_seen)) {
    return Bad(json.substr(0, 200));
  }
  n.slots = static_cast<int32_t>(slots);
  return n;
}

}  // namespace taskly::redis
