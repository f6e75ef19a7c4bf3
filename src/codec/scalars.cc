// Durations and times as text (see json_codec.h for the forms).
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <regex>
#include <string>

#include "codec/json_codec.h"
#include "codec/text.h"

namespace taskly::codec {
namespace {

struct Unit {
  std::string_view name;
  int64_t ns;
};

// Largest first: the order in which parts must appear and are formatted.
constexpr std::array<Unit, 7> kUnits = {{{"d", 86'400'000'000'000},
                                         {"h", 3'600'000'000'000},
                                         {"m", 60'000'000'000},
                                         {"s", 1'000'000'000},
                                         {"ms", 1'000'000},
                                         {"us", 1'000},
                                         {"ns", 1}}};

constexpr std::string_view kDurationForm =
    "expected <integer><unit> parts, largest unit first, such as \"90s\", \"1h30m\" or "
    "\"250ms\" (units d, h, m, s, ms, us, ns)";

Status BadDuration(std::string_view text, std::string_view field, std::string_view why) {
  return InvalidArgument(std::string(field),
                         internal::Quote(text) + " is not a duration: " + std::string(why));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The shape of an RFC 3339 date-time (section 5.6): fixed-width digit fields and an offset of at
// most 23:59. The calendar (month, day of month, hour, minute, second) is checked after it.
const std::regex& Rfc3339() {
  static const std::regex re(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?"
      "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])");
  return re;
}
// The same without an offset: the most common mistake gets its own message.
const std::regex& Rfc3339WithoutOffset() {
  static const std::regex re(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?");
  return re;
}

// Longer than any valid time ("2026-03-08T02:30:00.123456789+01:00" is 35 characters); keeps
// the regex away from huge inputs.
constexpr size_t kMaxTimeLength = 40;

// Years whose every instant fits in int64 nanoseconds since 1970 (1677-09-21 to 2262-04-11),
// even after applying an offset of up to 23:59.
constexpr int kMinYear = 1678;
constexpr int kMaxYear = 2261;

// The number written by the `n` digits of `text` at `at` (the shape has been checked).
int Digits(std::string_view text, size_t at, size_t n) {
  int value = 0;
  for (size_t i = at; i < at + n; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text, std::string_view field) {
  if (text.empty()) return BadDuration(text, field, "it is empty; " + std::string(kDurationForm));
  if (text.front() == '-') return BadDuration(text, field, "durations must not be negative");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p != end) {
    if (!IsDigit(*p)) return BadDuration(text, field, kDurationForm);
    uint64_t amount = 0;
    auto [after, ec] = std::from_chars(p, end, amount);
    if (ec == std::errc::result_out_of_range) {
      return BadDuration(text, field,
                         "it is too large (at most " + FormatDuration(Duration::max()) + ")");
    }
    p = after;
    if (p != end && (*p == '.' || *p == ',')) {
      return BadDuration(text, field,
                         "amounts must be integers (write \"1s500ms\" rather than \"1.5s\")");
    }
    const char* unit_begin = p;
    while (p != end && IsLetter(*p)) ++p;
    std::string_view unit(unit_begin, static_cast<size_t>(p - unit_begin));
    if (unit.empty()) {
      return BadDuration(text, field, "a unit must follow each amount (d, h, m, s, ms, us, ns)");
    }
    size_t u = 0;
    while (u < kUnits.size() && kUnits[u].name != unit) ++u;
    if (u == kUnits.size()) {
      return BadDuration(text, field,
                         "unknown unit \"" + std::string(unit) + "\" (d, h, m, s, ms, us, ns)");
    }
    if (u < next_unit) {
      return BadDuration(text, field, "units must go from largest to smallest, each at most once");
    }
    next_unit = u + 1;
    const uint64_t max_amount = static_cast<uint64_t>(kMax / kUnits[u].ns);
    const int64_t part = amount <= max_amount ? static_cast<int64_t>(amount) * kUnits[u].ns : -1;
    if (part < 0 || total > kMax - part) {
      return BadDuration(text, field,
                         "it is too large (at most " + FormatDuration(Duration::max()) + ")");
    }
    total += part;
  }
  return Duration(total);
}

std::string FormatDuration(Duration d) {
  if (d == Duration::zero()) return "0s";
  std::string out;
  // The magnitude as unsigned, so that Duration::min() has one too.
  uint64_t rest = static_cast<uint64_t>(d.count());
  if (d < Duration::zero()) {
    out = "-";
    rest = 0 - rest;
  }
  for (const Unit& unit : kUnits) {
    const uint64_t ns = static_cast<uint64_t>(unit.ns);
    if (rest >= ns) {
      out += std::to_string(rest / ns);
      out += unit.name;
      rest %= ns;
    }
  }
  return out;
}

Result<TimePoint> ParseTime(std::string_view text, std::string_view field) {
  const std::string quoted = internal::Quote(text);
  if (text.size() > kMaxTimeLength || !std::regex_match(text.begin(), text.end(), Rfc3339())) {
    if (text.size() <= kMaxTimeLength &&
        std::regex_match(text.begin(), text.end(), Rfc3339WithoutOffset())) {
      return InvalidArgument(std::string(field),
                             quoted +
                                 " has no UTC offset: end it with \"Z\" or an offset such as "
                                 "\"+01:00\" (RFC 3339)");
    }
    return InvalidArgument(std::string(field),
                           quoted +
                               " is not an RFC 3339 time such as \"2026-03-08T02:30:00-05:00\" or "
                               "\"2026-03-08T07:30:00.250Z\"");
  }
  auto out_of_range = [&] {
    return InvalidArgument(std::string(field), quoted + " is out of range (years " +
                                                   std::to_string(kMinYear) + " to " +
                                                   std::to_string(kMaxYear) + " in UTC)");
  };
  // The written year first: within it, no offset can take the instant out of TimePoint's range.
  const int year = std::stoi(std::string(text.substr(0, 4)));
  if (year < kMinYear || year > kMaxYear) return out_of_range();
  // "YYYY-MM-DDTHH:MM:SS", then an optional fraction, then "Z" or "+HH:MM".
  const std::chrono::year_month_day date{
      std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(Digits(text, 5, 2))},
      std::chrono::day{static_cast<unsigned>(Digits(text, 8, 2))}};
  const int hour = Digits(text, 11, 2);
  const int minute = Digits(text, 14, 2);
  const int second = Digits(text, 17, 2);
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
    return InvalidArgument(std::string(field),
                           quoted + " is not a valid date and time (day or hour out of range)");
  }
  std::chrono::nanoseconds fraction{0};
  size_t pos = 19;
  if (text[pos] == '.') {
    int64_t scale = 1'000'000'000;
    for (++pos; IsDigit(text[pos]); ++pos) {
      scale /= 10;
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
    }
  }
  std::chrono::minutes offset{0};
  if (text[pos] == '+' || text[pos] == '-') {
    offset = std::chrono::hours(Digits(text, pos + 1, 2)) +
             std::chrono::minutes(Digits(text, pos + 4, 2));
    if (text[pos] == '-') offset = -offset;
  }
  const TimePoint t = TimePoint(std::chrono::sys_days(date)) + std::chrono::hours(hour) +
                      std::chrono::minutes(minute) + std::chrono::seconds(second) + fraction -
                      offset;
  // Then the year in UTC, which FormatTime writes: an offset can move 2261-12-31 into 2262.
  const int utc_year = static_cast<int>(
      std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(t)).year());
  if (utc_year < kMinYear || utc_year > kMaxYear) return out_of_range();
  return t;
}

std::string FormatTime(TimePoint t) {
  // Whole seconds and the nanoseconds after them, computed on the count so that no conversion
  // can overflow near the ends of TimePoint's range.
  constexpr int64_t kNsPerSecond = 1'000'000'000;
  int64_t seconds = t.time_since_epoch().count() / kNsPerSecond;
  int64_t fraction = t.time_since_epoch().count() % kNsPerSecond;
  if (fraction < 0) {
    fraction += kNsPerSecond;
    --seconds;
  }
  const std::chrono::sys_seconds whole{std::chrono::seconds(seconds)};
  const std::chrono::sys_days day = std::chrono::floor<std::chrono::days>(whole);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss<std::chrono::seconds> time(whole - day);
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%04d-%02u-%02uT%02d:%02d:%02d",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  std::string out = text.data();
  if (fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, 9 - digits.size(), '0');
    digits.erase(digits.find_last_not_of('0') + 1);
    out += '.';
    out += digits;
  }
  out += 'Z';
  return out;
}

}  // namespace taskly::codec
