// The alert rules over synthetic event streams: each rule fires exactly when its condition
// first holds (checked against the numbers the test itself computes), resolves after its
// condition stayed false for resolve_after_s, repeats, waits while pending, and the automatic
// switches go through AlertActions once per firing.
#include "alert/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "alert/windows.h"

namespace payedge::alert {
namespace {

constexpr EpochMs kT0 = 1'795'617'000'000;  // 2026-11-25T14:30:00Z
constexpr EpochMs kS = 1000;
constexpr EpochMs kMin = 60 * kS;

AlertEvent confirm(EpochMs ts, std::string code = {}, double latency = 100, int http = 0) {
  AlertEvent e;
  e.ts = ts;
  e.fn = EventFn::kConfirm;
  e.success = code.empty();
  e.error_code = std::move(code);
  e.http_status = http ? http : (e.success ? 200 : 400);
  e.latency_ms = latency;
  e.course_id = "course-1";
  e.user_id = "user-" + std::to_string(ts % 7919);  // distinct buyers unless a test says otherwise
  return e;
}

// An amount mismatch from `user` on `course`.
AlertEvent mismatch(EpochMs ts, std::string course, std::string user) {
  AlertEvent e = confirm(ts, "E_AMOUNT_MISMATCH");
  e.course_id = std::move(course);
  e.user_id = std::move(user);
  return e;
}

AlertEvent webhook(EpochMs ts, bool valid, std::string ip = "1.2.3.4") {
  AlertEvent e;
  e.ts = ts;
  e.fn = EventFn::kWebhook;
  e.success = valid;
  e.error_code = valid ? "" : "E_WEBHOOK_INVALID_SIG";
  e.http_status = valid ? 200 : 401;
  e.ip = std::move(ip);
  e.ua = "curl/8";
  return e;
}

struct Recorder final : AlertActions {
  std::vector<std::string> calls;
  bool fail = false;
  Status deactivate_course(const std::string& id, const std::string&) override {
    calls.push_back("course " + id);
    if (fail) return fail_status();
    return {};
  }
  Status disable_payments(const std::string&) override {
    calls.push_back("payments off");
    if (fail) return fail_status();
    return {};
  }
  static Status fail_status() { return payedge::fail(ErrorCode::kInternal, "store down"); }
};

// All transitions of a stream, in order.
std::vector<Transition> run(AlertEngine& engine, const std::vector<AlertEvent>& events) {
  std::vector<Transition> out;
  for (const auto& e : events) {
    auto t = engine.observe(e);
    out.insert(out.end(), t.begin(), t.end());
  }
  return out;
}

std::vector<Transition> of_rule(const std::vector<Transition>& ts, const std::string& rule) {
  std::vector<Transition> out;
  std::copy_if(ts.begin(), ts.end(), std::back_inserter(out),
               [&](const Transition& t) { return t.rule == rule; });
  return out;
}

AlertsConfig quiet() {
  AlertsConfig c;
  c.resolve_after_s = 0;
  return c;
}

TEST(AlertEngine, TossBurstFiresOnTheThirdWithinFiveMinutes) {
  AlertEngine engine(quiet(), nullptr);
  // Two 5xx more than 5 min apart, then three within 5 min.
  auto t = run(engine, {confirm(kT0, "TOSS_API_ERROR", 100, 502),
                        confirm(kT0 + 6 * kMin, "TOSS_API_ERROR", 100, 502),
                        confirm(kT0 + 6 * kMin + 10 * kS),
                        confirm(kT0 + 8 * kMin, "TOSS_API_ERROR", 100, 502)});
  ASSERT_TRUE(of_rule(t, "toss_5xx_burst").empty());
  t = run(engine, {confirm(kT0 + 10 * kMin, "TOSS_API_ERROR", 100, 502)});
  auto burst = of_rule(t, "toss_5xx_burst");
  ASSERT_EQ(burst.size(), 1u);
  EXPECT_EQ(burst[0].state, "firing");
  EXPECT_EQ(burst[0].at, kT0 + 10 * kMin);
  EXPECT_EQ(burst[0].annotations.at("count"), "3");
  // Quiet until the window has passed the first of the three: resolved then, not before.
  EXPECT_TRUE(of_rule(engine.advance(kT0 + 11 * kMin - 1), "toss_5xx_burst").empty());
  auto resolved = of_rule(engine.advance(kT0 + 11 * kMin + 2 * kS), "toss_5xx_burst");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].state, "resolved");
}

// Alertmanager identifies an alert by its labels: the firing, its reminders and its resolve
// carry the same set, and the figures that change are annotations. The burst's size is every
// 5xx since it began, not the threshold of 3.
TEST(AlertEngine, BurstKeepsItsLabelsAndReportsItsWholeSize) {
  AlertsConfig c = quiet();
  c.repeat_interval_s = 60;
  AlertEngine engine(c, nullptr);
  std::vector<AlertEvent> ev;
  // 30 over 10 minutes: longer than the 5-minute window, which never holds more than 15.
  for (int i = 0; i < 30; ++i) ev.push_back(confirm(kT0 + i * 20 * kS, "TOSS_API_ERROR", 1, 502));
  auto t = of_rule(run(engine, ev), "toss_5xx_burst");
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[0].state, "firing");
  EXPECT_EQ(t[0].started, kT0 + 40 * kS);
  EXPECT_TRUE(t[0].labels.empty());  // alertname and severity are the notifier's
  EXPECT_EQ(t[0].annotations.at("count"), "3");
  EXPECT_EQ(t[0].annotations.at("runbook"), "RUNBOOK 4.2");
  // --since reaches back over the 5-minute window that made it fire.
  EXPECT_EQ(t[0].annotations.at("next_command"),
            "payedge logs errors --window 5m --fn confirm-payment --since " +
                format_utc(kT0 + 40 * kS - 5 * kMin) + " \"$LOG\"");
  const Transition& reminder = t.back();
  EXPECT_TRUE(reminder.repeat);
  EXPECT_EQ(reminder.labels, t[0].labels);
  EXPECT_EQ(reminder.started, t[0].started);
  auto resolved = of_rule(engine.advance(kT0 + 30 * kMin), "toss_5xx_burst");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].state, "resolved");
  EXPECT_EQ(resolved[0].labels, t[0].labels);
  EXPECT_EQ(resolved[0].started, t[0].started);
  EXPECT_EQ(resolved[0].annotations.at("burst_size"), "30");
  EXPECT_NE(resolved[0].summary.find("30 confirms"), std::string::npos) << resolved[0].summary;
  // The next burst counts from zero.
  ev.clear();
  for (int i = 0; i < 3; ++i)
    ev.push_back(confirm(kT0 + 40 * kMin + i * kS, "TOSS_API_ERROR", 1, 502));
  auto next = of_rule(run(engine, ev), "toss_5xx_burst");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].annotations.at("burst_size"), "3");
}

// The mismatch alert that switched one course off is that course's alert: the course is a
// label, kept on the reminder and on the resolve the operator's "back on" causes.
TEST(AlertEngine, MismatchAlertOfOneCourseResolvesWithTheSameLabels) {
  Recorder actions;
  AlertsConfig c = quiet();
  c.repeat_interval_s = 30;
  AlertEngine engine(c, &actions);
  std::vector<AlertEvent> ev;
  for (int u = 0; u < 12; ++u)
    ev.push_back(mismatch(kT0 + u * kS, "course-7", "b" + std::to_string(u)));
  auto t = of_rule(run(engine, ev), "amount_mismatch_ratio");
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[0].state, "firing");
  const std::map<std::string, std::string> labels = {{"course_id", "course-7"}};
  EXPECT_EQ(t[0].labels, labels);
  EXPECT_EQ(t[0].annotations.at("mismatches"), "10");
  EXPECT_NE(t[0].annotations.at("next_command").find("payedge logs mismatches --explain"),
            std::string::npos);
  // Later mismatches on other courses shift the figures, not the identity.
  ev.clear();
  for (int u = 0; u < 20; ++u) {
    ev.push_back(mismatch(kT0 + 40 * kS + u * kS, "course-" + std::to_string(u % 4),
                          "c" + std::to_string(u)));
  }
  auto later = of_rule(run(engine, ev), "amount_mismatch_ratio");
  ASSERT_FALSE(later.empty());
  for (const auto& r : later) EXPECT_EQ(r.labels, labels) << r.state;
  // (were the labels recomputed now, course-7's 12 of 32 users would name no course at all)
  auto back = of_rule(engine.operator_enabled(kT0 + 70 * kS, ""), "amount_mismatch_ratio");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].state, "resolved");
  EXPECT_EQ(back[0].labels, labels);
  EXPECT_EQ(back[0].started, t[0].started);
}

TEST(AlertEngine, ResolvesOnlyAfterTheConditionStaysFalse) {
  AlertsConfig c;
  c.resolve_after_s = 120;
  AlertEngine engine(c, nullptr);
  run(engine, {confirm(kT0, "TOSS_API_ERROR", 1, 502), confirm(kT0 + kS, "TOSS_API_ERROR", 1, 502),
               confirm(kT0 + 2 * kS, "TOSS_API_ERROR", 1, 502)});
  ASSERT_TRUE(engine.firing("toss_5xx_burst"));
  EXPECT_TRUE(engine.advance(kT0 + 6 * kMin).empty());  // false since ~5 min: not 2 min yet
  EXPECT_TRUE(engine.firing("toss_5xx_burst"));
  auto t = engine.advance(kT0 + 8 * kMin);
  ASSERT_EQ(of_rule(t, "toss_5xx_burst").size(), 1u);
  EXPECT_FALSE(engine.firing("toss_5xx_burst"));
}

TEST(AlertEngine, RecoveredAfterThirtyQuietMinutes) {
  AlertEngine engine(quiet(), nullptr);
  run(engine, {confirm(kT0, "TOSS_API_ERROR", 1, 502), confirm(kT0 + kS, "TOSS_API_ERROR", 1, 502),
               confirm(kT0 + 2 * kS, "TOSS_API_ERROR", 1, 502)});
  const auto resolved = engine.advance(kT0 + 6 * kMin);
  ASSERT_EQ(of_rule(resolved, "toss_5xx_burst").size(), 1u);
  const EpochMs r = kT0 + 6 * kMin;
  // 30 minutes of traffic: 200 confirms, 1 of them a 5xx (0.5% < 1%).
  std::vector<AlertEvent> traffic;
  for (int i = 0; i < 200; ++i) traffic.push_back(confirm(r + 1 + i * 8 * kS));
  traffic[100] = confirm(traffic[100].ts, "E_INTERNAL", 1, 500);
  auto t = run(engine, traffic);
  EXPECT_TRUE(of_rule(t, "recovered").empty());  // the last one is at r + 26.5 min
  auto rec = of_rule(engine.advance(r + 30 * kMin), "recovered");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].state, "resolved");  // a notice that it ended, not an alert that lasts
  EXPECT_EQ(rec[0].annotations.at("confirms"), "200");
  EXPECT_TRUE(of_rule(engine.advance(r + 90 * kMin), "recovered").empty());  // once
}

TEST(AlertEngine, NoRecoveryWhileErrorsStayAboveOnePercent) {
  AlertEngine engine(quiet(), nullptr);
  run(engine, {confirm(kT0, "TOSS_API_ERROR", 1, 502), confirm(kT0 + kS, "TOSS_API_ERROR", 1, 502),
               confirm(kT0 + 2 * kS, "TOSS_API_ERROR", 1, 502)});
  engine.advance(kT0 + 6 * kMin);
  const EpochMs r = kT0 + 6 * kMin;
  std::vector<AlertEvent> traffic;
  for (int i = 0; i < 50; ++i) traffic.push_back(confirm(r + 1 + i * 30 * kS));
  traffic[10] = confirm(traffic[10].ts, "E_INTERNAL", 1, 500);  // 1 of 50 = 2%
  auto t = run(engine, traffic);
  t = engine.advance(r + 30 * kMin);
  EXPECT_TRUE(of_rule(t, "recovered").empty());
}

TEST(AlertEngine, WebhookSignatureRatioNeedsVolumeAndNamesTheSenders) {
  AlertEngine engine(quiet(), nullptr);
  // 19 requests, 10 invalid: over 2% but under the minimum volume of 20.
  std::vector<AlertEvent> few;
  for (int i = 0; i < 19; ++i) few.push_back(webhook(kT0 + i * kS, i >= 10));
  EXPECT_TRUE(of_rule(run(engine, few), "webhook_invalid_sig_ratio").empty());
  // The 20th (invalid: from another address): 10 of 20.
  auto t =
      of_rule(run(engine, {webhook(kT0 + 19 * kS, false, "9.9.9.9")}), "webhook_invalid_sig_ratio");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].annotations.at("invalid"), "11");  // ids 0..9 invalid, plus this one
  EXPECT_EQ(t[0].annotations.at("requests"), "20");
  EXPECT_EQ(t[0].annotations.at("top_ips"), "1.2.3.4 (10), 9.9.9.9 (1)");
}

// Unsigned payment webhooks are refused only after their 200 (the re-fetch contradicts them):
// that processing line counts as a refusal, not as one more request; the reasons are told apart.
TEST(AlertEngine, WebhookRefusalsFoundWhileProcessingCountWithTheirReason) {
  AlertEngine engine(quiet(), nullptr);
  std::vector<AlertEvent> ev;
  for (int i = 0; i < 19; ++i) ev.push_back(webhook(kT0 + i * kS, true, "5.5.5.5"));
  for (int i = 0; i < 2; ++i) {
    AlertEvent refused = webhook(kT0 + (19 + i) * kS, false, "6.6.6.6");
    refused.http_status = 0;  // the processing line, after the 200
    refused.background = true;
    refused.error_detail = "refetch_mismatch";
    ev.push_back(refused);
  }
  // Still 19 requests: under the minimum volume, nothing fires yet.
  EXPECT_TRUE(of_rule(run(engine, ev), "webhook_invalid_sig_ratio").empty());
  AlertEvent secret = webhook(kT0 + 21 * kS, false, "6.6.6.6");
  secret.error_detail = "deposit_secret";
  auto t = of_rule(run(engine, {secret}), "webhook_invalid_sig_ratio");
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.back().annotations.at("requests"), "20");  // 19 answered 200 + the 401
  EXPECT_EQ(t.back().annotations.at("invalid"), "3");
  EXPECT_EQ(t.back().annotations.at("reasons"), "refetch_mismatch (2), deposit_secret (1)");
  EXPECT_EQ(t.back().annotations.at("top_ips"), "6.6.6.6 (3)");
}

TEST(AlertEngine, WebhookRatioAtExactlyTwoPercentDoesNotFire) {
  AlertEngine engine(quiet(), nullptr);
  std::vector<AlertEvent> ev;
  // The two invalid ones last: 1 of 99, then exactly 2 of 100 (the rule is "over 2%").
  for (int i = 0; i < 100; ++i) ev.push_back(webhook(kT0 + i * kS, i < 98));
  EXPECT_TRUE(of_rule(run(engine, ev), "webhook_invalid_sig_ratio").empty());
  EXPECT_EQ(
      of_rule(run(engine, {webhook(kT0 + 100 * kS, false)}), "webhook_invalid_sig_ratio").size(),
      1u);  // 3 of 101
}

TEST(AlertEngine, LatencyP95IsNearestRankOverTheWindow) {
  AlertEngine engine(quiet(), nullptr);
  // 20 confirms: 18 fast, 2 at 3000 ms. Nearest rank p95 of 20 = the 19th smallest = 3000.
  std::vector<AlertEvent> ev;
  for (int i = 0; i < 19; ++i) ev.push_back(confirm(kT0 + i * kS, "", i < 18 ? 200 : 3000));
  EXPECT_TRUE(of_rule(run(engine, ev), "confirm_latency_p95").empty());  // 19 < min 20
  auto t = of_rule(run(engine, {confirm(kT0 + 19 * kS, "", 3000)}), "confirm_latency_p95");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].annotations.at("p95_ms"), "3000");
  // One more fast: 21 values, rank ceil(0.95·21) = 20 → still 3000. Then 40 fast ones → 200.
  EXPECT_TRUE(engine.firing("confirm_latency_p95"));
  std::vector<AlertEvent> fast;
  for (int i = 0; i < 40; ++i) fast.push_back(confirm(kT0 + 30 * kS + i * kS, "", 200));
  auto r = of_rule(run(engine, fast), "confirm_latency_p95");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].state, "resolved");
}

TEST(LatencyWindow, PercentilesMatchASortedList) {
  std::mt19937 rng(7);
  for (int n : {1, 2, 20, 21, 500}) {
    LatencyWindow w(1000 * kS);
    std::vector<int> values;
    for (int i = 0; i < n; ++i) {
      const int v = static_cast<int>(rng() % 5000);
      values.push_back(v);
      w.add(kT0 + i, v);
    }
    std::sort(values.begin(), values.end());
    for (int p : {50, 95, 99, 100}) {
      const std::size_t rank = (static_cast<std::size_t>(p) * n + 99) / 100;
      EXPECT_EQ(w.percentile(p), values[rank - 1]) << "n=" << n << " p=" << p;
    }
  }
}

TEST(LatencyWindow, OldValuesLeaveTheWindow) {
  LatencyWindow w(10 * kS);
  w.add(kT0, 5000);
  w.add(kT0 + 5 * kS, 10);
  EXPECT_EQ(w.percentile(100), 5000);
  w.advance(kT0 + 10 * kS);  // the first is now exactly window-old: out
  EXPECT_EQ(w.count(), 1u);
  EXPECT_EQ(w.percentile(100), 10);
  w.add(kT0 + 11 * kS, 1.2);  // rounded up to whole milliseconds
  EXPECT_EQ(w.percentile(100), 10);
  EXPECT_EQ(w.percentile(1), 2);
}

TEST(SlidingCounter, CountsTheWindowInWholeSeconds) {
  SlidingCounter c(60 * kS, 2);
  c.add(kT0, 0);
  c.add(kT0 + 500, 1, 3);
  c.add(kT0 + 30 * kS, 0);
  EXPECT_EQ(c.total(0), 2u);
  EXPECT_EQ(c.total(1), 3u);
  c.advance(kT0 + 61 * kS);  // the first second has left
  EXPECT_EQ(c.total(0), 1u);
  EXPECT_EQ(c.total(1), 0u);
  c.advance(kT0 + 200 * kS);
  EXPECT_EQ(c.total(0), 0u);
}

TEST(AlertEngine, MismatchesOnOneCourseSwitchOffThatCourseOnce) {
  Recorder actions;
  AlertsConfig c = quiet();
  c.repeat_interval_s = 60;
  AlertEngine engine(c, &actions);
  std::vector<AlertEvent> ev;
  for (int i = 0; i < 90; ++i) ev.push_back(confirm(kT0 + i * kS));
  for (int i = 0; i < 10; ++i) {
    auto e = confirm(kT0 + (90 + i) * kS, "E_AMOUNT_MISMATCH");
    e.course_id = i < 9 ? "course-7" : "course-2";  // 90% on course-7
    ev.push_back(e);
  }
  auto t = of_rule(run(engine, ev), "amount_mismatch_ratio");
  ASSERT_EQ(t.size(), 2u);  // firing at the 10th mismatch (10 of 100 > 5%), then the action
  EXPECT_EQ(t[0].state, "firing");
  EXPECT_EQ(t[0].at, kT0 + 99 * kS);
  EXPECT_EQ(t[1].state, "action");
  EXPECT_EQ(t[1].labels.at("action"), "course_deactivate");
  EXPECT_EQ(t[1].labels.at("course_id"), "course-7");
  EXPECT_EQ(t[1].labels.at("applied"), "true");
  EXPECT_EQ(actions.calls, std::vector<std::string>{"course course-7"});
  // Still firing a few minutes later: a reminder, no second switch.
  auto later = run(engine, {confirm(kT0 + 3 * kMin, "E_AMOUNT_MISMATCH")});
  auto again = of_rule(later, "amount_mismatch_ratio");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].repeat);
  EXPECT_EQ(actions.calls.size(), 1u);
}

TEST(AlertEngine, SpreadMismatchesSwitchOffAllPayments) {
  Recorder actions;
  AlertEngine engine(quiet(), &actions);
  std::vector<AlertEvent> ev;
  for (int i = 0; i < 10; ++i) {
    auto e = confirm(kT0 + i * kS, "E_AMOUNT_MISMATCH");
    e.course_id = "course-" + std::to_string(i % 3);
    ev.push_back(e);
  }
  auto t = of_rule(run(engine, ev), "amount_mismatch_ratio");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].labels.at("action"), "payments_disable");
  EXPECT_EQ(actions.calls, std::vector<std::string>{"payments off"});
}

TEST(AlertEngine, SwitchesAreReportedNotAppliedWithoutActionsOrWhenOff) {
  std::vector<AlertEvent> ev;
  for (int i = 0; i < 10; ++i) ev.push_back(confirm(kT0 + i * kS, "E_AMOUNT_MISMATCH"));
  {
    AlertEngine engine(quiet(), nullptr, "replay: nothing changed");
    auto t = of_rule(run(engine, ev), "amount_mismatch_ratio");
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[1].labels.at("applied"), "false");
    EXPECT_NE(t[1].summary.find("replay: nothing changed"), std::string::npos);
  }
  {
    Recorder actions;
    AlertsConfig c = quiet();
    c.auto_toggle = false;
    AlertEngine engine(c, &actions);
    run(engine, ev);
    EXPECT_TRUE(actions.calls.empty());
  }
  {
    Recorder actions;
    actions.fail = true;
    AlertEngine engine(quiet(), &actions);
    auto t = of_rule(run(engine, ev), "amount_mismatch_ratio");
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[1].labels.at("applied"), "false");
    EXPECT_NE(t[1].summary.find("store down"), std::string::npos);
  }
}

// Issue 14: one JWT sending wrong amounts (10 confirms, two courses, default config) is one
// tamperer, not a price bug: nothing is switched off, the single-user alert names the user.
TEST(AlertEngine, OneUserMismatchingSwitchesNothingAndIsNamed) {
  Recorder actions;
  AlertEngine engine(AlertsConfig{}, &actions);
  std::vector<AlertEvent> ev;
  for (int i = 0; i < 10; ++i) {
    ev.push_back(mismatch(kT0 + i * 250, i % 2 ? "course-a" : "course-b", "attacker"));
  }
  auto t = run(engine, ev);
  EXPECT_TRUE(of_rule(t, "amount_mismatch_ratio").empty());
  auto single = of_rule(t, "amount_mismatch_single_user");
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].state, "firing");
  EXPECT_EQ(single[0].annotations.at("user_ids"), "attacker (10)");
  EXPECT_TRUE(actions.calls.empty());
  EXPECT_TRUE(
      std::none_of(t.begin(), t.end(), [](const Transition& x) { return x.state == "action"; }));
}

TEST(AlertEngine, MismatchUsersThresholdIsDistinctUsers) {
  struct Case {
    int users;
    int per_user;
    bool toggles;
  };
  for (const Case c :
       {Case{1, 20, false}, Case{4, 5, false}, Case{5, 2, true}, Case{12, 1, true}}) {
    Recorder actions;
    AlertEngine engine(quiet(), &actions);
    std::vector<AlertEvent> ev;
    int n = 0;
    for (int u = 0; u < c.users; ++u) {
      for (int k = 0; k < c.per_user; ++k) {
        ev.push_back(mismatch(kT0 + (n++) * kS, "course-7", "u" + std::to_string(u)));
      }
    }
    auto t = run(engine, ev);
    SCOPED_TRACE(::testing::Message() << c.users << " users x " << c.per_user);
    EXPECT_EQ(!of_rule(t, "amount_mismatch_ratio").empty(), c.toggles);
    EXPECT_EQ(!of_rule(t, "amount_mismatch_single_user").empty(), !c.toggles);
    EXPECT_EQ(actions.calls.empty(), !c.toggles);
  }
}

// A tamperer hammering another course cannot tilt where the switch goes: users, not requests.
TEST(AlertEngine, CourseChoiceCountsUsersNotRequests) {
  Recorder actions;
  AlertEngine engine(quiet(), &actions);
  std::vector<AlertEvent> ev;
  for (int i = 0; i < 30; ++i) ev.push_back(mismatch(kT0 + i * 100, "course-x", "attacker"));
  for (int u = 0; u < 12; ++u) {
    ev.push_back(mismatch(kT0 + 10 * kS + u * kS, "course-7", "buyer-" + std::to_string(u)));
  }
  run(engine, ev);
  EXPECT_EQ(actions.calls, std::vector<std::string>{"course course-7"});
}

// After an operator turns the course back on, the old mismatches are not counted again; a new
// wave after the change fires (and acts) again.
TEST(AlertEngine, OperatorBackOnForgetsOldMismatches) {
  Recorder actions;
  AlertEngine engine(quiet(), &actions);
  std::vector<AlertEvent> ev;
  for (int u = 0; u < 12; ++u)
    ev.push_back(mismatch(kT0 + u * kS, "course-7", "b" + std::to_string(u)));
  run(engine, ev);
  ASSERT_EQ(actions.calls, std::vector<std::string>{"course course-7"});
  auto back = engine.operator_enabled(kT0 + 60 * kS, "course-7");
  auto resolved = of_rule(back, "amount_mismatch_ratio");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].state, "resolved");
  // One more mismatch 4.5 min later: with the old ones it would be 13 of 13; alone it is 1.
  auto t = run(engine, {mismatch(kT0 + 270 * kS, "course-7", "b99")});
  EXPECT_TRUE(of_rule(t, "amount_mismatch_ratio").empty());
  EXPECT_EQ(actions.calls.size(), 1u);
  // A late line stamped before the change does not count either.
  t = run(engine, {mismatch(kT0 + 30 * kS, "course-7", "b98")});
  EXPECT_TRUE(of_rule(t, "amount_mismatch_ratio").empty());
  // A new wave of 12 users does.
  ev.clear();
  for (int u = 0; u < 12; ++u) {
    ev.push_back(mismatch(kT0 + 300 * kS + u * kS, "course-7", "n" + std::to_string(u)));
  }
  run(engine, ev);
  EXPECT_EQ(actions.calls, (std::vector<std::string>{"course course-7", "course course-7"}));
}

TEST(AlertEngine, PaymentsBackOnForgetsEveryCourse) {
  Recorder actions;
  AlertEngine engine(quiet(), &actions);
  for (int u = 0; u < 12; ++u) {
    run(engine,
        {mismatch(kT0 + u * kS, "course-" + std::to_string(u % 3), "b" + std::to_string(u))});
  }
  ASSERT_EQ(actions.calls, std::vector<std::string>{"payments off"});
  engine.operator_enabled(kT0 + 20 * kS, "");
  auto t = run(engine, {mismatch(kT0 + 30 * kS, "course-1", "z")});
  EXPECT_TRUE(of_rule(t, "amount_mismatch_ratio").empty());
  EXPECT_TRUE(of_rule(t, "amount_mismatch_single_user").empty());  // 1 < min_count
}

TEST(AlertEngine, IdempotencyConflictsFireOnARiseOverTheHourBefore) {
  AlertEngine engine(quiet(), nullptr);
  // The hour before: 12 conflicts (2 per 10 min). Then 10 in 10 min: 10 > 3 × 2 → fires.
  std::vector<AlertEvent> ev;
  for (int i = 0; i < 12; ++i) ev.push_back(confirm(kT0 + i * 5 * kMin, "E_IDEMPOTENCY_CONFLICT"));
  const EpochMs start = kT0 + 61 * kMin;
  for (int i = 0; i < 9; ++i) ev.push_back(confirm(start + i * kMin, "E_IDEMPOTENCY_CONFLICT"));
  EXPECT_TRUE(of_rule(run(engine, ev), "idempotency_conflicts").empty());  // 9 < 10
  auto t = of_rule(run(engine, {confirm(start + 9 * kMin, "E_IDEMPOTENCY_CONFLICT")}),
                   "idempotency_conflicts");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].annotations.at("count"), "10");
}

TEST(AlertEngine, SteadyConflictsAreNotARise) {
  AlertEngine engine(quiet(), nullptr);
  std::vector<AlertEvent> ev;  // 12 per 10 min for two hours: the baseline is 12, 12 < 36
  for (int i = 0; i < 144; ++i) ev.push_back(confirm(kT0 + i * 50 * kS, "E_IDEMPOTENCY_CONFLICT"));
  auto t = of_rule(run(engine, ev), "idempotency_conflicts");
  // Only the first hour, before a baseline exists, may fire.
  for (const auto& x : t) EXPECT_LT(x.at, kT0 + 70 * kMin) << x.state;
}

TEST(AlertEngine, FastBurnNeedsBothWindows) {
  AlertEngine engine(quiet(), nullptr);
  // An hour at 20% bad (burn 20): fast fires. Client errors are left out of the ratio.
  std::vector<AlertEvent> ev;
  for (int i = 0; i < 600; ++i) {
    const EpochMs ts = kT0 + i * 6 * kS;
    if (i % 5 == 0) {
      ev.push_back(confirm(ts, "TOSS_API_ERROR", 100, 502));
    } else {
      ev.push_back(confirm(ts));
      ev.push_back(confirm(ts + 1, "E_COUPON_INVALID"));  // excluded
    }
  }
  auto t = of_rule(run(engine, ev), "slo_burn_fast");
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.front().state, "firing");
  // Then five clean minutes: the 5-min burn drops to 0 while the hour still burns: resolves.
  std::vector<AlertEvent> clean;
  for (int i = 0; i < 60; ++i) clean.push_back(confirm(kT0 + 60 * kMin + i * 5 * kS));
  auto r = of_rule(run(engine, clean), "slo_burn_fast");
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.back().state, "resolved");
}

TEST(AlertEngine, PendingWaitsBeforeFiring) {
  AlertsConfig c = quiet();
  c.pending_for_s = 60;
  AlertEngine engine(c, nullptr);
  auto t = run(engine,
               {confirm(kT0, "TOSS_API_ERROR", 1, 502), confirm(kT0 + kS, "TOSS_API_ERROR", 1, 502),
                confirm(kT0 + 2 * kS, "TOSS_API_ERROR", 1, 502)});
  auto b = of_rule(t, "toss_5xx_burst");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].state, "pending");
  EXPECT_TRUE(of_rule(engine.advance(kT0 + 61 * kS), "toss_5xx_burst").empty());
  auto f = of_rule(engine.advance(kT0 + 63 * kS), "toss_5xx_burst");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].state, "firing");
}

TEST(TossAuthFailure, FiresAtTheFirstMerchantCodeAndResolvesWhenTheyStop) {
  AlertsConfig cfg;
  AlertEngine engine(cfg, nullptr);
  // Buyer rejections and transient codes never fire it.
  for (const char* code : {"REJECT_CARD_PAYMENT", "PROVIDER_ERROR", ""}) {
    AlertEvent e = confirm(kT0, code[0] ? "E_TOSS_REJECTED" : "");
    e.toss_code = code;
    for (const auto& t : engine.observe(e)) EXPECT_NE(t.rule, "toss_auth_failure");
  }
  AlertEvent wrong_key = confirm(kT0 + kS, "TOSS_API_ERROR", 100, 502);
  wrong_key.toss_code = "UNAUTHORIZED_KEY";
  auto out = engine.observe(wrong_key);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rule, "toss_auth_failure");
  EXPECT_EQ(out[0].state, "firing");
  EXPECT_EQ(out[0].annotations.at("toss_code"), "UNAUTHORIZED_KEY");
  EXPECT_TRUE(engine.firing("toss_auth_failure"));
  // Out of the window and quiet for resolve_after_s: resolved.
  const EpochMs clear = kT0 + 2 * kS + cfg.toss_auth_window_s * kS;
  EXPECT_TRUE(engine.advance(clear).empty());
  auto later = engine.advance(clear + cfg.resolve_after_s * kS + kS);
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(later.back().rule, "toss_auth_failure");
  EXPECT_EQ(later.back().state, "resolved");
}

}  // namespace
}  // namespace payedge::alert
