// Internal to the codec: the TaskSpec members, read in the three places a spec appears.
//
// Thread-safety: pure functions.
#pragma once

#include "codec/field_reader.h"
#include "codec/json_codec.h"

namespace taskly::codec::internal {

enum class SpecSource {
  kUser,      // a submitted task: strict, "delay" allowed, no schedule fields
  kTemplate,  // a schedule's task: strict, no run_at, delay or schedule fields
  kStored,    // a store's document: unknown members ignored, schedule fields read, no delay
};

// Reads the TaskSpec members of `r`'s object into *spec (absent members keep its values); "type"
// is required. Does not run ValidateTaskSpec. `now` is used for "delay" only.
void ReadTaskSpec(FieldReader& r, SpecSource source, TimePoint now, TaskSpec* spec);

}  // namespace taskly::codec::internal
