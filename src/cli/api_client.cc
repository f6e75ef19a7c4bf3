#include "cli/api_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <utility>

#include "cli/secrets.h"
#include "codec/json_codec.h"
#include "codec/raw_json.h"
#include "codec/strict_json.h"

namespace taskly::cli {
namespace {

constexpr char kJson[] = "application/json";

// The token in `<data_dir>/token`, or empty when there is none that this user can read.
std::string ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  return token;
}

// "HTTP 400 invalid_argument: field \"timeout\": must be ..." from an error answer.
std::string DescribeError(const httplib::Response& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  const Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  const Json* error = body.is_object() && body.contains("error") && body["error"].is_object()
                          ? &body["error"]
                          : nullptr;
  if (error == nullptr) {
    if (!response.body.empty()) text += ": " + response.body.substr(0, 200);
    return text;
  }
  auto member = [&](const char* name) {
    auto it = error->find(name);
    return it != error->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (std::string code = member("code"); !code.empty()) text += " " + code;
  if (std::string field = member("field"); !field.empty()) text += ": field \"" + field + "\"";
  if (std::string message = member("message"); !message.empty()) text += ": " + message;
  return text;
}

}  // namespace

Expected<std::unique_ptr<ApiClient>> ApiClient::Create(const GlobalOptions& options) {
  static const std::regex kUrl(
      R"(^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:[0-9]{1,5})?/?$)");
  if (!std::regex_match(options.server, kUrl)) {
    return UsageError("--server: must be a URL like http://HOST:PORT, not \"" + options.server +
                      "\"");
  }
  Result<Duration> timeout = codec::ParseDuration(options.request_timeout, "");
  if (!timeout.ok() || *timeout <= Duration::zero()) {
    return UsageError("--request-timeout: must be a positive duration like \"30s\", not \"" +
                      options.request_timeout + "\"");
  }
  std::string url = options.server;
  if (url.back() == '/') url.pop_back();
  std::string source;
  Expected<std::string> configured = ConfiguredToken(options, &source);
  if (!configured.ok()) return configured.exit();
  std::string token = std::move(*configured);
  if (token.empty()) {
    const std::string path = options.data_dir + "/token";
    token = ReadTokenFile(path);
    source = token.empty() ? "no TASKLY_TOKEN, no --token-file, and no readable token file " + path
                           : "the token file " + path;
  }
  return std::unique_ptr<ApiClient>(
      new ApiClient(std::move(url), std::move(token), std::move(source), *timeout));
}

ApiClient::ApiClient(std::string url, std::string token, std::string token_source, Duration timeout)
    : url_(std::move(url)),
      token_(std::move(token)),
      token_source_(std::move(token_source)),
      http_(std::make_unique<httplib::Client>(url_)) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout - seconds);
  http_->set_tcp_nodelay(true);  // headers and body go out in separate writes
  http_->set_connection_timeout(seconds.count(), micros.count());
  http_->set_read_timeout(seconds.count(), micros.count());
  http_->set_write_timeout(seconds.count(), micros.count());
}

httplib::Headers ApiClient::Headers() const {
  httplib::Headers headers{{"Accept", kJson}};
  if (!token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
  return headers;
}

Expected<Json> ApiClient::Answer(const httplib::Result& result, const std::string& method,
                                 const std::string& path) {
  if (!result) {
    return Exit{ExitCode::kUnreachable, "cannot reach the server at " + url_ + " (" + method + " " +
                                            path + "): " + httplib::to_string(result.error())};
  }
  const httplib::Response& response = *result;
  if (response.status >= 300) {
    std::string message =
        "the server refused " + method + " " + path + ": " + DescribeError(response);
    if (response.status == 401) message += " (token: " + token_source_ + ")";
    return Exit{ExitCode::kServerError, std::move(message)};
  }
  if (response.body.empty()) return Json::object();
  // Payloads are read as the server reads them, numbers kept as sent (codec/raw_json.h). An
  // answer nests a payload (at most 64 levels, as sent) in at most a few levels of its own.
  Result<Json> body = codec::ParseStrictJson(
      response.body, {.field = "answer",
                      .max_depth = 128,
                      .exact_numbers = codec::StrictJsonOptions::ExactNumbers::kInPayloads});
  if (!body.ok()) {
    return Exit{ExitCode::kServerError,
                "the server's answer to " + method + " " + path + " is not JSON"};
  }
  return std::move(*body);
}

Expected<Json> ApiClient::get(const std::string& path, const QueryParams& query) {
  httplib::Params params(query.begin(), query.end());
  return Answer(http_->Get(path, params, Headers()), "GET", path);
}

Expected<Json> ApiClient::post(const std::string& path, const Json& body) {
  return Answer(http_->Post(path, Headers(), codec::DumpJson(body), kJson), "POST", path);
}

Expected<Json> ApiClient::put(const std::string& path, const Json& body) {
  return Answer(http_->Put(path, Headers(), codec::DumpJson(body), kJson), "PUT", path);
}

Expected<Json> ApiClient::patch(const std::string& path, const Json& body) {
  return Answer(http_->Patch(path, Headers(), codec::DumpJson(body), kJson), "PATCH", path);
}

Expected<Json> ApiClient::del(const std::string& path) {
  return Answer(http_->Delete(path, Headers()), "DELETE", path);
}

Expected<int64_t> ApiClient::download(const std::string& path, const std::string& file) {
  const std::string part = file + ".part";
  int fd = -1;  // the .part file, once the server said 200
  int64_t written = 0;
  int write_errno = 0;
  std::string error_body;  // the JSON error of a refusal
  httplib::Result result = http_->Get(
      path, Headers(),
      [&](const httplib::Response& response) {
        if (response.status != 200) return true;  // its body is the error
        fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) write_errno = errno;
        return fd >= 0;
      },
      [&](const char* data, size_t n) {
        if (fd < 0) {
          error_body.append(data, n);
          return true;
        }
        while (n > 0) {
          const ssize_t w = ::write(fd, data, n);
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) {
            write_errno = w < 0 ? errno : EIO;
            return false;
          }
          data += w;
          n -= static_cast<size_t>(w);
          written += w;
        }
        return true;
      });
  if (fd >= 0 && write_errno == 0 && result && ::fsync(fd) != 0) write_errno = errno;
  if (fd >= 0) ::close(fd);
  const bool complete = fd >= 0 && write_errno == 0 && result && result->status == 200;
  if (complete && ::rename(part.c_str(), file.c_str()) != 0) write_errno = errno;
  if (complete && write_errno == 0) return written;
  if (fd >= 0) ::unlink(part.c_str());
  if (write_errno != 0) {
    return Exit{ExitCode::kServerError, "cannot write " + file + ": " + std::strerror(write_errno)};
  }
  if (result) result->body = std::move(error_body);
  Expected<Json> answer = Answer(result, "GET", path);
  if (!answer.ok()) return answer.exit();
  return Exit{ExitCode::kServerError, "the server answered GET " + path + " with HTTP " +
                                          std::to_string(result->status) + " and no file"};
}

std::string PathSegment(const std::string& segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : segment) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

}  // namespace taskly::cli
