// QueueConfig and QueueInfo as JSON (see json_codec.h for the forms).
#include "codec/field_reader.h"
#include "codec/json_codec.h"
#include "codec/text.h"

namespace taskly::codec {

Result<QueueConfig> QueueConfigFromJson(const Json& j, const QueueConfig& base,
                                        std::string_view prefix) {
  internal::FieldReader r(j, std::string(prefix));
  r.RejectUnknown({"policy", "aging_step", "concurrency", "rate", "burst", "weight"});
  QueueConfig config = base;
  r.ReadEnum("policy", &config.policy, ParseOrderingPolicy);
  r.ReadDuration("aging_step", &config.aging_step);
  r.ReadInt32("concurrency", &config.concurrency);
  r.ReadNumber("rate", &config.rate);
  r.ReadInt32("burst", &config.burst);
  r.ReadInt32("weight", &config.weight);
  if (!r.ok()) return r.status();
  if (Status s = ValidateQueueConfig(config); !s.ok()) return internal::Prefixed(s, prefix);
  return config;
}

Json QueueConfigToJson(const QueueConfig& config) {
  return {{"policy", OrderingPolicyName(config.policy)},
          {"aging_step", FormatDuration(config.aging_step)},
          {"concurrency", config.concurrency},
          {"rate", config.rate},
          {"burst", config.burst},
          {"weight", config.weight}};
}

Json QueueInfoToJson(const QueueInfo& info) {
  return {{"name", internal::Text(info.name)},
          {"paused", info.paused},
          {"config", QueueConfigToJson(info.config)},
          {"counts",
           {{"scheduled", info.scheduled},
            {"pending", info.pending},
            {"active", info.active},
            {"succeeded", info.succeeded},
            {"dead", info.dead},
            {"cancelled", info.cancelled},
            {"expired", info.expired}}},
          {"deadline_misses", info.deadline_misses}};
}

}  // namespace taskly::codec
