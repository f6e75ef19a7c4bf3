// redis_bench: taskly's Redis store against BullMQ, on one private redis-server, in the same run.
//
//   server  /usr/bin/redis-server on a free loopback port in a temporary directory
//           (tests/support/redis_server.h): appendonly yes, appendfsync everysec,
//           maxmemory-policy noeviction. FLUSHALL before every measurement, so each side starts
//           from an empty database.
//   taskly  Scheduler over OpenRedisStore, in this process: `slots` = the concurrency, each slot
//           claiming `prefetch` tasks at a time (kPrefetch below), a no-op handler, leases of
//           30 s (at-least-once: a task is settled under its lease token).
//   BullMQ  bench/bullmq/bullmq_bench.mjs in its own node process: a Queue and a Worker with
//           `concurrency` and a no-op processor (BullMQ's normal at-least-once worker, its lock
//           renewed by the worker). BullMQ is installed from bench/bullmq/package.json into
//           bench/.peers/bullmq by the script when missing; without node, npm or the install,
//           the BullMQ side is skipped with a message and taskly's still runs.
// Both sides enqueue jobs with a ~100-byte payload.
//
// 1. Throughput at concurrency 1, 10 and 50: N jobs enqueued in batches of 1,000 (taskly:
//    Store::enqueue of a span; BullMQ: Queue.addBulk), no worker running; then the worker starts
//    and is timed until all N completions have been counted in its process. Enqueue, process and
//    total (N over enqueue + process time) jobs/s, and CPU seconds per 1,000 jobs of the processing
//    phase: the client process (getrusage / process.cpuUsage) and redis-server (/proc/PID/stat
//    utime + stime), separately.
// 2. Enqueue-to-start latency: idle workers (concurrency 10), one producer adding one job at a
//    time, paced at 1,000 per second; the payload carries the monotonic time of the enqueue
//    call, taken in the process that also runs the worker; p50 and p99 of start - that time.
//
// The sides run one after the other, never at once, interleaved over `rounds` (the side that goes
// first alternates); the figures are medians over the rounds, and ratios are of medians. On a
// shared 2-core machine the absolute numbers are noise; the ratios are the figure.
//
// Usage: redis_bench [jobs per throughput run = 100000] [rounds = 3] [latency jobs per round =
// 3000] [one concurrency instead of 1, 10 and 50]. BullMQ processes 3-6k jobs/s on the 2-core VM,
// so the defaults take about 7 minutes. Prints RESULT lines; the headline is
// redis.noop.ratio_vs_bullmq (the lowest of the per-concurrency process and total ratios: the goal
// is >= 2 at every concurrency) and redis.latency.taskly.p50_us.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/redis_server.h"
#include "taskly/redis_store.h"
#include "taskly/scheduler.h"

namespace {

using Steady = std::chrono::steady_clock;
using taskly::testing::RedisServer;

// The concurrencies; a fourth argument runs one of them (or any other) alone.
constexpr int kConcurrencies[] = {1, 10, 50};
constexpr int kBatch = 1000;
constexpr size_t kPayloadBytes = 100;
constexpr int kLatencyConcurrency = 10;
const std::string kScript = std::string(TASKLY_SOURCE_DIR) + "/bench/bullmq/bullmq_bench.mjs";

// The private server; Die() stops it, since exit() runs no destructors of locals.
std::unique_ptr<RedisServer> g_redis;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "redis_bench: %s\n", what.c_str());
  g_redis.reset();
  std::exit(1);
}

void Result(const std::string& name, double value, const char* unit) {
  std::printf("RESULT %s %.2f %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Steady::now().time_since_epoch())
      .count();
}

double SecondsSince(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

// CPU seconds (user + system) of this process, all threads.
double SelfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

// CPU seconds (utime + stime) of process `pid`, from /proc/PID/stat.
double ProcessCpuSeconds(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) Die("cannot read " + path);
  char buf[1024];
  size_t got = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::string stat(buf, got);
  // Fields after the command name, which is in parentheses and may hold spaces: state is
  // field 3, utime 14, stime 15.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// One throughput run of one side.
struct Throughput {
  double enqueue_s = 0, process_s = 0, client_cpu_s = 0, redis_cpu_s = 0;
};

struct Latency {
  double p50_us = 0, p99_us = 0;
};

// Tasks each taskly slot claims at once: 16 at every concurrency. A no-op task costs far less
// than the claim and complete scripts around it, which Redis runs one at a time, so the batch is
// what sets the rate once Redis is the bottleneck: at concurrency 50, prefetch 5 measured
// 0.11 s of Redis CPU per 1,000 jobs and prefetch 16 0.06-0.07 s (1.6x-2.2x the jobs/s). The
// tasks a slot holds wait behind each other under their leases, which costs nothing for tasks
// of microseconds; for long tasks prefetch 1 is the fair setting. BullMQ's worker has no
// prefetch: it holds `concurrency` jobs at a time and fetches the next one in the script that
// completes the last.
constexpr int32_t kPrefetch = 16;

// A ~100-byte payload starting with `head`.
std::string Payload(const std::string& head) {
  std::string p = head + " ";
  p.resize(kPayloadBytes, 'x');
  return p;
}

std::unique_ptr<taskly::Store> OpenStore(const RedisServer& redis) {
  taskly::RedisStoreOptions options;
  options.url = redis.url();
  auto store = taskly::OpenRedisStore(options);
  if (!store.ok()) Die("OpenRedisStore: " + store.status().ToString());
  return std::move(store).value();
}

std::unique_ptr<taskly::Scheduler> MakeScheduler(taskly::Store& store, int concurrency,
                                                 taskly::Handler handler) {
  taskly::SchedulerOptions options;
  options.store = &store;
  options.slots = concurrency;
  options.prefetch = kPrefetch;
  auto scheduler = taskly::Scheduler::Create(options);
  if (!scheduler.ok()) Die("Scheduler::Create: " + scheduler.status().ToString());
  if (!(*scheduler)->handle("noop", std::move(handler)).ok()) Die("handle() failed");
  return std::move(scheduler).value();
}

// Until n tasks have succeeded (their completions recorded in Redis). `ran` (counted by the
// handler) is watched first: stats() merges every slot's histograms, and polled each millisecond
// at concurrency 50 it took half of this process's CPU; once all ran, stats() is polled for the
// last completions.
void WaitSucceeded(const taskly::Scheduler& scheduler, const std::atomic<int64_t>& ran, int64_t n) {
  while (ran.load(std::memory_order_relaxed) < n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  while (scheduler.stats().succeeded < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

Throughput TasklyThroughput(const RedisServer& redis, int64_t n, int concurrency) {
  std::unique_ptr<taskly::Store> store = OpenStore(redis);
  std::vector<taskly::TaskSpec> specs(kBatch, taskly::TaskSpec{.type = "noop"});
  for (taskly::TaskSpec& s : specs) s.payload = Payload("{}");
  Throughput out;
  auto t0 = Steady::now();
  for (int64_t done = 0; done < n; done += kBatch) {
    size_t size = static_cast<size_t>(std::min<int64_t>(kBatch, n - done));
    auto r = store->enqueue(std::span<const taskly::TaskSpec>(specs.data(), size));
    if (!r.ok()) Die("enqueue: " + r.status().ToString());
  }
  out.enqueue_s = SecondsSince(t0);

  std::atomic<int64_t> ran = 0;
  auto scheduler = MakeScheduler(*store, concurrency, [&ran](taskly::TaskContext&) {
    ran.fetch_add(1, std::memory_order_relaxed);
    return taskly::Outcome::Success();
  });
  double cpu0 = SelfCpuSeconds();
  double redis0 = ProcessCpuSeconds(redis.pid());
  auto t1 = Steady::now();
  if (taskly::Status s = scheduler->start(); !s.ok()) Die("start: " + s.ToString());
  WaitSucceeded(*scheduler, ran, n);
  out.process_s = SecondsSince(t1);
  out.client_cpu_s = SelfCpuSeconds() - cpu0;
  out.redis_cpu_s = ProcessCpuSeconds(redis.pid()) - redis0;
  scheduler->stop(std::chrono::seconds(5));
  return out;
}

// The nearest-rank quantile of sorted samples (as the node script computes it).
double Quantile(const std::vector<int64_t>& sorted, double q) {
  size_t i =
      std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[i]);
}

Latency TasklyLatency(const RedisServer& redis, int64_t n) {
  std::unique_ptr<taskly::Store> store = OpenStore(redis);
  std::vector<std::atomic<int64_t>> samples(static_cast<size_t>(n));
  // The payload is "<k> <enqueue call time, us>" padded.
  std::atomic<int64_t> ran = 0;
  auto scheduler = MakeScheduler(*store, kLatencyConcurrency, [&](taskly::TaskContext& ctx) {
    int64_t now = NowUs();
    const std::string& p = ctx.payload();
    size_t k = 0;
    int64_t sent = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), k);
    std::from_chars(end + 1, p.data() + p.size(), sent);
    samples[k].store(now - sent);
    ran.fetch_add(1, std::memory_order_relaxed);
    return taskly::Outcome::Success();
  });
  if (taskly::Status s = scheduler->start(); !s.ok()) Die("start: " + s.ToString());
  // Let the workers settle into their wait: they are idle when the tasks come.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = Steady::now();
  for (int64_t k = 0; k < n; ++k) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(k));
    std::string head = std::to_string(k) + " " + std::to_string(NowUs());
    auto r = store->enqueue_one(taskly::TaskSpec{.type = "noop", .payload = Payload(head)});
    if (!r.ok()) Die("enqueue: " + r.status().ToString());
  }
  WaitSucceeded(*scheduler, ran, n);
  scheduler->stop(std::chrono::seconds(5));
  std::vector<int64_t> sorted;
  sorted.reserve(samples.size());
  for (auto& s : samples) sorted.push_back(s.load());
  std::sort(sorted.begin(), sorted.end());
  return {Quantile(sorted, 0.5), Quantile(sorted, 0.99)};
}

// Runs the node script with `args` and returns the JSON object of its last stdout line, or
// nothing (with the reason in `why`) if it failed.
std::optional<nlohmann::json> RunNode(const std::string& args, std::string* why) {
  std::string command = "node '" + kScript + "' " + args;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *why = "popen failed";
    return std::nullopt;
  }
  std::string out;
  char buf[4096];
  while (size_t got = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, got);
  int status = pclose(pipe);
  if (status != 0) {
    *why = "`" + command + "` exited with status " + std::to_string(WEXITSTATUS(status));
    return std::nullopt;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  nlohmann::json j = nlohmann::json::parse(out.substr(out.rfind('\n') + 1), nullptr, false);
  if (!j.is_object()) {
    *why = "unexpected output of `" + command + "`: " + out;
    return std::nullopt;
  }
  return j;
}

nlohmann::json MustRunNode(const std::string& args) {
  std::string why;
  std::optional<nlohmann::json> j = RunNode(args, &why);
  if (!j) Die("BullMQ side failed: " + why);
  return *j;
}

Throughput BullmqThroughput(const RedisServer& redis, int64_t n, int concurrency) {
  nlohmann::json j =
      MustRunNode("throughput " + std::to_string(redis.port()) + " " + std::to_string(redis.pid()) +
                  " " + std::to_string(sysconf(_SC_CLK_TCK)) + " " + std::to_string(n) + " " +
                  std::to_string(concurrency));
  return {j.at("enqueue_s").get<double>(), j.at("process_s").get<double>(),
          j.at("client_cpu_s").get<double>(), j.at("redis_cpu_s").get<double>()};
}

Latency BullmqLatency(const RedisServer& redis, int64_t n) {
  nlohmann::json j = MustRunNode("latency " + std::to_string(redis.port()) + " " +
                                 std::to_string(n) + " " + std::to_string(kLatencyConcurrency));
  return {j.at("p50_us").get<double>(), j.at("p99_us").get<double>()};
}

// FLUSHALL can take longer than RedisServer::Command waits for an answer (1 s) on a loaded
// machine; it still runs, and DBSIZE, queued behind it, says when it is done.
void Flush(const RedisServer& redis) {
  if (redis.Command("FLUSHALL") == "+OK") return;
  for (int attempt = 0; attempt < 30; ++attempt) {
    if (redis.Command("DBSIZE") == ":0") return;
  }
  Die("FLUSHALL failed");
}

// Samples of one figure over the rounds, by name.
using Samples = std::map<std::string, std::vector<double>>;

void Record(Samples& s, const std::string& side, int c, int64_t n, const Throughput& t) {
  std::string p = "c" + std::to_string(c) + "." + side + ".";
  s[p + "enqueue"].push_back(static_cast<double>(n) / t.enqueue_s);
  s[p + "process"].push_back(static_cast<double>(n) / t.process_s);
  s[p + "total"].push_back(static_cast<double>(n) / (t.enqueue_s + t.process_s));
  s[p + "client_cpu"].push_back(t.client_cpu_s * 1000 / static_cast<double>(n));
  s[p + "redis_cpu"].push_back(t.redis_cpu_s * 1000 / static_cast<double>(n));
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 100'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  const int64_t latency_n = argc > 3 ? std::atoll(argv[3]) : 3'000;
  std::vector<int> concurrencies(std::begin(kConcurrencies), std::end(kConcurrencies));
  if (argc > 4) concurrencies = {std::atoi(argv[4])};
  if (n < 1 || rounds < 1 || latency_n < 100 || concurrencies[0] < 1) {
    Die("usage: redis_bench [jobs >= 1] [rounds >= 1] [latency jobs per round >= 100] "
        "[concurrency >= 1]");
  }
  g_redis = RedisServer::Start({.extra_args = {"--appendfsync", "everysec"}});
  if (!g_redis) Die("cannot start redis-server: " + RedisServer::last_error());
  const RedisServer* redis = g_redis.get();

  std::string why;
  std::optional<nlohmann::json> installed = RunNode("install", &why);
  const bool bullmq = installed.has_value();
  std::printf("redis_bench: %lld jobs per run, %d rounds, %lld latency jobs per round; redis %d; ",
              static_cast<long long>(n), rounds, static_cast<long long>(latency_n), redis->port());
  if (bullmq) {
    std::printf("BullMQ %s\n", installed->value("version", "?").c_str());
  } else {
    std::printf("BullMQ side SKIPPED (node, npm or the BullMQ install unavailable: %s)\n",
                why.c_str());
  }
  std::printf("redis_bench: taskly prefetch per slot: %d\n", kPrefetch);
  std::fflush(stdout);

  Samples s;
  for (int r = 0; r < rounds; ++r) {
    for (int c : concurrencies) {
      for (int turn = 0; turn < 2; ++turn) {
        bool taskly_turn = (turn == 0) == (r % 2 == 0);
        if (!taskly_turn && !bullmq) continue;
        Flush(*redis);
        const char* side = taskly_turn ? "taskly" : "bullmq";
        Throughput t =
            taskly_turn ? TasklyThroughput(*redis, n, c) : BullmqThroughput(*redis, n, c);
        Record(s, side, c, n, t);
        std::fprintf(stderr, "round %d c=%d %s: enqueue %.0f/s process %.0f/s\n", r, c, side,
                     static_cast<double>(n) / t.enqueue_s, static_cast<double>(n) / t.process_s);
      }
    }
    for (int turn = 0; turn < 2; ++turn) {
      bool taskly_turn = (turn == 0) == (r % 2 == 0);
      if (!taskly_turn && !bullmq) continue;
      Flush(*redis);
      Latency l = taskly_turn ? TasklyLatency(*redis, latency_n) : BullmqLatency(*redis, latency_n);
      std::string side = taskly_turn ? "taskly" : "bullmq";
      s["latency." + side + ".p50"].push_back(l.p50_us);
      s["latency." + side + ".p99"].push_back(l.p99_us);
    }
  }

  std::optional<double> worst_ratio;
  for (int c : concurrencies) {
    std::string p = "redis.c" + std::to_string(c) + ".";
    std::string k = "c" + std::to_string(c) + ".";
    for (const char* side : {"taskly", "bullmq"}) {
      if (std::string(side) == "bullmq" && !bullmq) continue;
      std::string ks = k + side + ".";
      Result(p + side + ".enqueue_jobs_per_s", Median(s[ks + "enqueue"]), "/s");
      Result(p + side + ".process_jobs_per_s", Median(s[ks + "process"]), "/s");
      Result(p + side + ".total_jobs_per_s", Median(s[ks + "total"]), "/s");
      Result(p + side + ".client_cpu_s_per_1k", Median(s[ks + "client_cpu"]), "s");
      Result(p + side + ".redis_cpu_s_per_1k", Median(s[ks + "redis_cpu"]), "s");
    }
    if (!bullmq) continue;
    for (const char* phase : {"enqueue", "process", "total"}) {
      double ratio = Median(s[k + "taskly." + phase]) / Median(s[k + "bullmq." + phase]);
      Result(p + phase + ".ratio_vs_bullmq", ratio, "x");
      if (std::string(phase) != "enqueue")
        worst_ratio = std::min(worst_ratio.value_or(ratio), ratio);
    }
  }
  for (const char* side : {"taskly", "bullmq"}) {
    if (std::string(side) == "bullmq" && !bullmq) continue;
    std::string k = std::string("latency.") + side;
    Result("redis.latency." + std::string(side) + ".p50_us", Median(s[k + ".p50"]), "us");
    Result("redis.latency." + std::string(side) + ".p99_us", Median(s[k + ".p99"]), "us");
  }
  if (worst_ratio) Result("redis.noop.ratio_vs_bullmq", *worst_ratio, "x");
  g_redis.reset();
  return 0;
}
