// LoadOrCreateToken (api_server.h): the data directory's token file.
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "server/api_server.h"

namespace taskly::server {
namespace {

constexpr size_t kTokenBytes = 32;
constexpr size_t kMaxTokenFileBytes = 4096;

Status IoError(const std::string& what, const std::string& path) {
  return Status(StatusCode::kInternal, what + " " + path + ": " + std::strerror(errno));
}

// Closes a descriptor when the scope ends.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// The token in `path`, or nullopt when there is no such file.
Result<std::optional<std::string>> ReadToken(const std::string& path) {
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return IoError("cannot open", path);
  }
  struct stat st {};
  if (fstat(f.fd, &st) != 0) return IoError("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return FailedPrecondition(path + " is not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return FailedPrecondition(path + " is accessible by group or others (mode " + mode +
                              "); make it private with: chmod 600 " + path);
  }
  std::string text;
  std::array<char, 512> buf;
  while (text.size() <= kMaxTokenFileBytes) {
    ssize_t n = read(f.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read", path);
    if (n == 0) break;
    text.append(buf.data(), static_cast<size_t>(n));
  }
  if (text.size() > kMaxTokenFileBytes) {
    return FailedPrecondition(path + " is larger than " + std::to_string(kMaxTokenFileBytes) +
                              " bytes: not a token file");
  }
  // Editors and `echo` end the file with a newline; it is not part of the token.
  while (!text.empty() && std::strchr(" \t\r\n", text.back()) != nullptr) text.pop_back();
  if (text.empty()) return FailedPrecondition(path + " is empty");
  return std::optional<std::string>(std::move(text));
}

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status(StatusCode::kInternal, std::string("getrandom: ") + strerror(errno));
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (char c : raw) {
    hex += kHex[static_cast<unsigned char>(c) >> 4];
    hex += kHex[static_cast<unsigned char>(c) & 0xf];
  }
  return hex;
}

Status WriteAll(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot write", path);
    done += static_cast<size_t>(n);
  }
  return Status();
}

// Writes `token` to `path` unless the file exists. The token is written to a private temporary
// file (O_CREAT|O_EXCL, mode 0600) that is then hard-linked to `path`: link() fails if `path`
// exists, so two processes starting at once agree on one token, and no reader ever sees the
// file half written. Returns false when another process created `path` first.
Result<bool> CreateTokenFile(const std::string& dir, const std::string& path,
                             const std::string& token) {
  Result<std::string> suffix = RandomHex(8);
  if (!suffix.ok()) return suffix.status();
  std::string temp = dir + "/.token." + *suffix;
  {
    Fd f{open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (f.fd < 0) return IoError("cannot create", path);
    Status s = fchmod(f.fd, 0600) == 0 ? Status() : IoError("cannot chmod", temp);
    if (s.ok()) s = WriteAll(f.fd, token + "\n", temp);
    if (s.ok() && fsync(f.fd) != 0) s = IoError("cannot sync", temp);
    if (!s.ok()) {
      unlink(temp.c_str());
      return s;
    }
  }
  bool created = link(temp.c_str(), path.c_str()) == 0;
  Status s = created || errno == EEXIST ? Status() : IoError("cannot create", path);
  unlink(temp.c_str());
  if (!s.ok()) return s;
  // The new directory entry must survive a crash too, or the token handed out is lost.
  if (Fd d{open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)}; d.fd >= 0) fsync(d.fd);
  return created;
}

}  // namespace

Result<std::string> LoadOrCreateToken(const std::string& data_dir) {
  const std::string path = data_dir + "/token";
  // Twice at most: a token file created by another process between our read and our create is
  // read on the second pass.
  for (int pass = 0; pass < 2; ++pass) {
    Result<std::optional<std::string>> existing = ReadToken(path);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return std::move(**existing);
    Result<std::string> token = RandomHex(kTokenBytes);
    if (!token.ok()) return token.status();
    Result<bool> created = CreateTokenFile(data_dir, path, *token);
    if (!created.ok()) return created.status();
    if (*created) return std::move(*token);
  }
  return Status(StatusCode::kInternal, "cannot create " + path + ": it keeps disappearing");
}

}  // namespace taskly::server
