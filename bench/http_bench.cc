// http_bench: submit throughput of `taskly server`'s HTTP API, with the client in this process
// and the server in another, against beanstalkd's put over its own TCP protocol, in the same run.
// Both sides answer only once the task is durable (taskly: SQLite WAL, synchronous=FULL, group
// commit; beanstalkd: -f 0, an fsync on every binlog write).
//
//   taskly     `taskly server` (the binary built beside this one) on 127.0.0.1, data dir in a
//              temporary directory, serving only a queue the benchmark does not submit to, so
//              that it measures submission alone (the tasks wait, as beanstalkd's jobs do).
//   beanstalkd /usr/bin/beanstalkd -f 0, binlog in a temporary directory.
//
// Each side gets kClients connections, each submitting in a loop, with a ~100-byte payload:
//   single   taskly: POST /v1/tasks per task; beanstalkd: one put per job, each awaited.
//   batch    taskly: POST /v1/tasks/batch of kBatch tasks; beanstalkd: kBatch puts written back
//            to back, then their answers read (pipelining, the nearest it has to a batch).
// Rounds alternate the sides; the ratios are medians over rounds.
//
// Prints RESULT lines; the headlines are http.single.ratio_vs_beanstalkd and
// http.batch.ratio_vs_beanstalkd.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "beanstalk.h"

extern char** environ;

namespace {

using Steady = std::chrono::steady_clock;
constexpr int kClients = 8;
constexpr int kBatch = 100;
constexpr int kRounds = 3;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "http_bench: %s\n", what.c_str());
  std::exit(1);
}

void Result(const std::string& name, double value, const char* unit) {
  std::printf("RESULT %s %.2f %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ~100 bytes of JSON, as a typical job's arguments.
const std::string kPayload =
    R"({"user_id":123456,"action":"send_welcome_email","locale":"en-GB","attempt_hint":"first"})";

// One `taskly server` process on a free port, stopped (SIGTERM, then waited) at the end.
class TasklyServer {
 public:
  TasklyServer() {
    char pattern[] = "/tmp/taskly-http-bench-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) Die("mkdtemp failed");
    dir_ = pattern;
    const std::string out = dir_ + "/server.out";
    std::vector<std::string> args = {TASKLY_BINARY, "server",       "--listen", "127.0.0.1:0",
                                     "--data-dir",  dir_ + "/data", "--queues", "idle",
                                     "--log-level", "warn"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (posix_spawn(&pid_, TASKLY_BINARY, &actions, nullptr, argv.data(), environ) != 0) {
      Die(std::string("cannot start ") + TASKLY_BINARY);
    }
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 1000 && port_ == 0; ++i) {
      const std::string banner = ReadAll(out);
      const size_t at = banner.find("url:");
      const size_t colon = banner.find(':', banner.find("127.0.0.1", at));
      if (at != std::string::npos && colon != std::string::npos &&
          banner.find('\n', colon) != std::string::npos) {
        port_ = std::atoi(banner.c_str() + colon + 1);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    if (port_ == 0) Die("taskly server printed no URL");
    token_ = ReadAll(dir_ + "/data/token");
    token_.erase(token_.find_last_not_of(" \n") + 1);
  }
  ~TasklyServer() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TasklyServer(const TasklyServer&) = delete;
  TasklyServer& operator=(const TasklyServer&) = delete;

  int port() const { return port_; }
  const std::string& token() const { return token_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
  std::string token_;
};

std::string TaskJson() { return R"({"type":"echo","payload":)" + kPayload + "}"; }

std::string BatchJson() {
  std::string body = R"({"tasks":[)";
  for (int i = 0; i < kBatch; ++i) body += (i ? "," : "") + TaskJson();
  return body + "]}";
}

// Runs `per_client` requests on each of kClients connections; returns tasks per second.
template <typename Body>
double RunClients(int64_t per_client, int64_t tasks_per_request, Body body) {
  std::atomic<bool> failed = false;
  const auto start = Steady::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      if (!body(per_client)) failed = true;
    });
  }
  for (auto& t : clients) t.join();
  if (failed) Die("a request failed");
  return static_cast<double>(kClients * per_client * tasks_per_request) / Seconds(start);
}

double TasklyHttp(int64_t tasks, bool batch) {
  TasklyServer server;
  const std::string path = batch ? "/v1/tasks/batch" : "/v1/tasks";
  const std::string body = batch ? BatchJson() : TaskJson();
  const int64_t per_request = batch ? kBatch : 1;
  return RunClients(tasks / kClients / per_request, per_request, [&](int64_t requests) {
    httplib::Client client("127.0.0.1", server.port());
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    const httplib::Headers auth = {{"Authorization", "Bearer " + server.token()}};
    for (int64_t i = 0; i < requests; ++i) {
      httplib::Result res = client.Post(path, auth, body, "application/json");
      if (!res || res->status != 201) return false;
    }
    return true;
  });
}

double Beanstalk(int64_t jobs, bool batch) {
  bench::BeanstalkServer server;
  const int64_t per_request = batch ? kBatch : 1;
  return RunClients(jobs / kClients / per_request, per_request, [&](int64_t requests) {
    bench::BeanstalkClient client(server.port());
    for (int64_t i = 0; i < requests; ++i) {
      if (batch) {
        client.put_pipelined(kPayload, kBatch);
      } else {
        client.put(kPayload);
      }
    }
    return true;
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t single = argc > 1 ? std::atoll(argv[1]) : 20'000;
  const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 200'000;
  const int64_t beanstalk = argc > 3 ? std::atoll(argv[3]) : 2'000;
  if (single < kClients || batch < kClients * kBatch || beanstalk < kClients * kBatch) {
    Die("usage: http_bench [single tasks >= 8] [batch tasks >= 800] [beanstalkd jobs >= 800]");
  }
  std::printf(
      "http_bench: %d clients; taskly %lld single, %lld batched (%d per request); "
      "beanstalkd %lld jobs per side; %d rounds\n",
      kClients, static_cast<long long>(single), static_cast<long long>(batch), kBatch,
      static_cast<long long>(beanstalk), kRounds);
  ::signal(SIGPIPE, SIG_IGN);

  std::vector<double> t_single, t_batch, b_single, b_batch, r_single, r_batch;
  for (int round = 0; round < kRounds; ++round) {
    b_single.push_back(Beanstalk(beanstalk, false));
    t_single.push_back(TasklyHttp(single, false));
    b_batch.push_back(Beanstalk(beanstalk, true));
    t_batch.push_back(TasklyHttp(batch, true));
    r_single.push_back(t_single.back() / b_single.back());
    r_batch.push_back(t_batch.back() / b_batch.back());
  }
  Result("http.single.taskly.tasks_per_s", Median(t_single), "/s");
  Result("http.single.beanstalkd.jobs_per_s", Median(b_single), "/s");
  Result("http.single.ratio_vs_beanstalkd", Median(r_single), "x");
  Result("http.batch.taskly.tasks_per_s", Median(t_batch), "/s");
  Result("http.batch.beanstalkd.jobs_per_s", Median(b_batch), "/s");
  Result("http.batch.ratio_vs_beanstalkd", Median(r_batch), "x");
  return 0;
}
