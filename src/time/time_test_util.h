// Helpers for tests about instants: build a UTC instant from calendar fields, and print
// instants as ISO-8601 so failures read well.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "taskly/clock.h"

namespace taskly::testutil {

inline TimePoint Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

// "2026-01-01T00:00:00Z", with any sub-second part spelled out so it cannot hide.
inline std::string Show(TimePoint t) {
  using namespace std::chrono;
  const auto whole = floor<seconds>(t);
  const sys_days day = floor<days>(whole);
  const year_month_day ymd(day);
  const hh_mm_ss<seconds> hms(whole - day);
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  std::string s = text;
  if (t != whole) s += "+" + std::to_string((t - whole).count()) + "ns";
  return s;
}

inline std::vector<std::string> Show(const std::vector<TimePoint>& ts) {
  std::vector<std::string> out;
  for (TimePoint t : ts) out.push_back(Show(t));
  return out;
}

}  // namespace taskly::testutil
