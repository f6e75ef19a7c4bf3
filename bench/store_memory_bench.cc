// store_memory_bench: what a pending task costs the memory store.
//
// (a) Memory per pending task with an empty payload (type "noop", queue "default"): the growth
//     of the resident set (every page the process touched: malloc's heap and the store's own
//     mappings alike) across enqueueing N tasks (argv[1], default 1,000,000) in batches of 1000
//     into a fresh store, divided by N. Each measurement runs in a forked child, so no memory
//     freed by an earlier round is reused. The store, the specs and the batch buffers exist
//     before the first reading, so the growth is the tasks and the store's indexes only.
// (b) The same with a 100-byte payload, minus the 100 payload bytes: what the payload costs
//     beyond its own bytes (its allocation) shows up here.
// (c) Batch enqueue time per task, the median of `rounds` (argv[2], default 3) fresh stores.
//
// Prints `RESULT <name> <value> <unit>` lines.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "taskly/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using Ns = std::chrono::duration<double, std::nano>;

constexpr int64_t kBatch = 1000;
constexpr size_t kPayloadBytes = 100;

void Result(const char* name, double value, const char* unit) {
  std::printf("RESULT %s %.1f %s\n", name, value, unit);
  std::fflush(stdout);
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "store_memory_bench: %s\n", what);
  std::exit(1);
}

int64_t ResidentBytes() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr || std::fscanf(f, "%ld %ld", &pages, &resident) != 2) Die("read statm");
  std::fclose(f);
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

struct Measurement {
  double bytes_per_task;
  double ns_per_task;
};

// Enqueues n tasks with the given payload into a fresh memory store; the store is destroyed
// after the second heap reading.
Measurement Fill(int64_t n, const std::string& payload) {
  std::unique_ptr<taskly::Store> store = taskly::NewMemoryStore();
  const std::vector<taskly::TaskSpec> specs(
      static_cast<size_t>(kBatch),
      taskly::TaskSpec{.type = "noop", .payload = payload, .queue = "default"});
  // The first task creates the queue; it is enqueued before the first reading and not counted.
  if (!store->enqueue(std::span(specs.data(), 1)).ok()) Die("enqueue failed");

  int64_t before = ResidentBytes();
  auto start = Clock::now();
  for (int64_t done = 1; done < n; done += kBatch) {
    size_t size = static_cast<size_t>(std::min(kBatch, n - done));
    if (!store->enqueue(std::span(specs.data(), size)).ok()) Die("enqueue failed");
  }
  double ns = Ns(Clock::now() - start).count();
  int64_t after = ResidentBytes();
  double added = static_cast<double>(n - 1);
  return {static_cast<double>(after - before) / added, ns / added};
}

// Fill() in a forked child, so the parent's freed memory cannot hide the child's growth.
Measurement FillInChild(int64_t n, const std::string& payload) {
  int fds[2];
  if (pipe(fds) != 0) Die("pipe");
  pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    Measurement m = Fill(n, payload);
    if (write(fds[1], &m, sizeof m) != sizeof m) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  Measurement m{};
  bool got = read(fds[0], &m, sizeof m) == sizeof m;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) Die("measuring child failed");
  return m;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  if (n < 2 || rounds < 1) Die("usage: store_memory_bench [tasks >= 2] [rounds >= 1]");
  std::printf("store_memory_bench: %lld pending tasks per store, %d rounds\n",
              static_cast<long long>(n), rounds);

  std::vector<double> bytes;
  std::vector<double> ns;
  for (int r = 0; r < rounds; ++r) {
    Measurement m = FillInChild(n, "");
    bytes.push_back(m.bytes_per_task);
    ns.push_back(m.ns_per_task);
    std::printf("  round %d empty payload: %.1f bytes/task, %.1f ns/task enqueue\n", r + 1,
                m.bytes_per_task, m.ns_per_task);
  }
  Measurement with_payload = FillInChild(n, std::string(kPayloadBytes, 'x'));
  std::printf("  100-byte payload: %.1f bytes/task (payload included)\n",
              with_payload.bytes_per_task);

  Result("store.memory.bytes_per_pending_task", Median(bytes), "bytes");
  Result("store.memory.bytes_per_pending_task_100B_payload_minus_payload",
         with_payload.bytes_per_task - static_cast<double>(kPayloadBytes), "bytes");
  Result("store.memory.enqueue_ns_per_task", Median(ns), "ns");
  return 0;
}
