// Runs the simulation (simulation.h) over many seeds per backend. A failure prints the seed and
// the command that replays it: TASKLY_SIM_SEED=<seed> runs that seed alone.
#include "tests/sim/simulation.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/redis_server.h"

namespace taskly::sim {
namespace {

// The seeds to run: TASKLY_SIM_SEED alone when set, else 1..`count` (TASKLY_SIM_SEEDS overrides
// the count).
std::vector<uint64_t> Seeds(uint64_t count) {
  if (const char* one = std::getenv("TASKLY_SIM_SEED")) return {std::stoull(one)};
  if (const char* n = std::getenv("TASKLY_SIM_SEEDS")) count = std::stoull(n);
  std::vector<uint64_t> seeds;
  for (uint64_t s = 1; s <= count; ++s) seeds.push_back(s);
  return seeds;
}

void Report(const SimOptions& o, const std::vector<std::string>& violations) {
  if (violations.empty()) return;
  std::string text;
  for (const std::string& v : violations) text += "\n  " + v;
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  ADD_FAILURE() << "seed " << o.seed << ":" << text << "\nreplay: TASKLY_SIM_SEED=" << o.seed << " "
                << ::testing::internal::GetArgvs()[0]
                << " --gtest_filter=" << test->test_suite_name() << "." << test->name();
}

// A fresh directory for one run, removed after it.
struct RunDir {
  RunDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "taskly-sim-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~RunDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

TEST(Simulation, MemoryStore) {
  for (uint64_t seed : Seeds(300)) {
    SimOptions o{.backend = Backend::kMemory, .seed = seed, .steps = 400};
    Report(o, sim::Run(o));
  }
}

TEST(Simulation, SqliteStore) {
  for (uint64_t seed : Seeds(40)) {
    RunDir dir;
    ASSERT_FALSE(dir.path.empty());
    SimOptions o{.backend = Backend::kSqlite, .seed = seed, .steps = 250, .dir = dir.path};
    Report(o, sim::Run(o));
  }
}

TEST(Simulation, RedisStore) {
  std::unique_ptr<testing::RedisServer> redis = testing::RedisServer::Start();
  ASSERT_NE(redis, nullptr) << testing::RedisServer::last_error();
  for (uint64_t seed : Seeds(30)) {
    SimOptions o{.backend = Backend::kRedis,
                 .seed = seed,
                 .steps = 250,
                 .redis_url = redis->url(),
                 .redis_prefix = "sim" + std::to_string(seed)};
    Report(o, sim::Run(o));
  }
}

}  // namespace
}  // namespace taskly::sim
