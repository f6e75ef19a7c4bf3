// LoadOrCreateToken: creates a private token file, reads it back, refuses unsafe ones.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "server/api_server.h"

namespace taskly::server {
namespace {

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "taskly-token-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string TokenPath() const { return dir_ + "/token"; }
  void Write(const std::string& text, mode_t mode) {
    std::ofstream(TokenPath()) << text;
    ASSERT_EQ(chmod(TokenPath().c_str(), mode), 0);
  }

  std::string dir_;
};

TEST_F(TokenFileTest, CreatesAPrivateRandomTokenAndReloadsIt) {
  Result<std::string> token = LoadOrCreateToken(dir_);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->size(), 64u);
  EXPECT_EQ(token->find_first_not_of("0123456789abcdef"), std::string::npos) << *token;
  struct stat st {};
  ASSERT_EQ(stat(TokenPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  Result<std::string> again = LoadOrCreateToken(dir_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *token);
  // Nothing but the token file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(TokenFileTest, TwoDirectoriesGetDifferentTokens) {
  Result<std::string> first = LoadOrCreateToken(dir_);
  ASSERT_TRUE(first.ok());
  std::filesystem::remove(TokenPath());
  Result<std::string> second = LoadOrCreateToken(dir_);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*first, *second);
}

TEST_F(TokenFileTest, ReadsAUserWrittenTokenWithoutItsNewline) {
  Write("my-secret-token\n", 0600);
  Result<std::string> token = LoadOrCreateToken(dir_);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(*token, "my-secret-token");
}

TEST_F(TokenFileTest, RefusesAFileOthersCanRead) {
  Write("my-secret-token\n", 0644);
  Result<std::string> token = LoadOrCreateToken(dir_);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(token.status().message().find("0644"), std::string::npos);
  EXPECT_NE(token.status().message().find(TokenPath()), std::string::npos);
}

TEST_F(TokenFileTest, RefusesAnEmptyFile) {
  Write("\n", 0600);
  Result<std::string> token = LoadOrCreateToken(dir_);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(TokenFileTest, AMissingDirectoryIsAnInternalErrorNamingThePath) {
  Result<std::string> token = LoadOrCreateToken(dir_ + "/missing");
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kInternal);
  EXPECT_NE(token.status().message().find(dir_ + "/missing/token"), std::string::npos)
      << token.status().message();
}

}  // namespace
}  // namespace taskly::server
