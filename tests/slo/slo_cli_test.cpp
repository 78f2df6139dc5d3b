// `payedge slo report` as the on-call person runs it: the real binary over files and stdin, the
// JSON shape of SPEC section 8.1, the table and the HTML page, targets from --config, exit codes.
#include <gtest/gtest.h>

#include "core/time.h"
#include "slo_fixture.h"

namespace payedge::slo {
namespace {

using logs::testing::run_payedge;
using logs::testing::TempDir;
using nlohmann::json;
using testing::err;
using testing::ok;
using testing::SloLine;

EpochMs at(std::string_view rfc3339) { return *parse_rfc3339(rfc3339); }

class SloCli : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two KST days in one week: day 1 passes, day 2 is slow; 2 of 200 confirms mismatch.
    const EpochMs d1 = at("2026-11-24T01:00:00Z"), d2 = at("2026-11-25T01:00:00Z");
    for (int i = 0; i < 97; ++i) lines_.push_back(ok(d1 + i * 1000, 200 + i));  // mean 248
    lines_.push_back(err(d1 + 200'000, "TOSS_API_ERROR", 502));
    lines_.push_back(err(d1 + 201'000, "E_AMOUNT_MISMATCH", 400));
    lines_.push_back(err(d1 + 202'000, "E_UNAUTHORIZED", 401));
    for (int i = 0; i < 99; ++i) lines_.push_back(ok(d2 + i * 1000, 1000));
    lines_.push_back(err(d2 + 200'000, "E_AMOUNT_MISMATCH", 400));
    std::string text = testing::join(lines_);
    text += "not a log line\n";
    path_ = dir_.write("app.log", text);
  }

  TempDir dir_;
  std::vector<SloLine> lines_;
  std::string path_;
};

TEST_F(SloCli, JsonHasTheSpecShapeAndTheNumbers) {
  const auto r = run_payedge({"slo", "report", "--format", "json", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // an SLO fails, the report was produced
  EXPECT_EQ(r.err, "skipped 1 malformed line\n");
  const json j = json::parse(r.out);
  // SPEC 8.1 keys.
  const auto& s = j.at("success_rate");
  for (const char* k : {"value", "target", "pass"}) EXPECT_TRUE(s.contains(k)) << k;
  EXPECT_DOUBLE_EQ(s["value"].get<double>(), 196.0 / 197.0);
  EXPECT_EQ(s["target"], 0.99);
  EXPECT_EQ(s["pass"], true);
  EXPECT_EQ(s["good"], 196);
  EXPECT_EQ(s["failed"], 1);
  EXPECT_EQ(s["excluded"], 3);

  const auto& daily = j.at("daily");
  ASSERT_EQ(daily.size(), 2u);
  for (const auto& d : daily) {
    for (const char* k : {"day", "count", "mean_ms", "p95_ms", "pass"}) {
      EXPECT_TRUE(d.contains(k)) << k;
    }
  }
  EXPECT_EQ(daily[0]["day"], "2026-11-24");
  EXPECT_EQ(daily[0]["count"], 97);
  EXPECT_DOUBLE_EQ(daily[0]["mean_ms"].get<double>(), 248);
  EXPECT_EQ(daily[0]["p95_ms"], 292);  // 200 + index ceil(0.95·97)−1 = 92
  EXPECT_EQ(daily[0]["pass"], true);
  EXPECT_EQ(daily[1]["day"], "2026-11-25");
  EXPECT_EQ(daily[1]["mean_ms"], 1000);
  EXPECT_EQ(daily[1]["pass"], false);

  const auto& weekly = j.at("weekly");
  ASSERT_EQ(weekly.size(), 1u);
  for (const char* k : {"week_start", "mismatch_rate", "pass"}) {
    EXPECT_TRUE(weekly[0].contains(k)) << k;
  }
  EXPECT_EQ(weekly[0]["week_start"], "2026-11-23");
  EXPECT_DOUBLE_EQ(weekly[0]["mismatch_rate"].get<double>(), 2.0 / 200.0);
  EXPECT_EQ(weekly[0]["pass"], false);
  EXPECT_EQ(j["pass"], false);
  EXPECT_EQ(j["tz"], "Asia/Seoul");
  EXPECT_EQ(j["malformed_lines"], 1);

  // The same from stdin, and from a gzip file.
  const auto piped = run_payedge({"slo", "report", "--format", "json", "-"}, path_);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(json::parse(piped.out)["daily"], daily);
  const auto gz = dir_.write("app.log.gz", logs::testing::gzip(logs::testing::slurp(path_)));
  const auto zipped = run_payedge({"slo", "report", "--format", "json", gz});
  ASSERT_EQ(zipped.exit_code, 0) << zipped.err;
  EXPECT_EQ(json::parse(zipped.out)["weekly"], weekly);
}

TEST_F(SloCli, TableSaysPassOrFailPerLine) {
  const auto r = run_payedge({"slo", "report", "--lang", "en", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("99.492%"), std::string::npos) << r.out;  // 196/197, rounded down
  EXPECT_NE(r.out.find("2026-11-24"), std::string::npos);
  EXPECT_NE(r.out.find("248.0"), std::string::npos);
  EXPECT_NE(r.out.find("1.000%"), std::string::npos);
  EXPECT_NE(r.out.find("Overall: FAIL (2 lines failed)"), std::string::npos) << r.out;
  std::size_t passes = 0, fails = 0;
  for (std::size_t p = 0; (p = r.out.find("PASS", p)) != std::string::npos; ++p) ++passes;
  for (std::size_t p = 0; (p = r.out.find("FAIL", p)) != std::string::npos; ++p) ++fails;
  EXPECT_EQ(passes, 2u);  // success rate, day 1
  EXPECT_EQ(fails, 3u);   // day 2, the week, the overall line
}

TEST_F(SloCli, HtmlIsOneEscapedSelfContainedPage) {
  const std::string odd = dir_.write("a<b>&\"c\".log", logs::testing::slurp(path_));
  const auto r = run_payedge({"slo", "report", "--format", "html", "--lang", "en", odd});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(r.out.find("<style>"), std::string::npos);
  EXPECT_EQ(r.out.find("<link"), std::string::npos);
  EXPECT_EQ(r.out.find("<script"), std::string::npos);
  EXPECT_EQ(r.out.find("src="), std::string::npos);
  EXPECT_EQ(r.out.find("http"), std::string::npos);  // nothing fetched from anywhere
  EXPECT_NE(r.out.find("a&lt;b&gt;&amp;&quot;c&quot;.log"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("a<b>"), std::string::npos);
  for (const char* number : {"99.492%", "248.0", "292", "1000.0", "1.000%", "2026-11-23"}) {
    EXPECT_NE(r.out.find(number), std::string::npos) << number;
  }
  EXPECT_NE(r.out.find("class=\"fail\">FAIL"), std::string::npos);
}

// Korean by default, as the runbook is (whatever the test runner's locale): the same figures.
TEST_F(SloCli, TableAndHtmlAreKoreanByDefault) {
  const std::map<std::string, std::string> korean = {
      {"LANG", "ko_KR.UTF-8"}, {"LC_ALL", ""}, {"LC_MESSAGES", ""}};
  const auto r = run_payedge({"slo", "report", path_}, "/dev/null", korean);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("SLO 보고서"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("성공률 (목표 >= 99%)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("99.492%"), std::string::npos);
  EXPECT_NE(r.out.find("종합: 실패 (2개 항목 미달)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Overall"), std::string::npos);
  const auto html = run_payedge({"slo", "report", "--format", "html", path_}, "/dev/null", korean);
  EXPECT_NE(html.out.find("<html lang=\"ko\">"), std::string::npos);
  EXPECT_NE(html.out.find("class=\"fail\">실패"), std::string::npos);
  // An English locale, or --lang en over a Korean one; JSON has no language.
  const auto en = run_payedge({"slo", "report", path_}, "/dev/null",
                              {{"LANG", "en_US.UTF-8"}, {"LC_ALL", ""}, {"LC_MESSAGES", ""}});
  EXPECT_NE(en.out.find("Overall: FAIL"), std::string::npos) << en.out;
  const auto flag = run_payedge({"slo", "report", "--lang", "en", path_}, "/dev/null", korean);
  EXPECT_NE(flag.out.find("Overall: FAIL"), std::string::npos) << flag.out;
  const auto json_ko =
      run_payedge({"slo", "report", "--format", "json", path_}, "/dev/null", korean);
  const auto json_en = run_payedge({"slo", "report", "--format", "json", "--lang", "en", path_});
  EXPECT_EQ(json_ko.out, json_en.out);
  // --help speaks the same language.
  const auto help = run_payedge({"slo", "report", "--help"}, "/dev/null", korean);
  EXPECT_NE(help.out.find("사용법"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("출력 형식 table|json|html"), std::string::npos) << help.out;
  const auto help_en =
      run_payedge({"slo", "report", "--help", "--lang", "en"}, "/dev/null", korean);
  EXPECT_NE(help_en.out.find("Usage"), std::string::npos) << help_en.out;
}

TEST_F(SloCli, TargetsComeFromTheConfig) {
  const auto config = dir_.write("payedge.toml",
                                 "[slo]\nsuccess_rate = 0.999\nmean_confirm_ms = 1001\n"
                                 "p95_confirm_ms = 1001\nmismatch_rate = 0.02\n");
  const auto r = run_payedge({"slo", "report", "--format", "json", "--config", config, path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["success_rate"]["target"], 0.999);
  EXPECT_EQ(j["success_rate"]["pass"], false);
  EXPECT_EQ(j["daily"][1]["pass"], true);
  EXPECT_EQ(j["weekly"][0]["pass"], true);
}

TEST_F(SloCli, MonthAndTimeZone) {
  const auto oct = run_payedge({"slo", "report", "--format", "json", "--month", "2026-10", path_});
  ASSERT_EQ(oct.exit_code, 0) << oct.err;
  const json none = json::parse(oct.out);
  EXPECT_EQ(none["daily"].size(), 0u);
  EXPECT_EQ(none["success_rate"]["value"], nullptr);
  EXPECT_EQ(none["since"], "2026-10-01T00:00:00+09:00");

  const auto nov = run_payedge(
      {"slo", "report", "--format", "json", "--month", "2026-11", "--tz", "UTC", path_});
  ASSERT_EQ(nov.exit_code, 0) << nov.err;
  const json j = json::parse(nov.out);
  EXPECT_EQ(j["month"], "2026-11");
  EXPECT_EQ(j["since"], "2026-11-01T00:00:00Z");
  EXPECT_EQ(j["daily"].size(), 2u);
  EXPECT_EQ(j["confirm_lines"], 200);
}

TEST_F(SloCli, ExitCodes) {
  EXPECT_EQ(run_payedge({"slo", "report", dir_.file("missing.log")}).exit_code, 1);
  EXPECT_EQ(run_payedge({"slo", "report", dir_.file("nothing-*.log")}).exit_code, 1);
  // A corrupt compressed input: no report over part of the data.
  std::string gz = logs::testing::gzip(testing::join(lines_));
  gz.resize(gz.size() / 2);
  const auto cut = run_payedge({"slo", "report", dir_.write("cut.log.gz", gz)});
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_EQ(cut.out, "");
  EXPECT_NE(cut.err.find("error:"), std::string::npos);

  EXPECT_EQ(run_payedge({"slo", "report", "--month", "2026-13", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"slo", "report", "--month", "2026-11", "--since", "2026-11-02", path_})
                .exit_code,
            2);
  EXPECT_EQ(run_payedge({"slo", "report", "--since", "last week", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"slo", "report", "--format", "csv", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"slo", "report", "--tz", "Mars/Base", path_}).exit_code, 2);
  const auto bad_config = dir_.write("bad.toml", "[slo]\nsuccess_rate = 99\n");
  EXPECT_EQ(run_payedge({"slo", "report", "--config", bad_config, path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"slo"}).exit_code, 2);
  // Malformed lines and failing SLOs are not errors.
  EXPECT_EQ(run_payedge({"slo", "report", "--format", "html", path_}).exit_code, 0);
  const auto help = run_payedge({"slo", "report", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Asia/Seoul"), std::string::npos);
}

}  // namespace
}  // namespace payedge::slo
