// Helpers for tests about instants: build a UTC instant from calendar fields, and print
// instants as ISO-8601 so failures read well.
#pragma once

#include <date/date.h>

#include <chrono>
#include <string>
#include <vector>

#include "taskly/clock.h"

namespace taskly::testutil {

inline TimePoint Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} + minutes{mi} +
         seconds{s};
}

// "2026-01-01T00:00:00Z", with any sub-second part spelled out so it cannot hide.
inline std::string Show(TimePoint t) {
  const auto whole = std::chrono::floor<std::chrono::seconds>(t);
  std::string s = date::format("%FT%TZ", whole);
  if (t != whole) s += "+" + std::to_string((t - whole).count()) + "ns";
  return s;
}

inline std::vector<std::string> Show(const std::vector<TimePoint>& ts) {
  std::vector<std::string> out;
  for (TimePoint t : ts) out.push_back(Show(t));
  return out;
}

}  // namespace taskly::testutil
