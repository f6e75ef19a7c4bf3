// Fuzz target: the JSON codecs of what users send (src/codec/json_codec.h, src/exec/
// command_json.h) and their scalars.
//
// Input: one byte choosing the decoder (see Decoder), then the text it reads: JSON for the
// documents, the bare text for a duration or a time.
//
// The JSON is read as the API reads a body (ParseStrictJson, payload numbers kept as written) and
// written as the API writes an answer (DumpJson).
//
// Checked: nothing throws or crashes; a refusal is InvalidArgument with a message; a decoded
// value encodes to JSON that serializes, decodes again, and encodes to the same JSON (for the
// scalars: format, parse back to the same value, and format the same text).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codec/json_codec.h"
#include "codec/raw_json.h"
#include "codec/strict_json.h"
#include "exec/command_json.h"

namespace {

using taskly::Result;
using taskly::Status;
using taskly::StatusCode;
using taskly::TimePoint;
namespace codec = taskly::codec;
using codec::Json;

// As ParseJsonObject (src/server/request.cc).
const codec::StrictJsonOptions kAsTheApiReads{
    .field = "body",
    .max_depth = 64,
    .exact_numbers = codec::StrictJsonOptions::ExactNumbers::kInPayloads};

// The decoders, by the input's first byte (a readable letter, or any byte modulo the count).
enum class Decoder {
  kTaskSpec,
  kTask,
  kScheduleSpec,
  kQueueConfig,
  kCommandSpec,
  kDuration,
  kTime
};
constexpr int kDecoders = 7;

Decoder Pick(uint8_t b) {
  switch (b) {
    case 't':
      return Decoder::kTaskSpec;
    case 'T':
      return Decoder::kTask;
    case 's':
      return Decoder::kScheduleSpec;
    case 'q':
      return Decoder::kQueueConfig;
    case 'c':
      return Decoder::kCommandSpec;
    case 'd':
      return Decoder::kDuration;
    case 'z':
      return Decoder::kTime;
    default:
      return static_cast<Decoder>(b % kDecoders);
  }
}

[[noreturn]] void Fail(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "json_codec_fuzz: %s\n%s\n", what.c_str(), detail.c_str());
  std::abort();
}

void CheckRefusal(const Status& s) {
  if (s.code() != StatusCode::kInvalidArgument || s.message().empty()) {
    Fail("a refusal that is not InvalidArgument with a message", s.ToString());
  }
}

// decode(encode(v)) succeeds and encodes to the same JSON.
template <typename T, typename Decode, typename Encode>
void RoundTrip(const Json& input, Decode decode, Encode encode) {
  Result<T> first = decode(input);
  if (!first.ok()) return CheckRefusal(first.status());
  const std::string text = codec::DumpJson(encode(*first));
  Result<Json> parsed = codec::ParseStrictJson(text, kAsTheApiReads);
  if (!parsed.ok()) Fail("its own encoding does not parse: " + parsed.status().ToString(), text);
  Result<T> second = decode(*parsed);
  if (!second.ok()) Fail("its own encoding is refused: " + second.status().ToString(), text);
  const std::string again = codec::DumpJson(encode(*second));
  if (again != text) Fail("the encoding is not stable", text + "\n" + again);
}

template <typename T, typename Parse, typename Format>
void ScalarRoundTrip(std::string_view text, Parse parse, Format format) {
  Result<T> value = parse(text, "x");
  if (!value.ok()) return CheckRefusal(value.status());
  const std::string formatted = format(*value);
  Result<T> back = parse(formatted, "x");
  if (!back.ok()) Fail("its own format is refused: " + back.status().ToString(), formatted);
  if (*back != *value) Fail("format then parse changes the value", formatted);
  if (format(*back) != formatted) Fail("the format is not stable", formatted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Decoder decoder = Pick(data[0]);
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (decoder == Decoder::kDuration) {
    ScalarRoundTrip<taskly::Duration>(text, codec::ParseDuration, codec::FormatDuration);
    return 0;
  }
  if (decoder == Decoder::kTime) {
    ScalarRoundTrip<TimePoint>(text, codec::ParseTime, codec::FormatTime);
    return 0;
  }

  // What the API refuses before any decoder sees it (malformed, too deep, a duplicate key, a
  // number beyond a double) is left out.
  Result<Json> parsed = codec::ParseStrictJson(text, kAsTheApiReads);
  if (!parsed.ok()) return 0;
  const Json& j = *parsed;

  const TimePoint now{taskly::Duration(int64_t{1'800'000'000} * 1'000'000'000)};
  switch (decoder) {
    case Decoder::kTaskSpec:
      RoundTrip<taskly::TaskSpec>(
          j, [&](const Json& x) { return codec::TaskSpecFromJson(x, now); }, codec::TaskSpecToJson);
      break;
    case Decoder::kTask:
      RoundTrip<taskly::Task>(
          j, [](const Json& x) { return codec::TaskFromJson(x); }, codec::TaskToJson);
      break;
    case Decoder::kScheduleSpec:
      RoundTrip<taskly::ScheduleSpec>(
          j, [](const Json& x) { return codec::ScheduleSpecFromJson(x); },
          codec::ScheduleSpecToJson);
      break;
    case Decoder::kQueueConfig:
      RoundTrip<taskly::QueueConfig>(
          j, [](const Json& x) { return codec::QueueConfigFromJson(x, taskly::QueueConfig{}); },
          codec::QueueConfigToJson);
      break;
    case Decoder::kCommandSpec:
      RoundTrip<taskly::exec::CommandSpec>(
          j, [](const Json& x) { return taskly::exec::CommandSpecFromJson(x); },
          taskly::exec::CommandSpecToJson);
      break;
    case Decoder::kDuration:
    case Decoder::kTime:
      break;
  }
  return 0;
}
