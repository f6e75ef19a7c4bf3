// FillTask writes a record over a Task that a claim reuses: strings of the same size are
// copied over their bytes, others assigned. Every length from 0 to 40, each after every other,
// must come out exact.

#include "store/memory/record.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>

namespace taskly::memory {
namespace {

std::string Name(size_t length, char first) {
  std::string s;
  for (size_t i = 0; i < length; ++i) s.push_back(static_cast<char>(first + i % 26));
  return s;
}

TEST(RecordTest, FillTaskCopiesEveryStringLengthOverAReusedTask) {
  Task reused;
  for (size_t before = 0; before <= 40; ++before) {
    for (size_t after = 0; after <= 40; ++after) {
      // The task the lease held before, then the one a claim writes over it.
      for (auto [length, first] : {std::pair{before, 'a'}, std::pair{after, 'A'}}) {
        const std::string type = Name(std::max<size_t>(length, 1), first);
        const std::string worker = Name(length, static_cast<char>(first + 1));
        Record r;
        std::copy_n(Name(Record::kIdSize, first).data(), Record::kIdSize, r.id);
        r.type = &type;
        r.worker = length == 0 ? nullptr : &worker;
        r.payload = Name(length, static_cast<char>(first + 2));
        const std::string queue = Name(length, static_cast<char>(first + 3));
        FillTask(r, queue, reused);
        ASSERT_EQ(reused.id, Name(Record::kIdSize, first));
        ASSERT_EQ(reused.spec.type, type);
        ASSERT_EQ(reused.spec.payload, Name(length, static_cast<char>(first + 2)));
        ASSERT_EQ(reused.spec.queue, queue);
        ASSERT_EQ(reused.worker, length == 0 ? "" : worker) << before << " then " << after;
      }
    }
  }
}

}  // namespace
}  // namespace taskly::memory
