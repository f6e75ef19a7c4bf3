#include "store/sqlite/store_identity.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

namespace taskly::sqlite {
namespace {

constexpr size_t kIdBytes = 16;

Result<std::string> NewId() {
  std::array<unsigned char, kIdBytes> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    return Status(StatusCode::kUnavailable, std::string("getrandom: ") + std::strerror(errno));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

// The id in the identity file, or nullopt when there is none. Trailing whitespace is ignored.
std::optional<std::string> ReadIdentityFile(const std::string& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::string id;
  std::getline(in, id);
  while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.pop_back();
  return id;
}

// Writes the file whole: a temporary file, fsync'd, renamed over it, the directory fsync'd.
Status WriteIdentityFile(const std::string& file, const std::string& id) {
  const std::string tmp = file + ".tmp";
  auto fail = [&](const char* what) {
    Status s(StatusCode::kUnavailable, "cannot write the store identity file " + file + ": " +
                                           what + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return s;
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("open");
  const std::string line = id + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return fail("write");
  if (::rename(tmp.c_str(), file.c_str()) != 0) return fail("rename");
  const size_t slash = file.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : file.substr(0, slash + 1);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return Status();
}

}  // namespace

std::string IdentityPath(const std::string& path) { return path + ".id"; }

Status CheckDatabasePresent(const std::string& path, bool init) {
  if (init) return Status();
  const std::string file = IdentityPath(path);
  std::optional<std::string> id = ReadIdentityFile(file);
  if (!id) return Status();
  struct stat st {};
  const bool missing = ::stat(path.c_str(), &st) != 0;
  if (!missing && st.st_size > 0) return Status();
  return FailedPrecondition(
      "sqlite store " + path + " is " + (missing ? "missing" : "empty") + ", but " + file +
      " says store " + *id +
      " was kept there: its tasks would be lost. Restore the database from a backup; to start "
      "over with an empty store instead, open it with init (taskly server --init)");
}

Status RecordIdentity(Database& db, const std::string& path, bool init) {
  const std::string file = IdentityPath(path);
  Result<std::string> stored = db.query_text("SELECT value FROM meta WHERE key = 'store_id'");
  if (!stored.ok()) {
    return Status(
        StatusCode::kUnavailable,
        "sqlite store " + path + ": cannot read its identity: " + stored.status().message());
  }
  std::string id;
  if (!stored->empty()) {
    id = *stored;
  } else {
    Result<std::string> fresh = NewId();
    if (!fresh.ok()) return fresh.status();
    id = *fresh;
    // The id is hex: nothing to quote.
    if (Status s = db.exec("INSERT INTO meta (key, value) VALUES ('store_id', '" + id + "')");
        !s.ok()) {
      return Status(StatusCode::kUnavailable,
                    "sqlite store " + path + ": cannot record its identity: " + s.message());
    }
  }
  std::optional<std::string> in_file = ReadIdentityFile(file);
  if (in_file && *in_file == id) return Status();
  if (in_file && !init) {
    return FailedPrecondition("sqlite store " + path + " is store " + id + ", but " + file +
                              " says store " + *in_file +
                              " was kept there: this is not the database that was here. Put the "
                              "right one back, or open it with init to adopt this one");
  }
  return WriteIdentityFile(file, id);
}

}  // namespace taskly::sqlite
