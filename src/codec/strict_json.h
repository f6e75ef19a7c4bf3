// Strict parsing of JSON that users send (request bodies, a CLI's --payload, a command task's
// payload). Beyond the syntax, it refuses what nlohmann::json::parse accepts silently:
//   - a key given twice in one object (parse keeps the last): "duplicate key", naming its path;
//   - a number beyond a double's range (1e999; parse throws out_of_range): "number out of
//     range", naming its path;
//   - documents nested deeper than `max_depth` (destroying or writing one recurses per level).
// Optionally it keeps numbers exactly as written (`exact_numbers`): where asked, a value holding
// a number that dump() would write differently (123456789012345678901234567890, 1.50, 1e2) is
// returned as a raw value (codec/raw_json.h) holding the value's compact text, numbers as
// written; values whose numbers all come back as written stay ordinary JSON.
// Every error is InvalidArgument; paths are written as in the codec ("tasks[2].payload.n").
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

#include "codec/json_codec.h"
#include "codec/raw_json.h"

namespace taskly::codec {

struct StrictJsonOptions {
  // Names the document in errors about it as a whole (malformed, too deep).
  std::string field = "body";
  int max_depth = 64;
  // Where numbers are kept exactly as written (see above). kInPayloads: the value of each member
  // named "payload" (the outermost, when payloads nest); kEverywhere: the whole document.
  enum class ExactNumbers { kNowhere, kInPayloads, kEverywhere };
  ExactNumbers exact_numbers = ExactNumbers::kNowhere;
};

Result<Json> ParseStrictJson(std::string_view text, const StrictJsonOptions& options = {});

}  // namespace taskly::codec
