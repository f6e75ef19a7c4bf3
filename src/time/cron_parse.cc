#include "time/cron_parse.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace taskly {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

// What one field accepts. names[i], when present, stands for the value min + i.
struct FieldSpec {
  std::string_view field;
  int min;
  int max;
  std::span<const std::string_view> names;
};

// In text order for a 6-field expression; a 5-field one starts at kSpecs[1].
constexpr std::array<FieldSpec, 6> kSpecs = {{
    {"cron.second", 0, 59, {}},
    {"cron.minute", 0, 59, {}},
    {"cron.hour", 0, 23, {}},
    {"cron.day_of_month", 1, 31, {}},
    {"cron.month", 1, 12, kMonthNames},
    {"cron.day_of_week", 0, 7, kDayNames},  // 7 is Sunday too
}};

// The longest each month can be (February in a leap year).
constexpr std::array<int, 13> kMaxDaysInMonth = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

struct Macro {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Macro, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Upper(a[i]) != Upper(b[i])) return false;
  }
  return true;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A number too long for int is out of range rather than garbage, so cap what from_chars sees.
int ToInt(std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > 9) return 1'000'000'000;
  int value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

std::string AllowedText(const FieldSpec& spec) {
  std::string s = std::to_string(spec.min) + "-" + std::to_string(spec.max);
  if (!spec.names.empty()) {
    s += " or " + std::string(spec.names.front()) + "-" + std::string(spec.names.back());
  }
  return s;
}

// One value of `item`: a number in range, or (month, day of week) a three-letter name.
Result<int> ParseValue(std::string_view text, const FieldSpec& spec, std::string_view item) {
  const std::string where = " in " + Quote(item);
  if (text.empty()) return InvalidArgument(std::string(spec.field), "missing value" + where);
  if (AllDigits(text)) {
    const int value = ToInt(text);
    if (value < spec.min || value > spec.max) {
      return InvalidArgument(
          std::string(spec.field),
          "value " + std::string(text) + " out of range " + AllowedText(spec) + where);
    }
    return value;
  }
  for (std::size_t i = 0; i < spec.names.size(); ++i) {
    if (EqualsIgnoreCase(text, spec.names[i])) return spec.min + static_cast<int>(i);
  }
  return InvalidArgument(std::string(spec.field), "invalid value " + Quote(text) + where +
                                                      ", expected " + AllowedText(spec));
}

// A step is at least 1 and at most the width of the field (which selects just the start).
Result<int> ParseStep(std::string_view text, const FieldSpec& spec, std::string_view item) {
  const int width = spec.max - spec.min + 1;
  if (!AllDigits(text)) {
    return InvalidArgument(std::string(spec.field), "invalid step " + Quote(text) + " in " +
                                                        Quote(item) + ", expected 1-" +
                                                        std::to_string(width));
  }
  const int step = ToInt(text);
  if (step < 1 || step > width) {
    return InvalidArgument(std::string(spec.field), "step " + std::string(text) +
                                                        " out of range 1-" + std::to_string(width) +
                                                        " in " + Quote(item));
  }
  return step;
}

// One list item: `*`, `a`, `a-b`, each optionally followed by `/step`; `a/step` runs to the
// field's maximum. Sets the selected bits in `mask`.
Status ParseItem(std::string_view item, const FieldSpec& spec, uint64_t& mask) {
  const std::size_t slash = item.find('/');
  const bool has_step = slash != std::string_view::npos;
  const std::string_view range = item.substr(0, slash);
  int step = 1;
  if (has_step) {
    Result<int> parsed = ParseStep(item.substr(slash + 1), spec, item);
    if (!parsed.ok()) return parsed.status();
    step = *parsed;
  }
  int lo = spec.min;
  int hi = spec.max;
  if (range != "*") {
    const std::size_t dash = range.find('-');
    Result<int> first = ParseValue(range.substr(0, dash), spec, item);
    if (!first.ok()) return first.status();
    lo = *first;
    hi = has_step ? spec.max : lo;
    if (dash != std::string_view::npos) {
      Result<int> last = ParseValue(range.substr(dash + 1), spec, item);
      if (!last.ok()) return last.status();
      hi = *last;
    }
    if (lo > hi) {
      return InvalidArgument(std::string(spec.field),
                             "range " + std::string(range) + " is reversed in " + Quote(item));
    }
  }
  for (int v = lo; v <= hi; v += step) mask |= uint64_t{1} << v;
  return Status::Ok();
}

// A comma-separated list of items.
Result<uint64_t> ParseField(std::string_view text, const FieldSpec& spec) {
  uint64_t mask = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma - start);
    if (item.empty()) {
      return InvalidArgument(std::string(spec.field), "empty list item in " + Quote(text));
    }
    if (Status s = ParseItem(item, spec, mask); !s.ok()) return s;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return mask;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  return fields;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

// The 5-field expansion of a macro, or an error naming the unknown one.
Result<std::string_view> ExpandMacro(std::string_view text) {
  for (const Macro& m : kMacros) {
    if (EqualsIgnoreCase(text, m.name)) return m.expansion;
  }
  return InvalidArgument("cron", "unknown macro " + Quote(text) +
                                     ", expected @yearly, @annually, @monthly, @weekly, "
                                     "@daily, @midnight or @hourly");
}

// Whether some day of some year matches. With OR semantics (both day fields restricted) any
// selected weekday occurs in every month. Otherwise a day must satisfy both fields; every
// (month, day) date falls on every weekday in some year, so it is enough that some selected
// month is long enough for some selected day of month.
bool CanFire(const CronFields& f) {
  if (!f.dom_star && !f.dow_star) return true;
  for (int month = 1; month <= 12; ++month) {
    if (((f.months >> month) & 1) == 0) continue;
    const uint64_t possible_days = (uint64_t{2} << kMaxDaysInMonth[month]) - 2;  // bits 1..max
    if ((f.days_of_month & possible_days) != 0) return true;
  }
  return false;
}

// Fills `f` from 5 or 6 field texts.
Status ParseAllFields(const std::vector<std::string_view>& texts, CronFields& f) {
  std::array<std::string_view, 6> by_spec = {"0"};  // seconds default to 0
  std::copy(texts.begin(), texts.end(), by_spec.end() - static_cast<std::ptrdiff_t>(texts.size()));
  std::array<uint64_t, 6> masks = {};
  for (std::size_t i = 0; i < kSpecs.size(); ++i) {
    Result<uint64_t> mask = ParseField(by_spec[i], kSpecs[i]);
    if (!mask.ok()) return mask.status();
    masks[i] = *mask;
  }
  constexpr uint64_t kSunday7 = uint64_t{1} << 7;
  f.seconds = masks[0];
  f.minutes = masks[1];
  f.hours = masks[2];
  f.days_of_month = masks[3];
  f.months = masks[4];
  f.days_of_week = (masks[5] & ~kSunday7) | ((masks[5] & kSunday7) != 0 ? 1 : 0);
  f.dom_star = by_spec[3].front() == '*';
  f.dow_star = by_spec[5].front() == '*';
  f.wildcard = by_spec[1].front() == '*' || by_spec[2].front() == '*';
  return Status::Ok();
}

}  // namespace

Result<CronFields> ParseCronFields(std::string_view expr) {
  std::string_view text = Trim(expr);
  if (text.empty()) return InvalidArgument("cron", "empty expression");
  if (text.front() == '@') {
    Result<std::string_view> expansion = ExpandMacro(text);
    if (!expansion.ok()) return expansion.status();
    text = *expansion;
  }
  const std::vector<std::string_view> texts = SplitFields(text);
  if (texts.size() != 5 && texts.size() != 6) {
    return InvalidArgument("cron", "expected 5 or 6 fields, got " + std::to_string(texts.size()) +
                                       " in " + Quote(text));
  }
  CronFields fields;
  if (Status s = ParseAllFields(texts, fields); !s.ok()) return s;
  if (!CanFire(fields)) {
    return InvalidArgument("cron", Quote(text) +
                                       " never fires: no selected month has any of the "
                                       "selected days of month");
  }
  return fields;
}

}  // namespace taskly
