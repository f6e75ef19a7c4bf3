// Durations and times as text (see json_codec.h for the forms).
#include <date/date.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <regex>
#include <sstream>
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

// The shape of an RFC 3339 date-time (section 5.6). date::parse checks the calendar but accepts
// one-digit fields and out-of-range offsets, so the exact shape is checked first.
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
  // date::parse wants an upper-case T and a numeric offset.
  std::string normal(text);
  normal[10] = 'T';
  if (normal.back() == 'Z' || normal.back() == 'z') normal.replace(normal.size() - 1, 1, "+00:00");
  std::istringstream in(normal);
  TimePoint t{};
  // GCC 12 at -O2 reports a false "may be used uninitialized" inside date::from_stream's fraction
  // parsing once it is inlined here. Clang has no such warning (and would warn about the name).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  in >> date::parse("%FT%T%Ez", t);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) {
    return InvalidArgument(std::string(field),
                           quoted + " is not a valid date and time (day or hour out of range)");
  }
  // Then the year in UTC, which FormatTime writes: an offset can move 2261-12-31 into 2262.
  const date::year utc_year = date::year_month_day(std::chrono::floor<date::days>(t)).year();
  if (utc_year < date::year(kMinYear) || utc_year > date::year(kMaxYear)) return out_of_range();
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
  std::string out = date::format("%FT%T", date::sys_seconds(std::chrono::seconds(seconds)));
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
