// `taskly cron next EXPR [--tz ZONE] [--from TIME] [--count N]`: the next fire times of a cron
// expression, computed here (include/taskly/cron.h), no server needed. Each instant is printed
// in ISO 8601 with the zone's UTC offset at that instant, so DST changes show as changing
// offsets.
#include <absl/time/time.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/flag_checks.h"
#include "cli/render.h"
#include "codec/json_codec.h"
#include "taskly/cron.h"
#include "time/time_zone.h"

namespace taskly::cli {
namespace {

struct CronFlags {
  std::string expr;
  std::string tz = "UTC";
  std::string from;
  int count = 5;
};

// "2026-03-08T03:00:00-04:00": local time in `zone` with its offset then. Cron fires on whole
// seconds, so no fraction is printed.
std::string LocalIso(const absl::TimeZone& zone, TimePoint t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez",
                          absl::FromUnixSeconds(seconds.time_since_epoch().count()), zone);
}

Exit RunCronNext(const GlobalOptions& global, const CronFlags& f) {
  Result<CronSchedule> cron = CronSchedule::Parse(f.expr, f.tz);
  if (!cron.ok()) {
    const Status& s = cron.status();
    const std::string what = s.field() == "tz" ? "--tz" : "EXPR (" + s.field() + ")";
    return UsageError(what + ": " + s.message());
  }
  Result<absl::TimeZone> zone = LoadTimeZone(f.tz);
  if (!zone.ok()) return UsageError("--tz: " + zone.status().message());
  TimePoint t = f.from.empty() ? RealClock().now() : *codec::ParseTime(f.from, "");
  Json next = Json::array();
  for (int i = 0; i < f.count; ++i) {
    std::optional<TimePoint> fire = cron->next(t);
    if (!fire) break;
    next.push_back(LocalIso(*zone, *fire));
    t = *fire;
  }
  if (global.json) {
    PrintJson(std::cout, {{"expression", f.expr}, {"tz", f.tz}, {"next", next}});
  } else {
    for (const Json& instant : next) std::cout << instant.get<std::string>() << '\n';
    if (next.empty()) std::cerr << "taskly: the expression does not fire again\n";
  }
  return Ok();
}

}  // namespace

void AddCronCommand(CLI::App& app, Commands& commands) {
  CLI::App* cron = app.add_subcommand("cron", "Cron expressions (no server needed)");
  cron->require_subcommand(1);
  auto f = std::make_shared<CronFlags>();
  CLI::App* next = cron->add_subcommand("next", "Print the next fire times of an expression");
  next->add_option("EXPR", f->expr, "5 or 6 fields, or a macro such as @hourly")->required();
  next->add_option("--tz", f->tz, "IANA time zone (default UTC)");
  next->add_option("--from", f->from, "start after this RFC 3339 instant (default: now)")
      ->check(TimeCheck());
  next->add_option("--count,-n", f->count, "how many fire times (1-1000, default 5)")
      ->check(CLI::Range(1, 1000));
  next->callback([&commands, f] {
    commands.action = [&commands, f] { return RunCronNext(commands.global, *f); };
  });
}

}  // namespace taskly::cli
