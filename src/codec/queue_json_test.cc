// QueueConfig and QueueInfo as JSON: partial updates, round trips, the output form. Refused
// inputs are in bad_input_test.cc.
#include <gtest/gtest.h>

#include <chrono>

#include "codec/codec_test_util.h"
#include "codec/json_codec.h"

namespace taskly::codec {
namespace {

using namespace std::chrono_literals;
using testutil::ExpectQueueConfigEq;

QueueConfig FullConfig() {
  QueueConfig config;
  config.policy = OrderingPolicy::kPriority;
  config.aging_step = 30s;
  config.concurrency = 8;
  config.rate = 12.5;
  config.burst = 20;
  config.weight = 3;
  return config;
}

TEST(QueueConfigJson, EmptyObjectKeepsTheBase) {
  Result<QueueConfig> config = QueueConfigFromJson(Json::object(), FullConfig());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ExpectQueueConfigEq(*config, FullConfig());
}

TEST(QueueConfigJson, PartialUpdateChangesOnlyTheGivenFields) {
  Result<QueueConfig> config = QueueConfigFromJson(
      Json::parse(R"({"policy": "edf", "rate": 3, "weight": null})"), FullConfig());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  QueueConfig want = FullConfig();
  want.policy = OrderingPolicy::kEdf;
  want.rate = 3;
  ExpectQueueConfigEq(*config, want);
}

TEST(QueueConfigJson, RoundTripsEveryPolicy) {
  for (OrderingPolicy policy : {OrderingPolicy::kFifo, OrderingPolicy::kPriority,
                                OrderingPolicy::kEdf, OrderingPolicy::kRms}) {
    QueueConfig config = FullConfig();
    config.policy = policy;
    const Json j = QueueConfigToJson(config);
    EXPECT_EQ(j.at("policy"), OrderingPolicyName(policy));
    Result<QueueConfig> back = QueueConfigFromJson(Json::parse(j.dump()), QueueConfig{});
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectQueueConfigEq(*back, config);
  }
}

TEST(QueueConfigJson, ExactOutput) {
  EXPECT_EQ(QueueConfigToJson(FullConfig()), Json::parse(R"({
      "policy": "priority", "aging_step": "30s", "concurrency": 8, "rate": 12.5, "burst": 20,
      "weight": 3})"));
}

TEST(QueueInfoJson, ExactOutput) {
  QueueInfo info;
  info.name = "mail";
  info.config = FullConfig();
  info.paused = true;
  info.scheduled = 1;
  info.pending = 2;
  info.active = 3;
  info.succeeded = 4;
  info.dead = 5;
  info.cancelled = 6;
  info.expired = 7;
  info.deadline_misses = 9;
  EXPECT_EQ(QueueInfoToJson(info), Json::parse(R"({
      "name": "mail", "paused": true,
      "config": {"policy": "priority", "aging_step": "30s", "concurrency": 8, "rate": 12.5,
                 "burst": 20, "weight": 3},
      "counts": {"scheduled": 1, "pending": 2, "active": 3, "succeeded": 4, "dead": 5,
                 "cancelled": 6, "expired": 7},
      "deadline_misses": 9})"));
}

}  // namespace
}  // namespace taskly::codec
