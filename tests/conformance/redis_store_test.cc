// Runs the Store conformance suite against the Redis backend and a real redis-server: one
// server (tests/support/redis_server.h) for the whole test binary, started by a global test
// environment; each store gets a fresh key prefix, so tests never see each other's keys.
#include "taskly/redis_store.h"

#include <atomic>
#include <memory>
#include <string>

#include "tests/conformance/store_conformance.h"
#include "tests/support/redis_server.h"

namespace taskly {
namespace {

using testing::RedisServer;

RedisServer* g_redis = nullptr;

class RedisEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    // The suite checks the store's logic, not Redis's fsync: every write is still in the AOF,
    // but not fsync'd one by one (src/store/redis/redis_store_test.cc tests durability with
    // appendfsync always).
    server_ = RedisServer::Start({.extra_args = {"--appendfsync", "no"}});
    g_redis = server_.get();
  }
  void TearDown() override {
    g_redis = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<RedisServer> server_;
};

const ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new RedisEnvironment);

std::unique_ptr<Store> MakeRedisStore(Clock* clock, const RetentionPolicy& retention) {
  if (g_redis == nullptr) {
    ADD_FAILURE() << "no redis-server: " << RedisServer::last_error();
    return nullptr;
  }
  static std::atomic<int> stores{0};
  RedisStoreOptions options;
  options.url = g_redis->url();
  options.clock = clock;
  options.retention = retention;
  options.prefix = "t" + std::to_string(++stores);
  Result<std::unique_ptr<Store>> store = OpenRedisStore(options);
  if (!store.ok()) {
    ADD_FAILURE() << "OpenRedisStore: " << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

INSTANTIATE_TEST_SUITE_P(Redis, StoreConformance,
                         ::testing::Values(StoreBackend{"redis", MakeRedisStore}),
                         StoreBackendName);

}  // namespace
}  // namespace taskly
