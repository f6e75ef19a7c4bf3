// Field-by-field comparison of model values, so that a failed round trip (codec, store, reopen)
// names the field that changed (operator== only says that one did).
#pragma once

#include <gtest/gtest.h>

#include "taskly/policy.h"
#include "taskly/schedule.h"
#include "taskly/task.h"

namespace taskly::testing {

inline void ExpectSpecEq(const TaskSpec& got, const TaskSpec& want) {
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.payload, want.payload);
  EXPECT_EQ(got.payload.size(), want.payload.size()) << "payload bytes after a NUL were lost";
  EXPECT_EQ(got.queue, want.queue);
  EXPECT_EQ(got.priority, want.priority);
  EXPECT_EQ(got.deadline, want.deadline);
  EXPECT_EQ(got.timeout, want.timeout);
  EXPECT_EQ(got.max_attempts, want.max_attempts);
  EXPECT_EQ(got.backoff.initial, want.backoff.initial);
  EXPECT_EQ(got.backoff.cap, want.backoff.cap);
  EXPECT_EQ(got.backoff.multiplier, want.backoff.multiplier);
  EXPECT_EQ(got.run_at, want.run_at);
  EXPECT_EQ(got.unique_key, want.unique_key);
  EXPECT_EQ(got.unique_ttl, want.unique_ttl);
  EXPECT_EQ(got.labels, want.labels);
  EXPECT_EQ(got.period, want.period);
  EXPECT_EQ(got.schedule_id, want.schedule_id);
  EXPECT_EQ(got.tick_due, want.tick_due);
}

inline void ExpectTaskEq(const Task& got, const Task& want) {
  EXPECT_EQ(got.id, want.id);
  ExpectSpecEq(got.spec, want.spec);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.seq, want.seq);
  EXPECT_EQ(got.attempts, want.attempts);
  EXPECT_EQ(got.lease_token, want.lease_token);
  EXPECT_EQ(got.enqueued_at, want.enqueued_at);
  EXPECT_EQ(got.ready_at, want.ready_at);
  EXPECT_EQ(got.scheduled_for, want.scheduled_for);
  EXPECT_EQ(got.started_at, want.started_at);
  EXPECT_EQ(got.finished_at, want.finished_at);
  EXPECT_EQ(got.checkpoint, want.checkpoint);
  EXPECT_EQ(got.result, want.result);
  EXPECT_EQ(got.last_error, want.last_error);
  EXPECT_EQ(got.worker, want.worker);
}

inline void ExpectScheduleEq(const ScheduleSpec& got, const ScheduleSpec& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.once, want.once);
  EXPECT_EQ(got.every, want.every);
  EXPECT_EQ(got.anchor, want.anchor);
  EXPECT_EQ(got.cron, want.cron);
  EXPECT_EQ(got.tz, want.tz);
  EXPECT_EQ(got.misfire.policy, want.misfire.policy);
  EXPECT_EQ(got.misfire.max_catch_up, want.misfire.max_catch_up);
  EXPECT_EQ(got.misfire.grace, want.misfire.grace);
  EXPECT_EQ(got.overlap, want.overlap);
  ExpectSpecEq(got.task, want.task);
  EXPECT_EQ(got.start_within, want.start_within);
  EXPECT_EQ(got.paused, want.paused);
  EXPECT_EQ(got.wcet, want.wcet);
}

inline void ExpectQueueConfigEq(const QueueConfig& got, const QueueConfig& want) {
  EXPECT_EQ(got.policy, want.policy);
  EXPECT_EQ(got.aging_step, want.aging_step);
  EXPECT_EQ(got.concurrency, want.concurrency);
  EXPECT_EQ(got.rate, want.rate);
  EXPECT_EQ(got.burst, want.burst);
  EXPECT_EQ(got.weight, want.weight);
}

}  // namespace taskly::testing
