// `payedge check weekly` through the real binary: every item OK on a healthy week (and exit
// 0), a masked 50-line sample written, and each item turning to ATTENTION (exit 1) for its
// own reason: bad ratios, an undocumented error code, no recorded secret rotation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/time.h"
#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

constexpr EpochMs kT0 = 1'795'617'000'000;  // 2026-11-25T14:30:00Z

std::string confirm_line(EpochMs ts, const std::string& code, int http) {
  json j = {{"ts", format_utc(ts)},
            {"level", code.empty() ? "info" : "warn"},
            {"fn", "confirm-payment"},
            {"status", code.empty() ? "success" : "error"},
            {"error_code", code.empty() ? json(nullptr) : json(code)},
            {"latency_ms", 300},
            {"http_status", http},
            {"user_id", "u-1"},
            {"course_id", "course-sql"},
            {"ip", "203.0.113.77"}};
  return j.dump() + "\n";
}

class WeeklyCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = "sqlite://" + dir_.file("payedge.db");
    ASSERT_EQ(run_payedge({"migrate", "--store", store_}).exit_code, 0);
    std::ofstream(dir_.file("new-secret")) << "a-fresh-webhook-secret-0123456789";
    ASSERT_EQ(run_payedge({"ops", "secret", "rotate", "--from-file", dir_.file("new-secret"),
                           "--reason", "scheduled", "--store", store_})
                  .exit_code,
              0);
    std::string log;
    for (int i = 0; i < 120; ++i) log += confirm_line(kT0 + i * 60'000, "", 200);
    std::ofstream(dir_.file("good.log")) << log;
  }

  RunResult check(const std::string& log, const std::string& docs) {
    return run_payedge({"check", "weekly", "--format", "json", "--since", "2026-11-25T00:00:00Z",
                        "--until", "2026-11-27T00:00:00Z", "--store", store_, "--docs", docs,
                        "--sample-out", dir_.file("sample.jsonl"), log});
  }

  static std::map<std::string, std::string> statuses(const json& report) {
    std::map<std::string, std::string> out;
    for (const auto& item : report["items"]) out[item["name"]] = item["status"];
    return out;
  }

  TempDir dir_;
  std::string store_;
};

TEST_F(WeeklyCheck, AHealthyWeekIsAllOk) {
  auto r = check(dir_.file("good.log"), std::string(PAYEDGE_SOURCE_DIR) + "/docs");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json report = json::parse(r.out);
  EXPECT_TRUE(report["ok"]);
  const auto s = statuses(report);
  EXPECT_EQ(s.size(), 6u);
  // Without --toss-url the week is not verified at Toss (tests/integration/verify_test.cpp).
  EXPECT_EQ(s.at("toss_verify"), "SKIPPED");
  for (const auto& [name, status] : s) {
    if (name != "toss_verify") {
      EXPECT_EQ(status, "OK") << name;
    }
  }
  // 50 of the 120 lines, masked (IPv4 to /24).
  std::ifstream in(dir_.file("sample.jsonl"));
  int lines = 0;
  for (std::string l; std::getline(in, l); ++lines) {
    EXPECT_EQ(json::parse(l)["ip"], "203.0.113.0/24");
  }
  EXPECT_EQ(lines, 50);
}

TEST_F(WeeklyCheck, EachItemFlagsItsOwnProblem) {
  // Ratios: 10 of 120 confirms failed on our side (91.7% < 99%).
  std::string log;
  for (int i = 0; i < 120; ++i) {
    log += confirm_line(kT0 + i * 60'000, i % 12 == 0 ? "TOSS_API_ERROR" : "", i % 12 ? 200 : 502);
  }
  std::ofstream(dir_.file("bad.log")) << log;
  // Docs: a code the binary does not have.
  const std::string docs = dir_.file("docs");
  std::filesystem::create_directories(docs);
  std::filesystem::copy_file(std::string(PAYEDGE_SOURCE_DIR) + "/docs/error-codes.md",
                             docs + "/error-codes.md");
  std::ofstream(docs + "/error-codes.md", std::ios::app) << "\n| E_NOT_A_CODE | 418 | none |\n";
  auto r = check(dir_.file("bad.log"), docs);
  EXPECT_EQ(r.exit_code, 1);
  const json report = json::parse(r.out);
  EXPECT_FALSE(report["ok"]);
  const auto s = statuses(report);
  EXPECT_EQ(s.at("ratios"), "ATTENTION");
  EXPECT_EQ(s.at("docs"), "ATTENTION");
  EXPECT_EQ(s.at("secret_rotation"), "OK");
  for (const auto& item : report["items"]) {
    if (item["name"] == "docs") {
      EXPECT_EQ(item["data"]["unknown"][0], "E_NOT_A_CODE");
    }
    if (item["name"] == "ratios") {
      EXPECT_EQ(item["data"]["failed"], 10);
    }
  }
}

TEST_F(WeeklyCheck, AnUntrackedSecretNeedsAttention) {
  const std::string other = "sqlite://" + dir_.file("other.db");
  ASSERT_EQ(run_payedge({"migrate", "--store", other}).exit_code, 0);
  auto r = run_payedge({"check", "weekly", "--format", "json", "--store", other});
  EXPECT_EQ(r.exit_code, 1);
  const auto s = statuses(json::parse(r.out));
  EXPECT_EQ(s.at("secret_rotation"), "ATTENTION");
  EXPECT_EQ(s.at("sample"), "SKIPPED");  // no logs given
  EXPECT_EQ(s.at("store"), "OK");
  EXPECT_EQ(run_payedge({"check", "weekly", "--since", "whenever"}).exit_code, 2);
}

}  // namespace
}  // namespace payedge::testing
