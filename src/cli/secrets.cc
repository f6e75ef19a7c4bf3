#include "cli/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "server/auth.h"

namespace taskly::cli {
namespace {

constexpr size_t kMaxSecretFileBytes = 4096;

constexpr char kTokenHelp[] =
    "pass the token in the TASKLY_TOKEN environment variable, in a file with --token-file FILE "
    "(mode 0600), or as `token` in the --config file";
constexpr char kStoreHelp[] =
    "pass the URL without its password and the password in the TASKLY_STORE_PASSWORD "
    "environment variable or in a file with --store-password-file FILE (mode 0600); or the "
    "whole URL in TASKLY_STORE or as `store` in the --config file";

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// True when `url` is a redis:// URL with credentials (user:password@).
bool HasCredentials(std::string_view url) {
  return url.starts_with("redis://") && url.find('@') != std::string_view::npos;
}

}  // namespace

Exit RefuseSecretsInArgv(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;  // what follows is a command's argv, not taskly's options
    if (arg == "--token" || arg.starts_with("--token=")) {
      return UsageError(
          "--token: a token on the command line is visible to every local user (ps, "
          "/proc/PID/cmdline); " +
          std::string(kTokenHelp));
    }
    std::string_view store;
    if (arg == "--store" && i + 1 < argc) store = argv[i + 1];
    if (arg.starts_with("--store=")) store = arg.substr(std::strlen("--store="));
    if (HasCredentials(store)) {
      return UsageError(
          "--store: a password on the command line is visible to every local user (ps, "
          "/proc/PID/cmdline); " +
          std::string(kStoreHelp));
    }
  }
  return Ok();
}

Expected<std::string> ReadSecretFile(const std::string& path, const std::string& flag) {
  auto fail = [&](const std::string& why) { return UsageError(flag + ": " + path + ": " + why); };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return fail(std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(std::string("accessible by group or others (mode ") + mode +
                "); make it private with: chmod 600 " + path);
  }
  std::string text;
  std::array<char, 512> buffer;
  while (text.size() <= kMaxSecretFileBytes) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::strerror(errno));
    if (n == 0) break;
    text.append(buffer.data(), static_cast<size_t>(n));
  }
  if (text.size() > kMaxSecretFileBytes) {
    return fail("larger than " + std::to_string(kMaxSecretFileBytes) + " bytes");
  }
  while (!text.empty() && std::strchr(" \t\r\n", text.back()) != nullptr) text.pop_back();
  if (text.empty()) return fail("empty");
  return text;
}

Expected<std::string> ConfiguredToken(const GlobalOptions& options, std::string* source) {
  std::string token = options.token;
  *source = "TASKLY_TOKEN or the config file's token";
  if (!options.token_file.empty()) {
    if (!token.empty()) {
      return UsageError(
          "--token-file: a token is also given by TASKLY_TOKEN or the config file; give one");
    }
    Expected<std::string> read = ReadSecretFile(options.token_file, "--token-file");
    if (!read.ok()) return read.exit();
    token = std::move(*read);
    *source = "the token file " + options.token_file;
  }
  if (token.empty()) return token;
  if (Status s = server::CheckToken(token, "token"); !s.ok()) {
    return UsageError("the token (from " + *source + ") " + s.message());
  }
  return token;
}

Expected<std::string> StoreWithPassword(const std::string& store,
                                        const std::string& password_file) {
  std::string password = Getenv("TASKLY_STORE_PASSWORD");
  std::string source = "TASKLY_STORE_PASSWORD";
  if (!password_file.empty()) {
    if (!password.empty()) {
      return UsageError(
          "--store-password-file: TASKLY_STORE_PASSWORD is set too; give the password once");
    }
    Expected<std::string> read = ReadSecretFile(password_file, "--store-password-file");
    if (!read.ok()) return read.exit();
    password = std::move(*read);
    source = "--store-password-file";
  }
  if (password.empty()) return store;
  if (!store.starts_with("redis://")) {
    return UsageError(source + ": a password is only used by a redis:// store, and --store is \"" +
                      (store.empty() ? std::string("the default sqlite store") : store) + "\"");
  }
  if (HasCredentials(store)) {
    return UsageError(source + ": the --store URL already has a password; give it once");
  }
  return "redis://:" + password + "@" + store.substr(std::strlen("redis://"));
}

}  // namespace taskly::cli
