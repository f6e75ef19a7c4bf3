// sqlite_bench: taskly's durable embedded store against beanstalkd, both with an fsync behind
// every acknowledged write, in the same run.
//
//   taskly     Scheduler over OpenSqliteStore (WAL, synchronous=FULL, group commit), 2 worker
//              slots, a no-op handler; database in a temporary directory.
//   beanstalkd /usr/bin/beanstalkd -f 0 (fsync on every binlog write), binlog in a temporary
//              directory; 2 worker connections doing reserve + delete.
//
// Throughput (tasks per second, from the first enqueue until every task has run):
//   single   4 producer threads (taskly: enqueue() per task; beanstalkd: one connection each,
//            one put per job, each waiting for its answer).
//   batch    1 producer (taskly: enqueue() of spans of 1000; beanstalkd: 1000 puts written back
//            to back, then their answers read -- pipelining, the nearest it has to a batch).
// beanstalkd writes each put and each delete to its binlog with an fsync; at several ms per fsync
// on these machines it runs far fewer jobs per second, so it is given fewer jobs (argv[2]) to keep
// the run short: the figures are rates, and the ratios compare rates.
//
// Latency: a steady 1,000 tasks/s for argv[3] seconds with idle workers, from 8 producer threads
// (each enqueue waits for an fsync, so one producer alone could not keep the pace); each task
// carries the producer's steady-clock time; the handler records start - that time. Two figures:
// from the call to enqueue/put ("call"), and from its return, when the task was acknowledged
// durable ("ack").
//
// taskly runs with prefetch 1 (one task per claim, as beanstalkd's reserve) and with prefetch 32.
//
// Prints RESULT lines; the headlines are sqlite.*.ratio_vs_beanstalkd and
// sqlite.latency.taskly.ack_p50_us.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "beanstalk.h"
#include "taskly/histogram.h"
#include "taskly/scheduler.h"
#include "taskly/sqlite_store.h"

namespace {

using Steady = std::chrono::steady_clock;
constexpr int kProducers = 4;
constexpr int kWorkers = 2;
constexpr int kBatch = 1000;
constexpr int kPacers = 8;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sqlite_bench: %s\n", what.c_str());
  std::exit(1);
}

void Result(const std::string& name, double value, const char* unit) {
  std::printf("RESULT %s %.2f %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
      .count();
}

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

// Latencies recorded by the handlers: from the enqueue call, and from its acknowledgement.
struct Latency {
  taskly::Histogram from_call;
  taskly::Histogram from_ack;
};

// The payload of a latency task: "<call ns> <ack ns>"; the ack time is not known when the task
// is enqueued, so the producer publishes it through `acks` by task number.
struct Paced {
  std::vector<std::atomic<int64_t>> acks;
  explicit Paced(size_t n) : acks(n) {}
};

// A Scheduler over a fresh SQLite store in a temporary directory, removed on destruction.
class TasklyRig {
 public:
  TasklyRig(int32_t prefetch, taskly::Handler handler) {
    char dir[] = "/tmp/taskly-sqlite-bench-XXXXXX";
    if (mkdtemp(dir) == nullptr) Die("mkdtemp failed");
    dir_ = dir;
    auto store = taskly::OpenSqliteStore({.path = dir_ + "/taskly.db"});
    if (!store.ok()) Die("OpenSqliteStore: " + store.status().message());
    store_ = std::move(*store);
    taskly::SchedulerOptions options;
    options.store = store_.get();
    options.slots = kWorkers;
    options.prefetch = prefetch;
    auto scheduler = taskly::Scheduler::Create(options);
    if (!scheduler.ok()) Die("Scheduler::Create: " + scheduler.status().message());
    scheduler_ = std::move(*scheduler);
    if (!scheduler_->handle("noop", std::move(handler)).ok()) Die("handle() failed");
    if (!scheduler_->start().ok()) Die("start() failed");
  }
  ~TasklyRig() {
    scheduler_->stop(std::chrono::seconds(5));
    scheduler_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  taskly::Scheduler& scheduler() { return *scheduler_; }
  void wait_succeeded(int64_t n) {
    while (scheduler_->stats().succeeded < n) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

 private:
  std::string dir_;
  std::unique_ptr<taskly::Store> store_;
  std::unique_ptr<taskly::Scheduler> scheduler_;
};

taskly::Outcome Noop(taskly::TaskContext&) { return taskly::Outcome::Success(); }

double TasklySingle(int64_t n, int32_t prefetch) {
  TasklyRig rig(prefetch, Noop);
  auto start = Steady::now();
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&rig, n] {
      for (int64_t i = 0; i < n / kProducers; ++i) {
        if (!rig.scheduler().enqueue({.type = "noop"}).ok()) Die("enqueue failed");
      }
    });
  }
  for (auto& t : producers) t.join();
  rig.wait_succeeded(n / kProducers * kProducers);
  return static_cast<double>(n / kProducers * kProducers) / Seconds(start);
}

double TasklyBatch(int64_t n, int32_t prefetch) {
  TasklyRig rig(prefetch, Noop);
  std::vector<taskly::TaskSpec> specs(kBatch, taskly::TaskSpec{.type = "noop"});
  auto start = Steady::now();
  for (int64_t done = 0; done < n; done += kBatch) {
    size_t size = static_cast<size_t>(std::min<int64_t>(kBatch, n - done));
    if (!rig.scheduler().enqueue(std::span(specs.data(), size)).ok()) Die("enqueue failed");
  }
  rig.wait_succeeded(n);
  return static_cast<double>(n) / Seconds(start);
}

// Runs kWorkers beanstalkd consumers until `n` jobs are taken, calling on_job(body) for each.
template <typename OnJob>
std::vector<std::thread> BeanstalkWorkers(int port, int64_t n, std::atomic<int64_t>& taken,
                                          OnJob on_job) {
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([port, n, &taken, on_job] {
      bench::BeanstalkClient client(port);
      std::string body;
      while (taken.fetch_add(1) < n) {
        uint64_t id = client.reserve(&body);
        on_job(body);
        client.remove(id);
      }
    });
  }
  return workers;
}

double BeanstalkSingle(int64_t n) {
  bench::BeanstalkServer server;
  std::atomic<int64_t> taken{0};
  n = n / kProducers * kProducers;
  auto start = Steady::now();
  auto workers = BeanstalkWorkers(server.port(), n, taken, [](const std::string&) {});
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&server, n] {
      bench::BeanstalkClient client(server.port());
      for (int64_t i = 0; i < n / kProducers; ++i) client.put("{}");
    });
  }
  for (auto& t : producers) t.join();
  for (auto& t : workers) t.join();
  return static_cast<double>(n) / Seconds(start);
}

double BeanstalkBatch(int64_t n) {
  bench::BeanstalkServer server;
  std::atomic<int64_t> taken{0};
  auto start = Steady::now();
  auto workers = BeanstalkWorkers(server.port(), n, taken, [](const std::string&) {});
  bench::BeanstalkClient client(server.port());
  for (int64_t done = 0; done < n; done += kBatch) {
    client.put_pipelined("{}", static_cast<int>(std::min<int64_t>(kBatch, n - done)));
  }
  for (auto& t : workers) t.join();
  return static_cast<double>(n) / Seconds(start);
}

// Records one started task whose payload is "<number> <call ns>".
void RecordStart(const std::string& body, const Paced& paced, Latency& latency) {
  int64_t now = NowNs();
  size_t space = body.find(' ');
  size_t k = std::stoull(body.substr(0, space));
  int64_t call = std::stoll(body.substr(space + 1));
  latency.from_call.record(std::chrono::nanoseconds(now - call));
  int64_t ack = paced.acks[k].load();
  // An ack not yet published means the task started before its enqueue returned: zero.
  latency.from_ack.record(std::chrono::nanoseconds(ack == 0 ? 0 : std::max<int64_t>(0, now - ack)));
}

// Submits `n` tasks at a steady 1,000 per second from kPacers threads (task k at k ms, from
// thread k mod kPacers) and publishes each ack time. make_submit() is called once per thread and
// returns that thread's submit(body).
template <typename MakeSubmit>
void Pace(int64_t n, Paced& paced, MakeSubmit make_submit) {
  auto start = Steady::now();
  std::vector<std::thread> pacers;
  for (int p = 0; p < kPacers; ++p) {
    pacers.emplace_back([&, p] {
      auto submit = make_submit();
      for (int64_t k = p; k < n; k += kPacers) {
        std::this_thread::sleep_until(start + std::chrono::milliseconds(k));
        std::string body = std::to_string(k) + " " + std::to_string(NowNs());
        submit(body);
        paced.acks[static_cast<size_t>(k)].store(NowNs());
      }
    });
  }
  for (auto& t : pacers) t.join();
}

void Report(const std::string& side, const Latency& l) {
  Result("sqlite.latency." + side + ".call_p50_us", l.from_call.quantile(0.5).count() / 1e3, "us");
  Result("sqlite.latency." + side + ".call_p99_us", l.from_call.quantile(0.99).count() / 1e3, "us");
  Result("sqlite.latency." + side + ".ack_p50_us", l.from_ack.quantile(0.5).count() / 1e3, "us");
  Result("sqlite.latency." + side + ".ack_p99_us", l.from_ack.quantile(0.99).count() / 1e3, "us");
}

void LatencyTaskly(int64_t n, Latency& latency) {
  Paced paced(static_cast<size_t>(n));
  TasklyRig rig(1, [&](taskly::TaskContext& ctx) {
    RecordStart(ctx.payload(), paced, latency);
    return taskly::Outcome::Success();
  });
  Pace(n, paced, [&rig] {
    return [&rig](const std::string& body) {
      if (!rig.scheduler().enqueue({.type = "noop", .payload = body}).ok()) Die("enqueue failed");
    };
  });
  rig.wait_succeeded(n);
}

void LatencyBeanstalk(int64_t n, Latency& latency) {
  Paced paced(static_cast<size_t>(n));
  bench::BeanstalkServer server;
  std::atomic<int64_t> taken{0};
  auto workers = BeanstalkWorkers(
      server.port(), n, taken, [&](const std::string& body) { RecordStart(body, paced, latency); });
  Pace(n, paced, [&server] {
    return [client = std::make_shared<bench::BeanstalkClient>(server.port())](
               const std::string& body) { client->put(body); };
  });
  for (auto& t : workers) t.join();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 100'000;
  const int64_t nb = argc > 2 ? std::atoll(argv[2]) : 2'000;
  const int64_t seconds = argc > 3 ? std::atoll(argv[3]) : 5;
  if (n < kBatch || nb < kProducers || seconds < 1) {
    Die("usage: sqlite_bench [taskly tasks >= 1000] [beanstalkd jobs >= 4] [latency seconds]");
  }
  std::printf("sqlite_bench: taskly %lld tasks, beanstalkd %lld jobs, latency %lld s at 1000/s\n",
              static_cast<long long>(n), static_cast<long long>(nb),
              static_cast<long long>(seconds));

  double bs_single = BeanstalkSingle(nb);
  Result("sqlite.single.beanstalkd.jobs_per_s", bs_single, "/s");
  double bs_batch = BeanstalkBatch(nb);
  Result("sqlite.batch.beanstalkd.jobs_per_s", bs_batch, "/s");
  for (int32_t prefetch : {1, 32}) {
    std::string side = "taskly_prefetch" + std::to_string(prefetch);
    double single = TasklySingle(n, prefetch);
    Result("sqlite.single." + side + ".tasks_per_s", single, "/s");
    Result("sqlite.single." + side + ".ratio_vs_beanstalkd", single / bs_single, "x");
    double batch = TasklyBatch(n, prefetch);
    Result("sqlite.batch." + side + ".tasks_per_s", batch, "/s");
    Result("sqlite.batch." + side + ".ratio_vs_beanstalkd", batch / bs_batch, "x");
  }

  Latency taskly_latency, beanstalk_latency;
  LatencyTaskly(seconds * 1000, taskly_latency);
  Report("taskly", taskly_latency);
  LatencyBeanstalk(seconds * 1000, beanstalk_latency);
  Report("beanstalkd", beanstalk_latency);
  return 0;
}
