// How the API's JSON documents (docs/api.md) are shown to people: tables and key/value blocks
// built from the JSON forms of tasks, schedules, queues, workers, the cluster, stats and the
// analysis.
// Rendering is lenient: a missing member prints as "-", so a newer server's extra or absent
// fields never break the CLI. (--json prints the documents as the server sent them.)
//
// Thread-safety: pure functions writing to the given stream.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace taskly::cli {

using Json = nlohmann::json;

// Member `key` of `j` as text: strings as they are, numbers and booleans as JSON, other
// values compact JSON; `fallback` when absent or null.
std::string Field(const Json& j, const std::string& key, const std::string& fallback = "-");

void PrintJson(std::ostream& out, const Json& j);

void PrintTaskTable(std::ostream& out, const Json& tasks);  // an array of Task
void PrintTask(std::ostream& out, const Json& task);        // one Task in detail
void PrintScheduleTable(std::ostream& out, const Json& schedules);
void PrintSchedule(std::ostream& out, const Json& info);
void PrintQueueTable(std::ostream& out, const Json& queues);
void PrintWorkerTable(std::ostream& out, const Json& workers);
// The leader line, then the nodes (the leader's id marked " *").
void PrintCluster(std::ostream& out, const Json& cluster);
void PrintStats(std::ostream& out, const Json& stats);
void PrintAnalysis(std::ostream& out, const Json& report);

}  // namespace taskly::cli
