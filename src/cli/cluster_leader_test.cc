// Leadership of a cluster of 3 `taskly server` nodes on one Redis, with schedules ticking every
// second (misfire policy catch_up): when the leader is SIGKILLed a new leader appears within
// --leader-ttl + 1 s, and when it is paused (SIGSTOP) past its lease another node takes over with
// a higher term. Either way every (schedule, due time) is enqueued once, and no due time is
// missing between a schedule's first and last tick.
#include <gmock/gmock.h>

#include <map>

#include "cli/cluster_test_util.h"
#include "codec/json_codec.h"

namespace taskly::cli::testing {
namespace {

using taskly::testing::RedisServer;

constexpr auto kLeaderTtl = 2s;

class ClusterLeader : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start();
    ASSERT_NE(redis_, nullptr) << RedisServer::last_error();
    for (const char* id : {"s1", "s2", "s3"}) {
      servers_.push_back(std::make_unique<NodeProcess>(
          "server", id, dir_.path(),
          std::vector<std::string>{"--store", redis_->url(), "--slots", "2", "--leader-ttl", "2s",
                                   "--lease", "2s", "--grace", "0s", "--log-level", "warn"},
          Env{}, TASKLY_BINARY));
      ASSERT_TRUE(servers_.back()->Start());
    }
  }

  // Adds `count` schedules ticking every second, catching up to 10 missed ticks.
  void AddSchedules(int count) {
    for (int i = 0; i < count; ++i) {
      const std::string id = (i < 10 ? "every-0" : "every-") + std::to_string(i);
      Answer a = Post(servers_[0]->url(), "/v1/schedules",
                      {{"id", id},
                       {"every", "1s"},
                       {"misfire", {{"policy", "catch_up"}, {"max_catch_up", 10}}},
                       {"task", {{"type", "echo"}}}});
      ASSERT_EQ(a.status, 201) << a.body.dump();
    }
  }

  NodeProcess* ById(const std::string& id) {
    for (auto& s : servers_) {
      if (s->id() == id) return s.get();
    }
    return nullptr;
  }

  // The leader as a running node other than `except` sees it; {"", 0} if none answers.
  std::pair<std::string, uint64_t> Leader(const std::string& except = "") {
    for (auto& s : servers_) {
      if (!s->running() || s->id() == except) continue;
      Answer a = Get(s->url(), "/v1/cluster");
      if (a.status != 200) continue;
      const Json& leader = a.body["leader"];
      return {leader["node"].is_string() ? leader["node"].get<std::string>() : "",
              leader["term"].get<uint64_t>()};
    }
    return {"", 0};
  }

  // The schedule ticks enqueued so far, as the first running node other than `except` lists
  // them (a paused node would not answer).
  size_t TickCount(const NodeProcess* except = nullptr) {
    for (auto& s : servers_) {
      if (!s->running() || s.get() == except) continue;
      size_t ticks = 0;
      for (const Json& t : ListAllTasks(s->url())) ticks += t.contains("schedule_id") ? 1 : 0;
      return ticks;
    }
    return 0;
  }

  // Waits until `count` more ticks than now are enqueued (each schedule ticks once a second).
  bool MoreTicks(size_t count, const NodeProcess* except = nullptr) {
    const size_t before = TickCount(except);
    return PollUntil([&] { return TickCount(except) >= before + count; }, 30s);
  }

  // Checks the schedules' tasks: each (schedule, due) once, no due time missing between a
  // schedule's first and last tick. Returns the number of ticks checked.
  size_t CheckTicks(const std::string& url) {
    std::map<std::string, std::map<std::string, int>> ticks;  // schedule -> due -> tasks
    for (const Json& t : ListAllTasks(url)) {
      if (!t.contains("schedule_id")) continue;
      ++ticks[t["schedule_id"].get<std::string>()][t["tick_due"].get<std::string>()];
    }
    size_t checked = 0;
    for (const auto& [schedule, dues] : ticks) {
      for (const auto& [due, n] : dues) EXPECT_EQ(n, 1) << schedule << " at " << due;
      // Every 1 s: consecutive due times are 1 s apart.
      std::vector<std::string> sorted;
      for (const auto& [due, n] : dues) sorted.push_back(due);
      for (size_t i = 1; i < sorted.size(); ++i) {
        const auto a = ParseDue(sorted[i - 1]), b = ParseDue(sorted[i]);
        EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count(), 1000)
            << schedule << ": a tick is missing between " << sorted[i - 1] << " and " << sorted[i];
      }
      checked += dues.size();
    }
    return checked;
  }

  static TimePoint ParseDue(const std::string& text) {
    Result<TimePoint> t = codec::ParseTime(text, "tick_due");
    EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
    return t.ok() ? *t : TimePoint{};
  }

  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
  std::vector<std::unique_ptr<NodeProcess>> servers_;
};

TEST_F(ClusterLeader, KilledLeaderIsReplacedAndNoTickIsDuplicatedOrLost) {
  AddSchedules(20);
  std::pair<std::string, uint64_t> leader;
  ASSERT_TRUE(PollUntil([&] { return !(leader = Leader()).first.empty(); }, 10s));
  std::chrono::steady_clock::duration slowest{};
  for (int kill = 0; kill < 3; ++kill) {
    ASSERT_TRUE(MoreTicks(20 * 2)) << "the schedules do not tick before kill " << kill;
    leader = Leader();
    NodeProcess* old = ById(leader.first);
    ASSERT_NE(old, nullptr) << leader.first;
    ASSERT_TRUE(old->Stop(SIGKILL).has_value());
    const auto killed_at = std::chrono::steady_clock::now();
    std::pair<std::string, uint64_t> next;
    ASSERT_TRUE(PollUntil(
        [&] {
          next = Leader(old->id());
          return !next.first.empty() && next.first != old->id();
        },
        20s))
        << "no new leader after kill " << kill;
    slowest = std::max(slowest, std::chrono::steady_clock::now() - killed_at);
    EXPECT_GT(next.second, leader.second);
    ASSERT_TRUE(old->Start()) << "restart after kill " << kill;
  }
  EXPECT_LE(slowest, kLeaderTtl + 1s);
  ASSERT_TRUE(MoreTicks(20 * 2)) << "the schedules do not tick after the last takeover";
  const size_t checked = CheckTicks(servers_[0]->url());
  EXPECT_GE(checked, 20u * 6);  // well over 6 s of ticks for each schedule
  std::cout << "[leader crash] 3 leader kills, slowest takeover "
            << std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count() << " ms, "
            << checked << " ticks checked\n";
}

TEST_F(ClusterLeader, PausedLeaderIsReplacedAndItsWritesAreFenced) {
  AddSchedules(5);
  std::pair<std::string, uint64_t> leader;
  ASSERT_TRUE(PollUntil([&] { return !(leader = Leader()).first.empty(); }, 10s));
  ASSERT_TRUE(MoreTicks(5 * 2));
  leader = Leader();
  NodeProcess* old = ById(leader.first);
  ASSERT_NE(old, nullptr);
  old->Signal(SIGSTOP);
  std::pair<std::string, uint64_t> next;
  const bool replaced = PollUntil(
      [&] {
        next = Leader(old->id());
        return !next.first.empty() && next.first != old->id() && next.second > leader.second;
      },
      20s);
  // Ticks the paused node missed pile up: the new leader enqueues the next one of each schedule.
  const bool missed = replaced && MoreTicks(5, old);
  old->Signal(SIGCONT);
  ASSERT_TRUE(replaced);
  ASSERT_TRUE(missed);
  // The old leader finds out: it no longer believes it leads, and reports the newer term. Each
  // GET may wait up to its 10 s read timeout, so the window holds several tries even when the
  // machine is busy and the resumed process is slow to be scheduled.
  Answer view;
  EXPECT_TRUE(PollUntil(
      [&] {
        view = Get(old->url(), "/v1/cluster");
        return view.status == 200 && view.body["leading"] == false;
      },
      30s))
      << view.body.dump();
  EXPECT_GE(view.body["leader"]["term"].get<uint64_t>(), next.second);
  // The stats and the metric report the same fenced writes (read until the two reads agree:
  // one may come between a write and its count).
  Answer stats;
  int64_t fenced = -1;
  EXPECT_TRUE(PollUntil(
      [&] {
        stats = Get(old->url(), "/v1/stats");
        if (stats.status != 200) return false;
        fenced = stats.body["fenced_writes"].get<int64_t>();
        return Metric(old->url(), "taskly_fenced_writes_total").value_or(-1) ==
               static_cast<double>(fenced);
      },
      30s))
      << stats.body.dump();
  EXPECT_EQ(Metric(old->url(), "taskly_cluster_leader").value_or(-1), 0);
  EXPECT_GE(stats.body["leaderships"].get<int64_t>(), 1);
  const size_t checked = CheckTicks(servers_[0]->url());
  std::cout << "[leader pause] term " << leader.second << " -> " << next.second
            << ", fenced writes on the old leader: " << fenced << ", " << checked
            << " ticks checked\n";
}

}  // namespace
}  // namespace taskly::cli::testing
