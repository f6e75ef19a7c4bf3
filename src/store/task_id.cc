#include "store/task_id.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

namespace taskly {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // ASCII-ordered
constexpr int kTimeChars = 9;                                     // 45 bits of milliseconds
constexpr int kCounterChars = 6;                                  // 30 bits
constexpr uint64_t kCounterMask = (uint64_t{1} << (5 * kCounterChars)) - 1;

void Encode(uint64_t value, int chars, char* out) {
  for (int i = chars - 1; i >= 0; --i) {
    out[i] = kAlphabet[value & 31];
    value >>= 5;
  }
}

// Character -> value in kAlphabet, or -1.
constexpr std::array<int8_t, 256> kDecode = [] {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 32; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}();

// Character -> the next one in kAlphabet (unused for 'Z', which carries).
constexpr std::array<char, 256> kSuccessor = [] {
  std::array<char, 256> table{};
  for (int i = 0; i + 1 < 32; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = kAlphabet[i + 1];
  return table;
}();

}  // namespace

TaskIdGenerator::TaskIdGenerator() { std::fill_n(chars_, kTimeChars + kCounterChars, '0'); }

std::optional<uint32_t> TaskIdGenerator::CounterOf(std::string_view id) {
  if (id.size() != kTimeChars + kCounterChars) return std::nullopt;
  uint32_t counter = 0;
  for (char c : id.substr(kTimeChars)) {
    int v = kDecode[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    counter = (counter << 5) | static_cast<uint32_t>(v);
  }
  return counter;
}

std::string TaskIdGenerator::next(TimePoint now) {
  auto ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  // The counter keeps running across milliseconds; on overflow (2^30 ids within one
  // millisecond) or a clock step back, borrow the next millisecond so ids keep increasing.
  if (ms > last_ms_) {
    last_ms_ = ms;
  }
  counter_ = (counter_ + 1) & kCounterMask;
  if (counter_ == 0) ++last_ms_;
  if (encoded_ms_ != last_ms_) {
    Encode(last_ms_, kTimeChars, chars_);
    encoded_ms_ = last_ms_;
  }
  // The counter part is the last id's plus one, counted up in place like an odometer (most
  // ids change one character); past "ZZZZZZ" it rolls over to "000000", as counter_ does.
  for (int i = kTimeChars + kCounterChars - 1; i >= kTimeChars; --i) {
    if (chars_[i] != 'Z') {
      chars_[i] = kSuccessor[static_cast<unsigned char>(chars_[i])];
      break;
    }
    chars_[i] = '0';
  }
  return std::string(chars_, kTimeChars + kCounterChars);
}

}  // namespace taskly
