// Helpers for the codec tests: the model comparisons (tests/support/model_compare.h) and Utc.
#pragma once

#include <gtest/gtest.h>

#include "codec/json_codec.h"
#include "tests/support/model_compare.h"
#include "time/time_test_util.h"

namespace taskly::codec::testutil {

using taskly::testutil::Utc;

using taskly::testing::ExpectQueueConfigEq;
using taskly::testing::ExpectScheduleEq;
using taskly::testing::ExpectSpecEq;
using taskly::testing::ExpectTaskEq;

}  // namespace taskly::codec::testutil
