// `taskly server`: the API, the timer service, the schedules and a local worker pool over one
// store, until SIGTERM or SIGINT.
//
// It is a node of the cluster that shares its store (a Redis one), leading when it can; on
// SQLite and memory it is the only node (a local coordinator).
//
// Shutdown (signals taken as shutdown_signals.h says): the API stops (requests in flight
// finish), the scheduler stops claiming, hands back prefetched tasks that did not start, lets
// running ones finish for --grace and then stops them, resigns leadership and leaves the
// cluster, and the store is closed.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/node_setup.h"
#include "cli/open_store.h"
#include "cli/secrets.h"
#include "cli/server_flags.h"
#include "cli/shutdown_signals.h"
#include "codec/json_codec.h"
#include "server/api_server.h"
#include "server/auth.h"
#include "taskly/scheduler.h"
#include "taskly/store.h"

namespace taskly::cli {
namespace {

namespace fs = std::filesystem;

// Creates the data directory (mode 0700) if it is missing; returns its absolute path. An
// existing one that group or others may write is refused: whoever can write it can replace
// the token file or the database.
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
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Exit{ExitCode::kServerError,
                "cannot stat the data dir " + path.string() + ": " + std::strerror(errno)};
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Exit{ExitCode::kServerError, "the data dir " + path.string() +
                                            " is writable by group or others (mode " + mode +
                                            "); make it private with: chmod 700 " + path.string()};
  }
  return path.string();
}

struct Started {
  std::string url;
  std::string data_dir;  // empty when not used (a token and --store given)
  std::string store;
  std::string node;
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
      << (s.data_dir.empty() ? "not used (a token and --store given)" : s.data_dir) << '\n'
      << "  store:     " << s.store << '\n'
      << "  node:      " << s.node << '\n'
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

// /readyz: the store answers (a PING on Redis; always on SQLite and memory).
std::function<Status()> StoreReadiness(Store* store, const std::string& description) {
  return [store, description]() -> Status {
    Status s = store->ping();
    if (s.ok()) return s;
    return Status(StatusCode::kUnavailable,
                  "the store " + description + " is unreachable: " + s.message(), "store");
  };
}

Exit RunServer(const Commands& commands, const ServerFlags& f) {
  // Before any thread exists (see shutdown_signals.h).
  const sigset_t signals = BlockShutdownSignals();
  SetUpLogging(f.log_level);

  Expected<Handler> exec_handler = ExecHandlerFor(f);
  if (!exec_handler.ok()) return exec_handler.exit();

  const GlobalOptions& g = commands.global;
  std::string token_source;
  Expected<std::string> configured = ConfiguredToken(g, &token_source);
  if (!configured.ok()) return configured.exit();
  Expected<std::string> given_store = StoreWithPassword(f.store, f.store_password_file);
  if (!given_store.ok()) return given_store.exit();

  std::string token = std::move(*configured);
  const bool needs_data_dir = token.empty() || given_store->empty();
  Started started;
  if (needs_data_dir) {
    Expected<std::string> dir = PrepareDataDir(g.data_dir);
    if (!dir.ok()) return dir.exit();
    started.data_dir = *dir;
  }

  if (token.empty()) {
    const std::string path = started.data_dir + "/token";
    const bool existed = fs::exists(path);
    Result<std::string> loaded = server::LoadOrCreateToken(started.data_dir);
    if (!loaded.ok()) {
      return Exit{ExitCode::kServerError, "token file: " + loaded.status().message()};
    }
    if (Status s = server::CheckToken(*loaded, "token"); !s.ok()) {
      return Exit{ExitCode::kServerError, "token file " + path + ": the token " + s.message()};
    }
    token = *loaded;
    started.token_note = path + (existed ? "" : " (created now, mode 0600)");
    started.token_in_file = true;
  } else {
    started.token_note = "given by " + token_source;
  }

  const std::string store_spec =
      given_store->empty() ? "sqlite:" + started.data_dir + "/taskly.db" : *given_store;
  const RetentionPolicy retention{.max_count = f.keep,
                                  .max_age = *codec::ParseDuration(f.keep_for, "")};
  Expected<OpenedStore> store = OpenStore(store_spec, retention, f.init);
  if (!store.ok()) return store.exit();
  started.store = store->description;
  started.node = f.node_id.empty() ? DefaultNodeId() : f.node_id;

  // The port is bound first: the node publishes its URL to the cluster from the start.
  const ListenAddress listen = ParseListen(f.listen);
  server::ApiOptions api_options;
  api_options.host = listen.host;
  api_options.port = listen.port;
  api_options.token = token;
  api_options.max_body_bytes = f.max_body;
  api_options.max_payload_bytes = f.max_payload;
  api_options.threads = f.http_threads;
  api_options.max_connections = f.max_connections;
  api_options.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      *codec::ParseDuration(f.request_timeout, "request_timeout"));
  api_options.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      *codec::ParseDuration(f.idle_timeout, "idle_timeout"));
  if (store_spec.starts_with("sqlite:")) {
    // The backup's temporary copy goes beside the database, on the same file system.
    api_options.backup_dir =
        fs::absolute(store_spec.substr(std::strlen("sqlite:"))).parent_path().string();
  }
  Result<std::unique_ptr<server::ApiServer>> api = server::ApiServer::Bind(api_options);
  if (!api.ok()) {
    return Exit{ExitCode::kServerError,
                "cannot serve the API on " + f.listen + ": " + api.status().ToString()};
  }
  const std::string host =
      listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host;
  started.url = "http://" + host + ":" + std::to_string((*api)->port());

  Expected<std::unique_ptr<Scheduler>> scheduler =
      CreateNodeScheduler(commands, f, *store, std::move(*exec_handler), "server", started.url);
  if (!scheduler.ok()) return scheduler.exit();
  started.exec = f.allow_exec;
  if (Status s = (*scheduler)->start(); !s.ok()) {
    return Exit{ExitCode::kServerError, "cannot start the scheduler: " + s.ToString()};
  }
  if (Status s = (*api)->Serve(**scheduler, StoreReadiness(store->store.get(), started.store));
      !s.ok()) {
    (*scheduler)->stop(Duration::zero());
    return Exit{ExitCode::kServerError, "cannot serve the API: " + s.ToString()};
  }
  spdlog::info("serving {} (store {}, {} queue(s), exec {})", started.url, started.store,
               f.queues.size(), f.allow_exec ? "on" : "off");
  PrintBanner(started, commands.program);

  RunUntilShutdown(signals, f, *scheduler, *store, [&api] { (*api)->stop(); });
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
