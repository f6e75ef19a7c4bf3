#include "store/task_id.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace taskly {
namespace {

using std::chrono::milliseconds;

// The id format spelled out independently of the generator: `chars` base32 digits of `value`
// in Crockford's alphabet, most significant first.
std::string Base32(uint64_t value, int chars) {
  static constexpr char kDigits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out(static_cast<size_t>(chars), '0');
  for (int i = chars - 1; i >= 0; --i, value >>= 5)
    out[static_cast<size_t>(i)] = kDigits[value & 31];
  return out;
}

std::string Expected(uint64_t ms, uint64_t counter) { return Base32(ms, 9) + Base32(counter, 6); }

TEST(TaskIdGeneratorTest, IdsAreTheMillisecondAndACounterThatCarriesAcrossEveryDigit) {
  TaskIdGenerator ids;
  const TimePoint now(milliseconds(1'764'460'800'123));
  std::string previous;
  // Past 2^20 ids, so the counter's count-up carries into its fifth digit.
  for (uint64_t counter = 1; counter <= (uint64_t{1} << 20) + 40; ++counter) {
    std::string id = ids.next(now);
    ASSERT_EQ(id, Expected(1'764'460'800'123, counter)) << "counter " << counter;
    ASSERT_EQ(TaskIdGenerator::CounterOf(id), counter);
    ASSERT_EQ(ids.last_counter(), counter);
    ASSERT_LT(previous, id);
    previous = id;
  }
}

TEST(TaskIdGeneratorTest, TheCounterRunsOnAcrossMillisecondsAndIdsIncreaseWhenTheClockStepsBack) {
  TaskIdGenerator ids;
  EXPECT_EQ(ids.next(TimePoint(milliseconds(1000))), Expected(1000, 1));
  EXPECT_EQ(ids.next(TimePoint(milliseconds(1000))), Expected(1000, 2));
  EXPECT_EQ(ids.next(TimePoint(milliseconds(1005))), Expected(1005, 3));
  // A clock step back keeps the later millisecond: ids still sort in issue order.
  EXPECT_EQ(ids.next(TimePoint(milliseconds(900))), Expected(1005, 4));
  EXPECT_EQ(ids.next(TimePoint(milliseconds(1006))), Expected(1006, 5));
}

TEST(TaskIdGeneratorTest, CounterOfRejectsWhatIsNotAnId) {
  EXPECT_EQ(TaskIdGenerator::CounterOf("short"), std::nullopt);
  EXPECT_EQ(TaskIdGenerator::CounterOf("0000000000000U0"), std::nullopt);  // U is not a digit
  EXPECT_EQ(TaskIdGenerator::CounterOf("00000000000000Z"), 31u);
}

}  // namespace
}  // namespace taskly
