#include "time/time_zone.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace taskly {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '+';
}

// Components of name characters separated by single slashes: no empty, "." or ".." component,
// so the name cannot leave the database directory.
bool IsZoneName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  char previous = '/';
  for (char c : name) {
    if (c == '/' && previous == '/') return false;
    if (c != '/' && !IsNameChar(c)) return false;
    previous = c;
  }
  // Files in the database that are not zones of their own name.
  return !name.starts_with("posix/") && !name.starts_with("right/") && name != "posixrules" &&
         name != "Factory";
}

// The directory Abseil reads zone files from.
std::string ZoneDirectory() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

}  // namespace

Result<absl::TimeZone> LoadTimeZone(std::string_view name) {
  const std::string quoted = "\"" + std::string(name) + "\"";
  if (!IsZoneName(name)) {
    return InvalidArgument("tz", "unknown time zone " + quoted +
                                     ": expected an IANA zone name such as \"Europe/Berlin\"");
  }
  if (name == "UTC") return absl::UTCTimeZone();  // built into Abseil, needs no file
  // Abseil remembers every name it was asked for, found or not: ask only for files that exist.
  const std::string directory = ZoneDirectory();
  struct stat file {};
  absl::TimeZone zone;
  if (::stat((directory + "/" + std::string(name)).c_str(), &file) != 0 || !S_ISREG(file.st_mode) ||
      !absl::LoadTimeZone(absl::string_view(name.data(), name.size()), &zone)) {
    return InvalidArgument(
        "tz", "unknown time zone " + quoted + ": not in the tz database (" + directory + ")");
  }
  return zone;
}

}  // namespace taskly
