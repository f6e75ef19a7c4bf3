#include "cli/server_flags.h"

#include <charconv>
#include <optional>

#include "cli/flag_checks.h"
#include "store/redis/url.h"
#include "taskly/policy.h"

namespace taskly::cli {
namespace {

std::optional<ListenAddress> TryParseListen(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  ListenAddress address;
  address.host = text.substr(0, colon);
  if (address.host.front() == '[') {
    if (address.host.size() < 3 || address.host.back() != ']') return std::nullopt;
    address.host = address.host.substr(1, address.host.size() - 2);
  } else if (address.host.find(':') != std::string::npos) {
    return std::nullopt;  // a bare IPv6 address needs brackets
  }
  const std::string port = text.substr(colon + 1);
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() ||
      address.port < 0 || address.port > 65535) {
    return std::nullopt;
  }
  return address;
}

CLI::Validator ListenCheck() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (TryParseListen(text)) return {};
        return "must be HOST:PORT (port 0-65535; 0 picks a free one), not \"" + text + "\"";
      },
      "HOST:PORT", "listen address");
}

CLI::Validator StoreCheck() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text == "memory") return {};
        if (text.starts_with("sqlite:") && text.size() > 7) return {};
        if (text.starts_with("redis://")) {
          Result<redis::RedisAddress> address = redis::ParseRedisUrl(text);
          return address.ok() ? std::string() : address.status().message();
        }
        return "must be sqlite:PATH, redis://HOST:PORT/DB or memory, not \"" + text + "\"";
      },
      "sqlite:PATH|redis://HOST:PORT/DB|memory", "store");
}

CLI::Validator ExecAllowCheck() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text == "*" || text.starts_with('/')) return {};
        return "must be the absolute path of an executable (or *), not \"" + text + "\"";
      },
      "PATH", "executable");
}

void AddExecFlags(CLI::App& cmd, ServerFlags& f) {
  auto* allow = cmd.add_flag("--allow-exec", f.allow_exec, "run command tasks (type exec)")
                    ->envname("TASKLY_ALLOW_EXEC");
  cmd.add_option("--exec-allow", f.exec_allow,
                 "with --allow-exec: only these executables (absolute paths; repeatable)")
      ->envname("TASKLY_EXEC_ALLOW")
      ->delimiter(',')
      ->check(ExecAllowCheck())
      ->needs(allow);
  cmd.add_option("--exec-user", f.exec_user, "with --allow-exec: the user commands run as")
      ->envname("TASKLY_EXEC_USER")
      ->needs(allow);
}

// The flags of a node's workers and store, shared by `server` and `worker`.
void AddNodeFlags(CLI::App& cmd, ServerFlags& f, bool server) {
  if (server) {
    cmd.add_option("--store", f.store,
                   "sqlite:PATH (durable), redis://HOST:PORT/DB (shared by a cluster) "
                   "or memory (default: sqlite:<data-dir>/taskly.db); a URL with a password "
                   "only in TASKLY_STORE or the config file")
        ->envname("TASKLY_STORE")
        ->check(StoreCheck());
    cmd.add_flag("--init", f.init,
                 "start a new, empty SQLite store even though its identity file says a store was "
                 "kept there (after the database was lost)");
    cmd.add_option("--slots", f.slots, "worker threads (0: one per CPU)")
        ->envname("TASKLY_SLOTS")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
  } else {
    cmd.add_option("--store", f.store,
                   "redis://HOST:PORT/DB: the cluster's store (a URL with a password only in "
                   "TASKLY_STORE or the config file)")
        ->envname("TASKLY_STORE")
        ->check(StoreCheck())
        ->required();
    cmd.add_option("--concurrency", f.slots, "worker threads (0: one per CPU)")
        ->envname("TASKLY_CONCURRENCY")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
  }
  cmd.add_option("--store-password-file", f.store_password_file,
                 "file holding the redis:// store's password, mode 0600 (or set "
                 "TASKLY_STORE_PASSWORD; never put it in --store)")
      ->envname("TASKLY_STORE_PASSWORD_FILE");
  cmd.add_option("--queues", f.queues, "queues served, in order (comma-separated)")
      ->envname("TASKLY_QUEUES")
      ->delimiter(',')
      ->check(NameCheck())
      ->capture_default_str();
  cmd.add_option("--selector", f.selector,
                 "how free slots pick a queue: strict|round_robin|weighted")
      ->envname("TASKLY_SELECTOR")
      ->check(CLI::Validator(
          [](std::string& s) {
            Result<SelectorKind> k = ParseSelectorKind(s, "");
            return k.ok() ? std::string() : k.status().message();
          },
          "SELECTOR", "selector"))
      ->capture_default_str();
  cmd.add_option("--prefetch", f.prefetch, "tasks a worker claims at once")
      ->envname("TASKLY_PREFETCH")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd.add_option("--lease", f.lease, "lease of a claimed task, renewed while it runs")
      ->envname("TASKLY_LEASE")
      ->check(PositiveDurationCheck())
      ->capture_default_str();
  cmd.add_option("--grace", f.grace, "on SIGTERM/SIGINT, how long running tasks may finish")
      ->envname("TASKLY_GRACE")
      ->check(DurationCheck())
      ->capture_default_str();
  cmd.add_option("--node-id", f.node_id,
                 "this node's id in the cluster, unique (default: <hostname>-<pid>)")
      ->envname("TASKLY_NODE_ID")
      ->check(NameCheck());
  if (server) {
    cmd.add_option("--leader-ttl", f.leader_ttl,
                   "cluster: the leader's lease (a new leader takes over this long after the "
                   "leader dies) and how long a silent node stays listed")
        ->envname("TASKLY_LEADER_TTL")
        ->check(PositiveDurationCheck())
        ->capture_default_str();
    cmd.add_option("--min-schedule-period", f.min_schedule_period,
                   "the shortest schedule period accepted (every, or a cron's smallest gap)")
        ->envname("TASKLY_MIN_SCHEDULE_PERIOD")
        ->check(PositiveDurationCheck())
        ->capture_default_str();
  }
  cmd.add_option("--max-result", f.max_result,
                 "largest task result stored (bytes; KiB/MiB suffixes); command output is cut "
                 "to fit, a larger result from another handler fails its task")
      ->envname("TASKLY_MAX_RESULT")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  AddExecFlags(cmd, f);
  cmd.add_option("--log-level", f.log_level, "trace|debug|info|warn|error|off")
      ->envname("TASKLY_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
}

}  // namespace

ListenAddress ParseListen(const std::string& text) { return *TryParseListen(text); }

void AddServerFlags(CLI::App& cmd, ServerFlags& f) {
  cmd.add_option("--listen", f.listen, "HOST:PORT to serve the API on")
      ->envname("TASKLY_LISTEN")
      ->check(ListenCheck())
      ->capture_default_str();
  AddNodeFlags(cmd, f, /*server=*/true);
  cmd.add_option("--max-body", f.max_body, "largest request body (bytes; KiB/MiB suffixes)")
      ->envname("TASKLY_MAX_BODY")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  cmd.add_option("--max-payload", f.max_payload, "largest task payload (bytes; KiB/MiB suffixes)")
      ->envname("TASKLY_MAX_PAYLOAD")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  cmd.add_option("--http-threads", f.http_threads, "threads serving API requests")
      ->envname("TASKLY_HTTP_THREADS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd.add_option("--max-connections", f.max_connections,
                 "open API connections at most (further ones are closed at once)")
      ->envname("TASKLY_MAX_CONNECTIONS")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd.add_option("--request-timeout", f.request_timeout,
                 "a request's headers and body must arrive within this of its first byte")
      ->envname("TASKLY_REQUEST_TIMEOUT")
      ->check(PositiveDurationCheck())
      ->capture_default_str();
  cmd.add_option("--idle-timeout", f.idle_timeout,
                 "an API connection with no request under way is closed after this")
      ->envname("TASKLY_IDLE_TIMEOUT")
      ->check(PositiveDurationCheck())
      ->capture_default_str();
  cmd.add_option("--keep", f.keep,
                 "retention: terminal tasks kept at most (oldest deleted first, payload too)")
      ->envname("TASKLY_KEEP")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
      ->capture_default_str();
  cmd.add_option("--keep-for", f.keep_for,
                 "retention: how long a terminal task is kept after it finished")
      ->envname("TASKLY_KEEP_FOR")
      ->check(PositiveDurationCheck())
      ->capture_default_str();
}

void AddWorkerFlags(CLI::App& cmd, ServerFlags& f) { AddNodeFlags(cmd, f, /*server=*/false); }

}  // namespace taskly::cli
