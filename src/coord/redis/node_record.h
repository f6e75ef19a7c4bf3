// How the Redis coordinator stores a NodeInfo: one JSON object {"id", "role", "host", "pid",
// "api", "queues", "slots", "running", "started_at", "last_seen"}, times in RFC 3339
// (codec::FormatTime), so that an operator reading Redis sees what a node said.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "taskly/coordinator.h"
#include "taskly/status.h"

namespace taskly::redis {

std::string EncodeNode(const NodeInfo& node);
// kInternal naming the problem when `json` is not what EncodeNode writes.
Result<NodeInfo> DecodeNode(const std::string& json);

}  // namespace taskly::redis
