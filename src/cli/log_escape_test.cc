// EscapeForLog and the sink that applies it to every log record.
#include "cli/log_escape.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace taskly::cli {
namespace {

TEST(EscapeForLogTest, ControlCharactersBecomeVisibleEscapes) {
  EXPECT_EQ(EscapeForLog("plain text: /v1/tasks?x=1 \\ \"q\""),
            "plain text: /v1/tasks?x=1 \\ \"q\"");
  EXPECT_EQ(EscapeForLog("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(EscapeForLog(std::string("\x1b[31mred\x7f\x00", 10)), "\\x1b[31mred\\x7f\\x00");
}

TEST(EscapeForLogTest, ValidUtf8IsKeptAndEverythingElseEscaped) {
  EXPECT_EQ(EscapeForLog("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");
  EXPECT_EQ(EscapeForLog("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(EscapeForLog("\xc3"), "\\xc3");                    // cut short
  EXPECT_EQ(EscapeForLog("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(EscapeForLog("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(EscapeForLog("\xc2\x9b"), "\\u009b");              // C1 CSI
}

TEST(EscapingSinkTest, AMessageWithANewlineStaysOneLine) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "escape-test", EscapingSink(std::make_shared<spdlog::sinks::ostream_sink_mt>(out)));
  logger->set_pattern("[%l] %v");
  logger->info("api: GET {} 404", "/x\n[error] forged");
  logger->info("clean");
  EXPECT_EQ(out.str(), "[info] api: GET /x\\n[error] forged 404\n[info] clean\n");
}

}  // namespace
}  // namespace taskly::cli
