// Reading a request's inputs strictly: the JSON body and the query parameters. Every failure is
// InvalidArgument naming what to fix ("body", or the parameter's name).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/api_server.h"
#include "server/router.h"
#include "taskly/status.h"

namespace taskly::server {

// The body as a JSON object, parsed by codec::ParseStrictJson. Malformed JSON (an empty body
// included): field "body", the message giving the parse error's position; nesting deeper than 64
// levels: field "body"; any other JSON value: field "body", "must be a JSON object". A duplicate
// key, a number out of a double's range, or a number in a payload that would not be written back
// as it was sent: InvalidArgument naming its path ("tasks[0].payload.n").
Result<Json> ParseJsonObject(const std::string& body);

// Refuses a parameter not in `known` ("unknown query parameter") and one given more than once.
Status CheckQuery(const QueryParams& query, const std::vector<std::string>& known);

// 413 "too_large" naming `field` when a task's `payload` is over options.max_payload_bytes.
std::optional<Reply> PayloadTooLarge(const std::string& payload, const ApiOptions& options,
                                     const std::string& field);

// The value of parameter `name`, if given. REQUIRES: CheckQuery passed (given at most once).
std::optional<std::string> QueryValue(const QueryParams& query, const std::string& name);

}  // namespace taskly::server
