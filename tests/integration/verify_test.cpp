// `ops verify` at scale and over a window, and `check weekly`'s week at Toss, through the real
// binary against `payedge sim`: the concurrent report equals the sequential one, and a payment
// DONE at Toss but absent from the store is found through Toss's transaction list.
#include <gtest/gtest.h>

#include "core/codec.h"
#include "harness.h"
#include "obs/mask.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

void cancel_at_toss(Stack& stack, const std::string& key, std::optional<long long> amount = {}) {
  json body = {{"cancelReason", "drift for the test"}};
  if (amount) body["cancelAmount"] = *amount;
  auto r = http_call(stack.sim_port(), "POST", "/v1/payments/" + key + "/cancel", body.dump(),
                     toss_basic_auth());
  ASSERT_EQ(r.status, 200) << r.body;
}

// Plain HTTP to the simulator (TLS is tls_test's).
StackOptions plain() {
  StackOptions o;
  o.tls = false;
  return o;
}

TEST(OpsVerify, ConcurrentReportIsTheSequentialOne) {
  Stack stack(plain());
  std::vector<std::string> keys;
  for (int i = 0; i < 36; ++i) {
    keys.push_back(
        stack.purchase("order-verify-" + std::to_string(100 + i), "user-" + std::to_string(i)));
  }
  // Drift behind the store's back: full cancels, partial refunds at Toss.
  for (int i : {3, 11, 29}) cancel_at_toss(stack, keys[i]);
  for (int i : {7, 20}) cancel_at_toss(stack, keys[i], 9000);

  auto sequential = stack.ops({"verify", "--concurrency", "1", "--format", "json"});
  auto concurrent = stack.ops({"verify", "--format", "json"});  // 16 at once
  auto wide = stack.ops({"verify", "--concurrency", "64", "--format", "json"});
  EXPECT_EQ(sequential.exit_code, 1) << sequential.err;
  EXPECT_EQ(concurrent.exit_code, 1) << concurrent.err;
  const json report = json::parse(sequential.out);
  EXPECT_EQ(report["checked"], 36);
  ASSERT_EQ(report["violations"].size(), 5u) << sequential.out;
  std::map<std::string, int> kinds;
  for (const auto& v : report["violations"]) ++kinds[v["kind"].get<std::string>()];
  EXPECT_EQ(kinds["payment_status_drift"], 5) << sequential.out;
  EXPECT_EQ(json::parse(concurrent.out), report);
  EXPECT_EQ(json::parse(wide.out), report);
  // The table too, line for line (the store's order, whatever order Toss answered in).
  EXPECT_EQ(stack.ops({"verify", "--concurrency", "1"}).out, stack.ops({"verify"}).out);
  // At least one at a time: a usage error otherwise.
  EXPECT_EQ(stack.ops({"verify", "--concurrency", "0"}).exit_code, 2);
}

TEST(OpsVerify, TheWindowFindsAPaymentDoneAtTossButMissingHere) {
  Stack stack(plain());
  stack.purchase("order-window-100", "user-1");
  const std::string lost = stack.paid_at_toss_only("order-window-lost", 49000);
  const std::string refunded = stack.paid_at_toss_only("order-window-refunded", 79000);
  cancel_at_toss(stack, refunded);  // paid and refunded at Toss: nothing is owed to anyone

  // Without a window only our own rows are checked: nothing wrong with them.
  EXPECT_EQ(stack.ops({"verify"}).exit_code, 0);

  auto r = stack.ops({"verify", "--since", "-1h", "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const json report = json::parse(r.out);
  EXPECT_EQ(report["window"]["toss_transactions"], 4);  // 3 approvals, 1 cancel
  ASSERT_EQ(report["violations"].size(), 1u) << r.out;
  const json& v = report["violations"][0];
  EXPECT_EQ(v["kind"], "missing_locally");
  EXPECT_EQ(v["payment_key"], mask_payment_key(lost));
  EXPECT_NE(v["detail"].get<std::string>().find("order-window-lost"), std::string::npos);
  EXPECT_NE(v["detail"].get<std::string>().find("49000 KRW"), std::string::npos);
  EXPECT_EQ(r.out.find(lost), std::string::npos);  // the key only masked

  // Toss's list is paged: the same finding through pages of one (the simulator pages as Toss).
  auto page = http_call(stack.sim_port(), "GET",
                        "/v1/transactions?startDate=2000-01-01T00:00:00&endDate=2100-01-01T00:00:00"
                        "&limit=1",
                        "", toss_basic_auth());
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.json().size(), 1u);
  auto next = http_call(stack.sim_port(), "GET",
                        "/v1/transactions?startDate=2000-01-01T00:00:00&endDate=2100-01-01T00:00:00"
                        "&limit=10&startingAfter=" +
                            page.json()[0]["transactionKey"].get<std::string>(),
                        "", toss_basic_auth());
  EXPECT_EQ(next.json().size(), 3u) << next.body;
  EXPECT_EQ(
      http_call(stack.sim_port(), "GET", "/v1/transactions?limit=1", "", toss_basic_auth()).status,
      400);

  // A window before any of it: nothing listed, nothing missing.
  auto before = stack.ops({"verify", "--since", "2020-01-01", "--until", "2020-01-02"});
  EXPECT_EQ(before.exit_code, 0) << before.out << before.err;
  EXPECT_EQ(stack.ops({"verify", "--since", "whenever"}).exit_code, 2);

  // Korean by default: the same finding in the on-call's words.
  auto env = test_env();
  env["LANG"] = "ko_KR.UTF-8";
  env["LC_ALL"] = env["LC_MESSAGES"] = "";
  auto ko = run_payedge({"ops", "verify", "--since", "-1h", "--store", stack.store_url(),
                         "--toss-url", stack.toss_url()},
                        env);
  EXPECT_EQ(ko.exit_code, 1);
  EXPECT_NE(ko.out.find("확인 1건, 위반 1건"), std::string::npos) << ko.out;
  EXPECT_NE(ko.out.find("missing_locally"), std::string::npos) << ko.out;
  EXPECT_NE(ko.out.find("우리 저장소에 없음"), std::string::npos) << ko.out;

  // `check weekly` runs the same verify for its week.
  auto week = run_payedge(
      {"check", "weekly", "--format", "json", "--store", stack.store_url(), "--toss-url",
       stack.toss_url(), "--sample-out", stack.dir().file("sample.jsonl")},
      test_env());
  EXPECT_EQ(week.exit_code, 1) << week.out << week.err;
  bool found = false;
  const json week_report = json::parse(week.out);
  for (const auto& item : week_report["items"]) {
    if (item["name"] != "toss_verify") continue;
    found = true;
    EXPECT_EQ(item["status"], "ATTENTION");
    EXPECT_EQ(item["data"]["violations"][0]["kind"], "missing_locally");
  }
  EXPECT_TRUE(found) << week.out;
  auto week_ko = run_payedge({"check", "weekly", "--store", stack.store_url(), "--toss-url",
                              stack.toss_url(), "--sample-out", stack.dir().file("sample.jsonl")},
                             env);
  EXPECT_NE(week_ko.out.find("확인 필요  토스 대조"), std::string::npos) << week_ko.out;
  EXPECT_NE(week_ko.out.find("건너뜀"), std::string::npos) << week_ko.out;  // no log files
  EXPECT_EQ(week_ko.out.find("ATTENTION"), std::string::npos) << week_ko.out;
}

// An ops command that changes something, in Korean by default and English on request.
TEST(OpsLanguage, CourseSwitchSpeaksKoreanByDefault) {
  Stack stack(plain());
  auto env = test_env();
  env["LANG"] = "ko_KR.UTF-8";
  env["LC_ALL"] = env["LC_MESSAGES"] = "";
  auto ko = run_payedge({"ops", "course", "deactivate", "course-sql", "--reason", "가격 오류",
                         "--actor", "oncall", "--store", stack.store_url()},
                        env);
  ASSERT_EQ(ko.exit_code, 0) << ko.err;
  EXPECT_NE(ko.out.find("강의 course-sql: active="), std::string::npos) << ko.out;
  EXPECT_NE(ko.out.find("(oncall: 가격 오류)"), std::string::npos) << ko.out;
  auto en = run_payedge({"ops", "course", "activate", "course-sql", "--reason", "fixed", "--actor",
                         "oncall", "--store", stack.store_url(), "--lang", "en"},
                        env);
  ASSERT_EQ(en.exit_code, 0) << en.err;
  EXPECT_NE(en.out.find("course course-sql: active="), std::string::npos) << en.out;
  EXPECT_NE(en.out.find("(by oncall: fixed)"), std::string::npos) << en.out;
}

}  // namespace
}  // namespace payedge::testing
