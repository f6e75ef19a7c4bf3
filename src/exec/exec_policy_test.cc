#include "exec/exec_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace taskly::exec {
namespace {

using ::testing::HasSubstr;

constexpr uid_t kRoot = 0;
constexpr uid_t kUser = 1000;

CommandSpec Echo() {
  CommandSpec spec;
  spec.argv = {"/bin/echo", "hi"};
  return spec;
}

ExecPolicy Enabled(std::vector<std::string> allowlist) {
  ExecPolicy policy;
  policy.enabled = true;
  policy.allowlist = std::move(allowlist);
  return policy;
}

TEST(CheckExecAllowedTest, DisabledByDefault) {
  Status s = CheckExecAllowed(ExecPolicy{}, Echo(), kUser);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("disabled"));
}

TEST(CheckExecAllowedTest, AllowsOnlyListedExecutables) {
  EXPECT_TRUE(CheckExecAllowed(Enabled({"/bin/echo"}), Echo(), kUser).ok());
  EXPECT_TRUE(CheckExecAllowed(Enabled({"*"}), Echo(), kUser).ok());

  Status s = CheckExecAllowed(Enabled({"/bin/true"}), Echo(), kUser);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("\"/bin/echo\""));
  EXPECT_THAT(s.message(), HasSubstr("allowlist"));

  EXPECT_EQ(CheckExecAllowed(Enabled({}), Echo(), kUser).code(), StatusCode::kPermissionDenied);
}

TEST(CheckExecAllowedTest, MatchesBareNamesByTheirResolvedPath) {
  CommandSpec spec;
  spec.argv = {"echo"};
  spec.env = {{"PATH", "/bin"}};
  EXPECT_TRUE(CheckExecAllowed(Enabled({"/bin/echo"}), spec, kUser).ok());

  // The same name through another PATH is another program, and not allowed.
  spec.env = {{"PATH", "/usr/bin"}};
  Status s = CheckExecAllowed(Enabled({"/bin/echo"}), spec, kUser);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("\"echo\" (/usr/bin/echo)"));

  spec.argv = {"no-such-taskly-tool"};
  EXPECT_EQ(CheckExecAllowed(Enabled({"*"}), spec, kUser).code(), StatusCode::kNotFound);
}

TEST(CheckExecAllowedTest, RefusesRootWithoutARunAsUser) {
  Status s = CheckExecAllowed(Enabled({"*"}), Echo(), kRoot);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("--exec-user"));

  ExecPolicy policy = Enabled({"*"});
  policy.run_as_user = "nobody";
  EXPECT_TRUE(CheckExecAllowed(policy, Echo(), kRoot).ok());
}

TEST(ValidateExecPolicyTest, NamesTheBadField) {
  EXPECT_TRUE(ValidateExecPolicy(Enabled({"*", "/usr/bin/tar"})).ok());
  Status s = ValidateExecPolicy(Enabled({"/bin/true", "tar"}));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "allowlist[1]");
  ExecPolicy policy;
  policy.run_as_user = "";
  EXPECT_EQ(ValidateExecPolicy(policy).field(), "run_as_user");
}

TEST(LookupUserTest, FindsUsersAndTheirGroups) {
  Result<RunAs> root = LookupUser("root");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->gid, 0u);
  EXPECT_THAT(root->groups, ::testing::Contains(0u));

  Result<RunAs> missing = LookupUser("no-such-taskly-user");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace taskly::exec
