#include <gtest/gtest.h>

#include <string>

#include "exec/command.h"

namespace taskly::exec {
namespace {

CommandSpec Valid() {
  CommandSpec spec;
  spec.argv = {"/bin/echo", "hello"};
  return spec;
}

// The field ValidateCommandSpec blames, or "" when it accepts the spec.
std::string BadField(const CommandSpec& spec) {
  Status s = ValidateCommandSpec(spec);
  if (s.ok()) return "";
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(s.message().empty());
  return s.field();
}

TEST(ValidateCommandSpecTest, AcceptsAValidSpec) {
  CommandSpec spec = Valid();
  spec.env = {{"A", ""}, {"PATH", "/bin"}};
  spec.cwd = "/tmp";
  spec.timeout = std::chrono::seconds(1);
  spec.kill_grace = Duration::zero();
  spec.limits = {.cpu_seconds = 1, .address_space_bytes = 1, .open_files = 1, .processes = 1};
  spec.output_cap = 0;
  EXPECT_EQ(BadField(spec), "");
  spec.argv = {"echo"};  // bare names are looked up in PATH
  EXPECT_EQ(BadField(spec), "");
}

TEST(ValidateCommandSpecTest, NamesTheBadField) {
  CommandSpec spec = Valid();
  spec.argv.clear();
  EXPECT_EQ(BadField(spec), "argv");

  spec = Valid();
  spec.argv[0] = "";
  EXPECT_EQ(BadField(spec), "argv[0]");
  spec.argv[0] = "bin/echo";
  EXPECT_EQ(BadField(spec), "argv[0]");
  spec.argv[0] = "./echo";
  EXPECT_EQ(BadField(spec), "argv[0]");

  spec = Valid();
  spec.argv.push_back(std::string("a\0b", 3));
  EXPECT_EQ(BadField(spec), "argv[2]");

  spec = Valid();
  spec.env = {{"A=B", "x"}};
  EXPECT_EQ(BadField(spec), "env.A=B");
  spec.env = {{"HOME", std::string("a\0b", 3)}};
  EXPECT_EQ(BadField(spec), "env.HOME");
  spec.env = {{"", "x"}};
  EXPECT_EQ(BadField(spec), "env");

  spec = Valid();
  spec.cwd = "relative/dir";
  EXPECT_EQ(BadField(spec), "cwd");

  spec = Valid();
  spec.timeout = -std::chrono::seconds(1);
  EXPECT_EQ(BadField(spec), "timeout");
  spec = Valid();
  spec.kill_grace = -std::chrono::seconds(1);
  EXPECT_EQ(BadField(spec), "kill_grace");
  // Beyond kMaxDuration a deadline computed from it could overflow.
  spec = Valid();
  spec.timeout = std::chrono::hours(24) * 100000;
  EXPECT_EQ(BadField(spec), "timeout");
  spec = Valid();
  spec.kill_grace = Duration::max();
  EXPECT_EQ(BadField(spec), "kill_grace");

  spec = Valid();
  spec.limits.cpu_seconds = 0;
  EXPECT_EQ(BadField(spec), "limits.cpu_seconds");
  spec = Valid();
  spec.limits.address_space_bytes = 0;
  EXPECT_EQ(BadField(spec), "limits.address_space_bytes");
  spec = Valid();
  spec.limits.open_files = 0;
  EXPECT_EQ(BadField(spec), "limits.open_files");
  spec = Valid();
  spec.limits.processes = 0;
  EXPECT_EQ(BadField(spec), "limits.processes");

  spec = Valid();
  spec.output_cap = kMaxOutputCap + 1;
  EXPECT_EQ(BadField(spec), "output_cap");
}

TEST(ResolveExecutableTest, KeepsAbsolutePathsAndSearchesPath) {
  CommandSpec spec;
  spec.argv = {"/no/such/file"};
  Result<std::string> path = ResolveExecutable(spec);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, "/no/such/file");  // execve reports it; the allowlist sees it as given

  spec.argv = {"sh"};
  spec.env = {{"PATH", "/nonexistent:relative/dir::/bin"}};
  path = ResolveExecutable(spec);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "/bin/sh");

  spec.env.clear();  // kDefaultPath
  path = ResolveExecutable(spec);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, "/usr/bin/sh");
}

TEST(ResolveExecutableTest, SkipsDirectoriesAndNonExecutables) {
  CommandSpec spec;
  spec.argv = {"passwd"};  // /etc/passwd is not executable, /usr/bin/passwd is
  spec.env = {{"PATH", "/etc:/usr/bin"}};
  Result<std::string> path = ResolveExecutable(spec);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "/usr/bin/passwd");

  spec.argv = {"bin"};  // /usr/bin is a directory
  spec.env = {{"PATH", "/usr"}};
  path = ResolveExecutable(spec);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(path.status().field(), "argv[0]");
}

}  // namespace
}  // namespace taskly::exec
