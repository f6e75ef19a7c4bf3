// The Store conformance suite: one value-parameterized GoogleTest suite,
// written against taskly/store.h only, that every backend must pass unchanged. A backend joins by
// adding one file that instantiates the suite with its factory:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, StoreConformance,
//                            ::testing::Values(StoreBackend{"memory", [](Clock* c,
//                                const RetentionPolicy& r) { return NewMemoryStore({c, r}); }}),
//                            StoreBackendName);
//
// Time: every test drives a SimulatedClock that the backend must read for run_at, lease expiry,
// deadlines and retention; the suite never sleeps to wait for a timer. Each test gets a fresh,
// empty store built by the backend's factory.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "taskly/clock.h"
#include "taskly/status.h"
#include "taskly/store.h"
#include "taskly/task.h"

namespace taskly {

// One backend under test. `make` returns a fresh, empty store that reads time from `clock` and
// applies `retention`; a backend that needs a server starts or empties it here.
struct StoreBackend {
  std::string name;  // [A-Za-z0-9_]+: becomes part of the test names
  std::function<std::unique_ptr<Store>(Clock* clock, const RetentionPolicy& retention)> make;
};

void PrintTo(const StoreBackend& backend, std::ostream* os);
// The name generator for INSTANTIATE_TEST_SUITE_P: the backend's name.
std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info);

// Readable failure messages for the suite's enums and statuses.
void PrintTo(StatusCode code, std::ostream* os);
void PrintTo(TaskState state, std::ostream* os);
::testing::AssertionResult IsOk(const Status& status);
template <typename T>
::testing::AssertionResult IsOk(const Result<T>& result) {
  return IsOk(result.status());
}

// A TaskFilter from its fields in declaration order (empty strings match anything).
TaskFilter Filter(std::optional<TaskState> state, std::string queue = "", std::string type = "",
                  std::string label_key = "", std::string label_value = "");

class StoreConformance : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;

  // Replaces the store with a fresh one under `retention` (for the retention tests).
  void Recreate(const RetentionPolicy& retention);

  // A valid spec of type "t" in `queue` carrying `payload`, every other field at its default.
  static TaskSpec Spec(std::string queue = "default", std::string payload = "");

  // Enqueues one spec and returns its id; fails the test (and returns "") on error.
  TaskId Enqueue(const TaskSpec& spec);
  // Claims from `queues` in preference order; fails the test (and returns {}) on error.
  std::vector<Lease> Claim(std::vector<std::string> queues, int32_t max_tasks = 1,
                           Duration lease = std::chrono::seconds(30), std::string worker = "w1");
  // get(); fails the test (and returns a default Task) on error.
  Task Get(const TaskId& id);
  // maintain(); fails the test (and returns an empty report) on error.
  MaintenanceReport Maintain();
  // The QueueInfo of `name` from queues(); fails the test if it is not listed.
  QueueInfo QueueOf(const std::string& name);
  // Claims from `queue` one task at a time until nothing is left, completing each, and returns
  // their payloads in claim order.
  std::vector<std::string> DrainPayloads(const std::string& queue);

  SimulatedClock clock_;
  std::unique_ptr<Store> store_;  // declared after clock_: destroyed before it
};

}  // namespace taskly
