// Strict parsing of JSON that users send (request bodies, a CLI's --payload, a command task's
// payload). Beyond the syntax, it refuses what nlohmann::json::parse accepts silently:
//   - a key given twice in one object (parse keeps the last): "duplicate key", naming its path;
//   - a number beyond a double's range (1e999; parse throws out_of_range): "number out of
//     range", naming its path;
//   - optionally, a number that would not come back as it was written: floating-point numbers
//     and integers beyond 64 bits are kept as doubles, and a double is written back in its
//     shortest form (123456789012345678901234567890 as 1.2345678901234568e+29, 1.50 as 1.5,
//     1e2 as 100.0);
//   - documents nested deeper than `max_depth` (destroying or writing one recurses per level).
// Every error is InvalidArgument; paths are written as in the codec ("tasks[2].payload.n").
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

#include "codec/json_codec.h"

namespace taskly::codec {

struct StrictJsonOptions {
  // Names the document in errors about it as a whole (malformed, too deep).
  std::string field = "body";
  int max_depth = 64;
  // Where numbers must be written exactly as they would be written back (see above).
  enum class ExactNumbers { kNowhere, kInPayloads, kEverywhere };
  // kInPayloads: inside the value of any member named "payload".
  ExactNumbers exact_numbers = ExactNumbers::kNowhere;
};

Result<Json> ParseStrictJson(std::string_view text, const StrictJsonOptions& options = {});

}  // namespace taskly::codec
