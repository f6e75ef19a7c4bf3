// Fuzz target: cron expressions (include/taskly/cron.h).
//
// Input: the expression, optionally followed by a NUL byte and parameter bytes: the first picks
// the time zone from kZones, each next 8 (little endian) is an instant `after` in nanoseconds
// since the epoch. Without parameters the zone is UTC and the instants are kDefaultAfter.
//
// Every expression either parses or is refused with an error. When it parses, for each instant:
// next(after) is a whole second after `after`, and next(t - 1ns) == t. In UTC, next() is also
// checked against a walk of its own over the calendar (reference parser and matcher below,
// written from cron.h's contract alone): the first matching second after `after` within the
// search horizon must be the one next() returns, and with none, next() returns nothing in it.
// The DST rules are not checked here (cron_dst_test.cc does).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskly/cron.h"

namespace {

using taskly::CronSchedule;
using taskly::Duration;
using taskly::TimePoint;

constexpr std::array<std::string_view, 6> kZones = {"UTC",
                                                    "Europe/Berlin",
                                                    "America/New_York",
                                                    "Australia/Lord_Howe",
                                                    "Pacific/Chatham",
                                                    "America/Sao_Paulo"};

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
// next()'s documented guarantee: every expression Parse accepts fires within 40 years; its
// search looks 50 * 366 days ahead, and so does the walk.
constexpr int64_t kHorizonSeconds = int64_t{50} * 366 * kSecondsPerDay;

[[noreturn]] void Fail(const std::string& expr, const char* what, int64_t after_ns,
                       std::optional<int64_t> got_ns, std::optional<int64_t> want_s) {
  std::fprintf(stderr, "cron_fuzz: \"%s\": %s; after=%lld ns, next()=%s, walk=%s\n", expr.c_str(),
               what, static_cast<long long>(after_ns),
               got_ns ? std::to_string(*got_ns).c_str() : "none",
               want_s ? (std::to_string(*want_s) + " s").c_str() : "none");
  std::abort();
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month;  // 1-12
  unsigned day;    // 1-31
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

// The reference: an expression as one bit set per field, from cron.h's syntax.
struct RefCron {
  std::array<uint64_t, 6> masks{};  // second minute hour day-of-month month day-of-week(0-6)
  bool dom_star = false;
  bool dow_star = false;

  bool Has(int field, int64_t v) const { return ((masks[field] >> v) & 1) != 0; }

  bool DayMatches(int64_t days) const {
    const Civil c = CivilFromDays(days);
    if (!Has(4, c.month)) return false;
    const int64_t weekday = ((days % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)
    const bool dom = Has(3, c.day);
    const bool dow = Has(5, weekday);
    return (dom_star || dow_star) ? (dom && dow) : (dom || dow);
  }

  // The first second in [from, until) that matches, or nullopt. Skips whole months, days,
  // hours and minutes that cannot match, else steps one second at a time.
  std::optional<int64_t> FirstMatch(int64_t from, int64_t until) const {
    int64_t s = from;
    while (s < until) {
      const int64_t days = FloorDiv(s, kSecondsPerDay);
      const int64_t midnight = days * kSecondsPerDay;
      const Civil c = CivilFromDays(days);
      if (!Has(4, c.month)) {
        const int64_t next_month =
            c.month == 12 ? DaysFromCivil(c.year + 1, 1, 1) : DaysFromCivil(c.year, c.month + 1, 1);
        s = next_month * kSecondsPerDay;
        continue;
      }
      if (!DayMatches(days)) {
        s = midnight + kSecondsPerDay;
        continue;
      }
      const int64_t tod = s - midnight;
      if (!Has(2, tod / 3600)) {
        s = midnight + (tod / 3600 + 1) * 3600;
        continue;
      }
      if (!Has(1, tod / 60 % 60)) {
        s = midnight + (tod / 60 + 1) * 60;
        continue;
      }
      if (Has(0, tod % 60)) return s;
      ++s;
    }
    return std::nullopt;
  }
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

struct FieldRule {
  int min, max;
  std::vector<std::string_view> names;  // names[i] is min + i
};

const std::array<FieldRule, 6> kRules = {
    {{0, 59, {}},
     {0, 59, {}},
     {0, 23, {}},
     {1, 31, {}},
     {1, 12, {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
     {0, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}}};

std::optional<int64_t> RefValue(std::string_view t, const FieldRule& rule) {
  if (t.empty()) return std::nullopt;
  bool digits = true;
  for (char c : t) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    int64_t v = 0;
    for (char c : t) {
      v = v * 10 + (c - '0');
      if (v > 1000) return std::nullopt;
    }
    if (v < rule.min || v > rule.max) return std::nullopt;
    return v;
  }
  for (size_t i = 0; i < rule.names.size(); ++i) {
    if (t.size() != 3) break;
    std::string upper;
    for (char c : t) upper += Upper(c);
    if (upper == rule.names[i]) return rule.min + static_cast<int64_t>(i);
  }
  return std::nullopt;
}

// One field's list; nullopt when the reference cannot read it.
std::optional<uint64_t> RefField(std::string_view text, const FieldRule& rule) {
  uint64_t mask = 0;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    int64_t step = 1;
    const size_t slash = item.find('/');
    std::string_view range = item.substr(0, slash);
    if (slash != std::string_view::npos) {
      std::string_view step_text = item.substr(slash + 1);
      if (step_text.empty()) return std::nullopt;
      step = 0;
      for (char c : step_text) {
        if (c < '0' || c > '9') return std::nullopt;
        step = step * 10 + (c - '0');
        if (step > 1000) return std::nullopt;
      }
      if (step < 1) return std::nullopt;
    }
    int64_t lo = rule.min, hi = rule.max;
    if (range != "*") {
      const size_t dash = range.find('-');
      std::optional<int64_t> a = RefValue(range.substr(0, dash), rule);
      if (!a) return std::nullopt;
      lo = *a;
      hi = slash != std::string_view::npos ? rule.max : lo;
      if (dash != std::string_view::npos) {
        std::optional<int64_t> b = RefValue(range.substr(dash + 1), rule);
        if (!b || *b < lo) return std::nullopt;
        hi = *b;
      }
    }
    for (int64_t v = lo; v <= hi; v += step) mask |= uint64_t{1} << v;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return mask;
}

std::optional<RefCron> RefParse(std::string_view expr) {
  while (!expr.empty() && IsSpace(expr.front())) expr.remove_prefix(1);
  while (!expr.empty() && IsSpace(expr.back())) expr.remove_suffix(1);
  std::string text(expr);
  if (!text.empty() && text[0] == '@') {
    std::string upper;
    for (char c : text) upper += Upper(c);
    if (upper == "@YEARLY" || upper == "@ANNUALLY") {
      text = "0 0 1 1 *";
    } else if (upper == "@MONTHLY") {
      text = "0 0 1 * *";
    } else if (upper == "@WEEKLY") {
      text = "0 0 * * 0";
    } else if (upper == "@DAILY" || upper == "@MIDNIGHT") {
      text = "0 0 * * *";
    } else if (upper == "@HOURLY") {
      text = "0 * * * *";
    } else {
      return std::nullopt;
    }
  }
  std::vector<std::string> fields;
  std::string cur;
  for (char c : text) {
    if (IsSpace(c)) {
      if (!cur.empty()) fields.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) fields.push_back(cur);
  if (fields.size() == 5) fields.insert(fields.begin(), "0");
  if (fields.size() != 6) return std::nullopt;
  RefCron ref;
  for (size_t i = 0; i < 6; ++i) {
    std::optional<uint64_t> mask = RefField(fields[i], kRules[i]);
    if (!mask) return std::nullopt;
    ref.masks[i] = *mask;
  }
  if ((ref.masks[5] >> 7) & 1) ref.masks[5] = (ref.masks[5] & ~(uint64_t{1} << 7)) | 1;
  ref.dom_star = fields[3][0] == '*';
  ref.dow_star = fields[5][0] == '*';
  return ref;
}

int64_t Nanos(TimePoint t) { return t.time_since_epoch().count(); }

void CheckInstant(const std::string& expr, const CronSchedule& cron, const RefCron* ref,
                  int64_t after_ns) {
  const TimePoint after{Duration(after_ns)};
  const std::optional<TimePoint> fire = cron.next(after);
  std::optional<int64_t> got;
  if (fire) {
    got = Nanos(*fire);
    if (*fire <= after) Fail(expr, "next() is not after `after`", after_ns, got, std::nullopt);
    if (*got % kNanosPerSecond != 0) {
      Fail(expr, "next() is not a whole second", after_ns, got, std::nullopt);
    }
    const std::optional<TimePoint> again = cron.next(*fire - Duration(1));
    if (again != fire) {
      Fail(expr, "next(t - 1ns) != t", after_ns, got, again ? Nanos(*again) / kNanosPerSecond : 0);
    }
  }
  if (ref == nullptr) return;
  const int64_t from = FloorDiv(after_ns, kNanosPerSecond) + 1;
  const int64_t latest = INT64_MAX / kNanosPerSecond;  // the last whole second a TimePoint holds
  const int64_t until = from < latest - kHorizonSeconds ? from + kHorizonSeconds : latest + 1;
  const std::optional<int64_t> want = ref->FirstMatch(from, until);
  if (want) {
    if (!got || *got != *want * kNanosPerSecond) {
      Fail(expr, "next() differs from the walk", after_ns, got, want);
    }
  } else if (got && *got < until * kNanosPerSecond) {
    Fail(expr, "next() fires where the walk finds nothing", after_ns, got, want);
  }
}

// Default instants: the epoch, just before a DST change in Europe, the end of a leap day, and
// half a second into a minute near the end of a century.
const std::array<int64_t, 4> kDefaultAfter = {
    0,
    DaysFromCivil(2026, 3, 29) * kSecondsPerDay* kNanosPerSecond + 3599 * kNanosPerSecond - 1,
    (DaysFromCivil(2024, 2, 29) * kSecondsPerDay + kSecondsPerDay - 1) * kNanosPerSecond,
    (DaysFromCivil(2099, 12, 31) * kSecondsPerDay + 86340) * kNanosPerSecond + kNanosPerSecond / 2,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  const void* nul = std::memchr(data, 0, size);
  const size_t expr_size =
      nul ? static_cast<size_t>(static_cast<const uint8_t*>(nul) - data) : size;
  const std::string expr(text, expr_size);

  std::string_view zone = "UTC";
  std::vector<int64_t> instants(kDefaultAfter.begin(), kDefaultAfter.end());
  if (nul != nullptr) {
    const uint8_t* params = data + expr_size + 1;
    size_t left = size - expr_size - 1;
    if (left > 0) {
      zone = kZones[params[0] % kZones.size()];
      ++params;
      --left;
    }
    if (left >= 8) instants.clear();
    for (; left >= 8 && instants.size() < 4; params += 8, left -= 8) {
      uint64_t v = 0;
      for (int i = 7; i >= 0; --i) v = (v << 8) | params[i];
      instants.push_back(static_cast<int64_t>(v));
    }
  }

  taskly::Result<CronSchedule> cron = CronSchedule::Parse(expr, zone);
  if (!cron.ok()) {
    if (cron.status().message().empty()) Fail(expr, "an error without a message", 0, {}, {});
    return 0;
  }
  std::optional<RefCron> ref;
  if (zone == "UTC") {
    ref = RefParse(expr);
    if (!ref) Fail(expr, "Parse accepted what the reference refuses", 0, {}, {});
  }
  for (int64_t after : instants) CheckInstant(expr, *cron, ref ? &*ref : nullptr, after);
  return 0;
}
