// Runs the Store conformance suite against the in-memory backend.
#include "tests/conformance/store_conformance.h"

namespace taskly {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, StoreConformance,
                         ::testing::Values(StoreBackend{
                             "memory",
                             [](Clock* clock, const RetentionPolicy& retention) {
                               return NewMemoryStore(MemoryStoreOptions{clock, retention});
                             }}),
                         StoreBackendName);

}  // namespace
}  // namespace taskly
