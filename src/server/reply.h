// What a route answers: an HTTP status, a body and its type, and extra headers; with the error
// form every 4xx/5xx of the API shares, {"error": {"code", "message", "field"}}, and the one
// place where a Status becomes an HTTP status.
//
// Thread-safety: values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/json_codec.h"
#include "codec/raw_json.h"
#include "taskly/status.h"

namespace taskly::server {

using codec::Json;

struct Reply {
  int status = 200;
  std::string body;
  // When set, the body is this file's content instead, streamed from disk; the file is a
  // temporary one the reply owns, deleted (with its directory) once sent or abandoned.
  std::string file;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// `body` serialized compactly by codec::DumpJson: payloads kept as raw values are written as
// sent, and invalid UTF-8 in strings (echoed ids or names) is replaced by U+FFFD, so this never
// throws.
Reply JsonReply(int status, const Json& body);
using codec::DumpJson;

// {"error": {"code": code, "message": message, "field": field}} ("field" is "" when the error is
// about no one input).
Reply ErrorReply(int status, std::string_view code, std::string_view message,
                 std::string_view field = {});

// A Status as HTTP: InvalidArgument 400, NotFound 404, AlreadyExists and FailedPrecondition 409,
// ResourceExhausted 429, Unavailable 503, anything else 500 "internal" (logged at error level;
// the reply carries the status message only). `field`, when given, replaces an empty field of
// `s` (stores name no field for an unknown id; the route knows it was "id").
Reply ErrorReply(const Status& s, std::string_view field = {});

// 413 "too_large" naming `field`.
Reply TooLarge(std::string_view field, std::string_view message);

}  // namespace taskly::server
