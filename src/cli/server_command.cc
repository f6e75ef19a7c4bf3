// `taskly server`: the API, the timer service, the schedules and a local worker pool over one
// store, until SIGTERM or SIGINT.
//
// Shutdown: SIGTERM and SIGINT are blocked in every thread (the mask is set before any thread
// starts and threads inherit it) and taken with sigwait on the main thread; then the API stops
// (requests in flight finish), the scheduler stops claiming, hands back prefetched tasks that
// did not start, lets running ones finish for --grace and then stops them, and the store is
// closed. A second signal during that, 0.5 s or more after the first, exits at once (exit
// code 1).
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/command.h"
#include "cli/handlers.h"
#include "cli/server_flags.h"
#include "codec/json_codec.h"
#include "server/api_server.h"
#include "taskly/redis_store.h"
#include "taskly/scheduler.h"
#include "taskly/sqlite_store.h"
#include "taskly/store.h"

namespace taskly::cli {
namespace {

namespace fs = std::filesystem;

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Creates the data directory (mode 0700) if it is missing; returns its absolute path.
Expected<std::string> PrepareDataDir(const std::string& dir) {
  std::error_code error;
  const fs::path path = fs::absolute(dir, error);
  if (error) return Exit{ExitCode::kServerError, "data dir " + dir + ": " + error.message()};
  if (!fs::exists(path, error)) {
    fs::create_directories(path, error);
    if (!error) fs::permissions(path, fs::perms::owner_all, error);
    if (error) {
      return Exit{ExitCode::kServerError,
                  "cannot create the data dir " + path.string() + ": " + error.message()};
    }
  } else if (!fs::is_directory(path, error)) {
    return Exit{ExitCode::kServerError, "the data dir " + path.string() + " is not a directory"};
  }
  return path.string();
}

// A usage error for a Status of Scheduler::Create about option `field` ("queues[1]").
Exit SchedulerOptionError(const Status& s) {
  std::string flag = s.field().substr(0, s.field().find('['));
  std::replace(flag.begin(), flag.end(), '_', '-');
  return UsageError("--" + flag + ": " + s.message());
}

struct Started {
  std::string url;
  std::string data_dir;  // empty when not used (--token and --store given)
  std::string store;
  std::string token_note;
  bool token_in_file = false;
  bool exec = false;
};

void PrintBanner(const Started& s, const std::string& program) {
  std::ostream& out = std::cout;
  out << "taskly server is running\n"
      << "  url:       " << s.url << '\n'
      << "  token:     " << s.token_note << '\n'
      << "  data dir:  "
      << (s.data_dir.empty() ? "not used (--token and --store given)" : s.data_dir) << '\n'
      << "  store:     " << s.store << '\n'
      << "  exec:      "
      << (s.exec ? "enabled" : "disabled (start with --allow-exec to run commands)") << '\n'
      << "Try, in another terminal in this directory:\n";
  std::string env;
  const GlobalOptions defaults;  // what a client assumes when told nothing
  if (s.url != defaults.server) env += " TASKLY_SERVER=" + s.url;
  if (s.token_in_file && fs::absolute(defaults.data_dir) != fs::path(s.data_dir)) {
    env += " TASKLY_DATA_DIR=" + s.data_dir;
  }
  if (!s.token_in_file) env += " TASKLY_TOKEN=<the server's token>";
  if (!env.empty()) out << "  export" << env << '\n';
  if (s.exec) {
    out << "  " << program << " submit --wait --exec -- /bin/echo hello\n";
  } else {
    out << "  " << program << " submit echo --payload '{\"hello\": \"world\"}' --wait\n";
  }
  out << "  " << program << " schedule add tick --every 1m --type echo\n"
      << "  " << program << " ls\n"
      << "Stop with Ctrl-C (or SIGTERM): running tasks get --grace to finish.\n"
      << std::flush;
}

Exit RunServer(const Commands& commands, const ServerFlags& f) {
  // Before any thread exists, so that every thread inherits the mask and only sigwait sees
  // the signals.
  const sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  auto logger = spdlog::stderr_color_mt("taskly");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(f.log_level));

  exec::ExecPolicy policy;
  policy.enabled = f.allow_exec;
  policy.allowlist = f.exec_allow.empty() ? std::vector<std::string>{"*"} : f.exec_allow;
  if (!f.exec_user.empty()) policy.run_as_user = f.exec_user;
  Expected<Handler> exec_handler = MakeExecTaskHandler(policy);
  if (!exec_handler.ok()) return exec_handler.exit();

  const GlobalOptions& g = commands.global;
  const bool needs_data_dir = g.token.empty() || f.store.empty();
  Started started;
  if (needs_data_dir) {
    Expected<std::string> dir = PrepareDataDir(g.data_dir);
    if (!dir.ok()) return dir.exit();
    started.data_dir = *dir;
  }

  std::string token = g.token;
  if (token.empty()) {
    const std::string path = started.data_dir + "/token";
    const bool existed = fs::exists(path);
    Result<std::string> loaded = server::LoadOrCreateToken(started.data_dir);
    if (!loaded.ok()) {
      return Exit{ExitCode::kServerError, "token file: " + loaded.status().message()};
    }
    token = *loaded;
    started.token_note = path + (existed ? "" : " (created now, mode 0600)");
    started.token_in_file = true;
  } else {
    started.token_note = "given by --token, TASKLY_TOKEN or the config file";
  }

  const std::string store_spec =
      f.store.empty() ? "sqlite:" + started.data_dir + "/taskly.db" : f.store;
  const RetentionPolicy retention{.max_count = f.keep,
                                  .max_age = *codec::ParseDuration(f.keep_for, "")};
  std::unique_ptr<Store> store;
  if (store_spec == "memory") {
    store = NewMemoryStore({.retention = retention});
    started.store = "memory (not durable: tasks are lost when the server stops)";
  } else if (store_spec.starts_with("redis://")) {
    RedisStoreOptions options;
    options.url = store_spec;
    options.retention = retention;
    Result<std::unique_ptr<Store>> opened = OpenRedisStore(options);
    if (!opened.ok()) {
      return Exit{ExitCode::kServerError, "cannot open the store: " + opened.status().ToString()};
    }
    store = std::move(*opened);
    // The URL without its password.
    const size_t at = store_spec.rfind('@');
    started.store = at == std::string::npos ? store_spec : "redis://" + store_spec.substr(at + 1);
  } else {
    SqliteStoreOptions options;
    options.path = store_spec.substr(std::strlen("sqlite:"));
    options.retention = retention;
    Result<std::unique_ptr<Store>> opened = OpenSqliteStore(options);
    if (!opened.ok()) {
      return Exit{ExitCode::kServerError, "cannot open the store: " + opened.status().ToString()};
    }
    store = std::move(*opened);
    started.store = "sqlite:" + fs::absolute(options.path).string();
  }

  SchedulerOptions options;
  options.store = store.get();
  options.slots = f.slots;
  options.queues = f.queues;
  options.selector = *ParseSelectorKind(f.selector);
  options.prefetch = f.prefetch;
  options.lease = *codec::ParseDuration(f.lease, "");
  Result<std::unique_ptr<Scheduler>> created = Scheduler::Create(options);
  if (!created.ok()) return SchedulerOptionError(created.status());
  std::unique_ptr<Scheduler> scheduler = std::move(*created);

  Status registered = RegisterHandlers(*scheduler, std::move(*exec_handler));
  for (const auto& [type, handler] : commands.extra_handlers) {
    if (registered.ok()) registered = scheduler->handle(type, handler);
  }
  if (!registered.ok()) {
    return Exit{ExitCode::kServerError, "cannot register the handlers: " + registered.ToString()};
  }
  started.exec = f.allow_exec;

  if (Status s = scheduler->start(); !s.ok()) {
    return Exit{ExitCode::kServerError, "cannot start the scheduler: " + s.ToString()};
  }
  const ListenAddress listen = ParseListen(f.listen);
  server::ApiOptions api_options;
  api_options.host = listen.host;
  api_options.port = listen.port;
  api_options.token = token;
  api_options.max_body_bytes = f.max_body;
  api_options.max_payload_bytes = f.max_payload;
  api_options.threads = f.http_threads;
  if (store_spec != "memory") {
    // The backup's temporary copy goes beside the database, on the same file system.
    api_options.backup_dir =
        fs::absolute(store_spec.substr(std::strlen("sqlite:"))).parent_path().string();
  }
  Store* store_ptr = store.get();
  Result<std::unique_ptr<server::ApiServer>> api =
      server::ApiServer::Start(*scheduler, api_options, [store_ptr]() -> Status {
        Result<std::vector<QueueInfo>> queues = store_ptr->queues();
        return queues.ok() ? Status() : queues.status();
      });
  if (!api.ok()) {
    scheduler->stop(Duration::zero());
    return Exit{ExitCode::kServerError,
                "cannot serve the API on " + f.listen + ": " + api.status().ToString()};
  }
  const std::string host =
      listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host;
  started.url = "http://" + host + ":" + std::to_string((*api)->port());
  spdlog::info("serving {} (store {}, {} queue(s), exec {})", started.url, started.store,
               f.queues.size(), f.allow_exec ? "on" : "off");
  PrintBanner(started, commands.program);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  const Duration grace = *codec::ParseDuration(f.grace, "");
  spdlog::info("{}: shutting down; running tasks have {} to finish (send it again to exit now)",
               strsignal(signal_number), codec::FormatDuration(grace));
  // A second signal ends the process at once, whatever the shutdown is doing. One that comes
  // within kDuplicateWindow of the first is taken for the same request delivered twice (a
  // SIGTERM to the process group reaches both `make run` and the server, and make forwards it
  // to the server again), not for impatience.
  std::jthread impatient(
      [&signals, first = std::chrono::steady_clock::now()](std::stop_token stop) {
        constexpr auto kDuplicateWindow = std::chrono::milliseconds(500);
        const timespec tick{0, 100'000'000};
        while (!stop.stop_requested()) {
          if (sigtimedwait(&signals, nullptr, &tick) <= 0) continue;
          if (std::chrono::steady_clock::now() - first < kDuplicateWindow) {
            spdlog::info("a repeated signal right after the first: still shutting down gracefully");
            continue;
          }
          spdlog::warn("second signal: exiting without waiting for running tasks");
          std::_Exit(static_cast<int>(ExitCode::kServerError));
        }
      });
  (*api)->stop();
  scheduler->stop(grace);
  scheduler.reset();
  store.reset();
  spdlog::info("stopped");
  return Ok();
}

}  // namespace

void AddServerCommand(CLI::App& app, Commands& commands) {
  auto flags = std::make_shared<ServerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "server", "Run the server: HTTP API, schedules and workers over a durable store");
  AddServerFlags(*cmd, *flags);
  cmd->callback([&commands, flags] {
    commands.action = [&commands, flags] { return RunServer(commands, *flags); };
  });
}

}  // namespace taskly::cli
