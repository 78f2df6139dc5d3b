// `payedge logs ...` as the on-call person runs it: the real binary over files and stdin,
// the JSON shapes of SPEC section 8.1, the malformed-line report, exit codes, masking.
#include <gtest/gtest.h>

#include "log_fixture.h"

namespace payedge::logs {
namespace {

using nlohmann::json;
using testing::run_payedge;

class LogsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    lines_ = testing::generate_lines(3000, 11);
    path_ = dir_.write("app.log", testing::join_lines(lines_));
    for (const auto& l : lines_) {
      if (l.record) {
        ++records_;
        mismatches_ += l.record->error_code == "E_AMOUNT_MISMATCH";
      } else if (!l.blank) {
        ++malformed_;
      }
    }
  }
  testing::TempDir dir_;
  std::vector<testing::GenLine> lines_;
  std::string path_;
  std::uint64_t records_ = 0, malformed_ = 0, mismatches_ = 0;
};

TEST_F(LogsCli, QueryCountFromAFileAndFromStdin) {
  auto r = run_payedge({"logs", "query", "--count", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(records_) + "\n");
  EXPECT_EQ(r.err, "skipped " + std::to_string(malformed_) + " malformed lines\n");

  auto dash = run_payedge({"logs", "query", "--count", "-"}, path_);
  EXPECT_EQ(dash.out, r.out);
  auto none = run_payedge({"logs", "query", "--count"}, path_);  // no inputs: stdin
  EXPECT_EQ(none.out, r.out);
  auto gz = dir_.write("app.log.gz", testing::gzip(testing::join_lines(lines_)));
  auto piped_gz = run_payedge({"logs", "query", "--count", "-"}, gz);
  EXPECT_EQ(piped_gz.out, r.out);
  auto glob = run_payedge({"logs", "query", "--count", dir_.file("app.*")});
  EXPECT_EQ(glob.out, std::to_string(2 * records_) + "\n");
}

TEST_F(LogsCli, QueryLimitIsTheHeadOfTheFullAnswer) {
  auto all = run_payedge({"logs", "query", "--status", "error", path_});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::string head;
  for (std::size_t pos = 0, n = 0; n < 3; ++n) {
    const std::size_t nl = all.out.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    head += all.out.substr(pos, nl + 1 - pos);
    pos = nl + 1;
  }
  auto file = run_payedge({"logs", "query", "--status", "error", "--limit", "3", path_});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(file.out, head);
  auto piped = run_payedge({"logs", "query", "--status", "error", "--limit", "3", "-"}, path_);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out, head);
}

TEST_F(LogsCli, QueryPrintsTheUnwrappedMatchingLines) {
  auto r = run_payedge(
      {"logs", "query", "--error-code", "E_AMOUNT_MISMATCH", "--status", "error", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::uint64_t n = 0;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line); ++n) {
    const json j = json::parse(line);
    EXPECT_EQ(j["error_code"], "E_AMOUNT_MISMATCH");
    EXPECT_FALSE(j.contains("event_message"));
  }
  EXPECT_EQ(n, mismatches_);

  auto csv = run_payedge({"logs", "query", "--format", "csv", "--user", "user-1", path_});
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "ts,level,fn,request_id,status,error_code,latency_ms,http_status,user_id,course_id,"
            "order_id,payment_key,amount,expected_amount,coupon_code,toss_http_status,toss_code,"
            "toss_latency_ms,replayed,ip,ua");
  EXPECT_NE(csv.out.find(R"("Mozilla/5.0 ""quoted"" 브라우저")"), std::string::npos);
  auto table = run_payedge({"logs", "query", "--format", "table", "--user", "user-1", path_});
  EXPECT_EQ(table.out.substr(0, 2), "ts");
}

TEST_F(LogsCli, TopJsonShape) {
  auto r = run_payedge({"logs", "top", "--by", "course_id", "--error-code", "E_AMOUNT_MISMATCH",
                        "-n", "3", "--format", "json", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["by"], "course_id");
  EXPECT_EQ(j["total"], mismatches_);
  ASSERT_TRUE(j["rows"].is_array());
  ASSERT_LE(j["rows"].size(), 3u);
  for (std::size_t i = 0; i < j["rows"].size(); ++i) {
    const auto& row = j["rows"][i];
    EXPECT_TRUE(row["key"].is_string());
    EXPECT_DOUBLE_EQ(row["share"].get<double>(),
                     row["count"].get<double>() / static_cast<double>(mismatches_));
    if (i > 0) {
      const auto& prev = j["rows"][i - 1];
      EXPECT_TRUE(prev["count"] > row["count"] ||
                  (prev["count"] == row["count"] && prev["key"] < row["key"]));
    }
  }
  auto table = run_payedge({"logs", "top", "--by", "user_id", path_});
  EXPECT_NE(table.out.find("user_id"), std::string::npos);
  EXPECT_NE(table.out.find("█"), std::string::npos);
}

TEST_F(LogsCli, LatencyJsonShape) {
  auto r = run_payedge({"logs", "latency", "--format", "json", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  for (const char* k : {"count", "mean", "p50", "p95", "p99", "max"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_LE(j["p50"].get<double>(), j["p95"].get<double>());
  EXPECT_LE(j["p95"].get<double>(), j["p99"].get<double>());
  EXPECT_LE(j["p99"].get<double>(), j["max"].get<double>());

  auto by = run_payedge(
      {"logs", "latency", "--by", "day", "--tz", "Asia/Seoul", "--format", "json", path_});
  ASSERT_EQ(by.exit_code, 0) << by.err;
  const json rows = json::parse(by.out)["rows"];
  ASSERT_EQ(rows.size(), 2u);  // 23:30 KST onwards: two KST days
  EXPECT_EQ(rows[0]["bucket"], "2026-11-25");
  EXPECT_EQ(rows[1]["bucket"], "2026-11-26");
  EXPECT_EQ(rows[0]["count"].get<std::uint64_t>() + rows[1]["count"].get<std::uint64_t>(),
            j["count"].get<std::uint64_t>());
  auto hours = run_payedge(
      {"logs", "latency", "--by", "hour", "--tz", "Asia/Seoul", "--format", "json", path_});
  EXPECT_EQ(json::parse(hours.out)["rows"][0]["bucket"], "2026-11-25T23");
}

TEST_F(LogsCli, ErrorsJsonShapeAndChart) {
  auto r = run_payedge({"logs", "errors", "--window", "5m", "--format", "json", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_FALSE(j["rows"].empty());
  std::uint64_t total = 0;
  for (const auto& row : j["rows"]) {
    for (const char* k : {"window_start", "total", "errors", "error_rate", "by_code"}) {
      ASSERT_TRUE(row.contains(k)) << k;
    }
    std::uint64_t by_code = 0;
    for (const auto& [code, n] : row["by_code"].items()) by_code += n.get<std::uint64_t>();
    EXPECT_EQ(by_code, row["errors"].get<std::uint64_t>());
    total += row["total"].get<std::uint64_t>();
  }
  EXPECT_EQ(total, records_);
  // The default zone is the runbook's (Asia/Seoul; [log] tz in payedge.toml); --tz UTC on ask.
  EXPECT_EQ(j["rows"][0]["window_start"], "2026-11-25T23:30:00+09:00");
  EXPECT_EQ(j["side"], "server");
  auto utc =
      run_payedge({"logs", "errors", "--window", "5m", "--tz", "UTC", "--format", "json", path_});
  EXPECT_EQ(json::parse(utc.out)["rows"][0]["window_start"], "2026-11-25T14:30:00Z");
  const std::string toml = dir_.write("payedge.toml", "[log]\ntz = \"+01:00\"\n");
  auto configured = run_payedge(
      {"logs", "errors", "--window", "5m", "--config", toml, "--format", "json", path_});
  EXPECT_EQ(json::parse(configured.out)["rows"][0]["window_start"], "2026-11-25T15:30:00+01:00");
  EXPECT_NE(configured.err.find("config: " + toml), std::string::npos) << configured.err;
  // Server-side errors (TOSS_API_ERROR) by default; --client the rest; together all errors.
  std::uint64_t toss = 0, errors = 0;
  for (const auto& l : lines_) {
    if (!l.record || l.record->status != "error") continue;
    ++errors;
    toss += l.record->error_code == "TOSS_API_ERROR";
  }
  auto sum = [](const json& out) {
    std::uint64_t n = 0;
    for (const auto& row : out["rows"]) n += row["errors"].get<std::uint64_t>();
    return n;
  };
  EXPECT_EQ(sum(j), toss);
  auto client = run_payedge({"logs", "errors", "--client", "--format", "json", path_});
  EXPECT_EQ(sum(json::parse(client.out)), errors - toss);
  auto all = run_payedge({"logs", "errors", "--all", "--format", "json", path_});
  EXPECT_EQ(sum(json::parse(all.out)), errors);

  auto table = run_payedge({"logs", "errors", "--window", "30m", path_});
  EXPECT_NE(table.out.find("window_start"), std::string::npos);
  EXPECT_NE(table.out.find("error rate"), std::string::npos);
  EXPECT_NE(table.out.find("█"), std::string::npos);
  auto kst = run_payedge(
      {"logs", "errors", "--window", "1h", "--tz", "Asia/Seoul", "--format", "json", path_});
  EXPECT_EQ(json::parse(kst.out)["rows"][0]["window_start"], "2026-11-25T23:00:00+09:00");
}

// Runbook 4.3's questions without jq: replays and repeated paymentKeys; and the background
// lines (the reconciler, the dashboard's polling) stay out of request statistics unless asked.
TEST_F(LogsCli, TopByReplayedAndPaymentKeyWithoutBackgroundLines) {
  std::string text;
  auto add = [&](const std::string& fn, const std::string& key, bool replayed,
                 const std::string& code) {
    json j = {{"ts", "2026-11-26T01:00:00.000Z"},
              {"fn", fn},
              {"status", code.empty() ? "success" : "error"},
              {"error_code", code.empty() ? json(nullptr) : json(code)},
              {"http_status", code.empty() ? 200 : 502},
              {"latency_ms", 100},
              {"payment_key", key},
              {"replayed", replayed}};
    text += j.dump() + "\n";
  };
  add("confirm-payment", "tk01****aaaa", false, "");
  add("confirm-payment", "tk01****aaaa", true, "");
  add("confirm-payment", "tk01****aaaa", true, "");
  add("confirm-payment", "tk02****bbbb", false, "TOSS_API_ERROR");
  for (int i = 0; i < 5; ++i) add("reconciler", "tk02****bbbb", false, "TOSS_API_ERROR");
  for (int i = 0; i < 7; ++i) add("admin-poll", "", false, "");
  const std::string path = dir_.write("small.log", text);

  auto replayed = run_payedge({"logs", "top", "--by", "replayed", "--format", "json", path});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  const json r = json::parse(replayed.out);
  EXPECT_EQ(r["by"], "replayed");
  EXPECT_EQ(r["total"], 4);  // the 12 background lines are not requests
  ASSERT_EQ(r["rows"].size(), 2u);
  EXPECT_EQ(r["rows"][0]["key"], "false");
  EXPECT_EQ(r["rows"][0]["count"], 2);
  EXPECT_EQ(r["rows"][1]["key"], "true");
  EXPECT_EQ(r["rows"][1]["count"], 2);

  auto keys = run_payedge({"logs", "top", "--by", "payment_key", "--format", "json", path});
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  const json k = json::parse(keys.out);
  EXPECT_EQ(k["rows"][0]["key"], "tk01****aaaa");
  EXPECT_EQ(k["rows"][0]["count"], 3);
  EXPECT_EQ(k["rows"][1]["count"], 1);

  auto with =
      run_payedge({"logs", "top", "--by", "fn", "--include-background", "--format", "json", path});
  EXPECT_EQ(json::parse(with.out)["total"], 16);
  auto asked =
      run_payedge({"logs", "top", "--by", "fn", "--fn", "reconciler", "--format", "json", path});
  EXPECT_EQ(json::parse(asked.out)["total"], 5);  // --fn names them: counted
  auto errors = run_payedge({"logs", "errors", "--format", "json", path});
  const json e = json::parse(errors.out);
  ASSERT_EQ(e["rows"].size(), 1u);
  EXPECT_EQ(e["rows"][0]["total"], 4);
  EXPECT_EQ(e["rows"][0]["errors"], 1);  // the confirm's TOSS_API_ERROR, not the reconciler's
  auto latency = run_payedge({"logs", "latency", "--format", "json", path});
  EXPECT_EQ(json::parse(latency.out)["count"], 4);
}

TEST_F(LogsCli, VerboseListsTheFirstMalformedLineNumbers) {
  auto r = run_payedge({"logs", "query", "--count", "-v", path_});
  ASSERT_EQ(r.exit_code, 0);
  std::size_t first = 0;
  while (lines_[first].record || lines_[first].blank) ++first;
  EXPECT_NE(r.err.find(path_ + ":" + std::to_string(first + 1) + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("and " + std::to_string(malformed_ - 10) + " more"), std::string::npos);
  EXPECT_EQ(r.err.find('\r'), std::string::npos);  // no progress bar when not a terminal
}

TEST_F(LogsCli, ExitCodes) {
  EXPECT_EQ(run_payedge({"logs", "query", dir_.file("missing.log")}).exit_code, 1);
  EXPECT_EQ(run_payedge({"logs", "query", dir_.file("nothing-*.log")}).exit_code, 1);
  EXPECT_EQ(run_payedge({"logs", "query", "--since", "yesterday-ish", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"logs", "top", path_}).exit_code, 2);  // --by is required
  EXPECT_EQ(run_payedge({"logs", "top", "--by", "latency_ms", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"logs", "latency", "--tz", "Mars/Base", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"logs", "errors", "--window", "soon", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"logs", "query", "--format", "xml", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"logs", "query", "--limit", "0", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"logs", "query", "--limit", "3", "--count", path_}).exit_code, 2);
  EXPECT_EQ(run_payedge({"logs"}).exit_code, 2);
  // Malformed lines are never fatal.
  EXPECT_EQ(run_payedge({"logs", "latency", path_}).exit_code, 0);
}

TEST_F(LogsCli, RelativeAndAbsoluteTimeBounds) {
  // Everything generated is in the past: "-2h" finds nothing that old... until the file ages.
  auto all = run_payedge({"logs", "query", "--count", "--since", "2026-11-25", path_});
  EXPECT_EQ(all.out, std::to_string(records_) + "\n");
  auto none = run_payedge({"logs", "query", "--count", "--until", "2026-11-25T14:30:00Z", path_});
  EXPECT_EQ(none.out, "0\n");
  auto relative = run_payedge({"logs", "query", "--count", "--until", "-2h", path_});
  EXPECT_EQ(relative.exit_code, 0) << relative.err;
}

TEST_F(LogsCli, ExportMasksEveryStringField) {
  const std::string pii = dir_.write(
      "pii.log", R"({"ts":"2026-11-26T01:02:03.123Z","status":"error","user_id":"kim@example.com",)"
                 R"("payment_key":"tgen_20261126abcdEFGH1234","ip":"203.0.113.77","error_detail":)"
                 R"("card 4111 1111 1111 1111 of lee@example.org, 010-1234-5678, jwt )"
                 R"(eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln","extra":{"phones":["01098765432"]}})"
                 "\n");
  auto r = run_payedge({"logs", "export", "--mask", pii});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["user_id"], "k***@example.com");
  EXPECT_EQ(j["payment_key"], "tgen*****************1234");
  EXPECT_EQ(j["ip"], "203.0.113.0/24");
  EXPECT_EQ(j["error_detail"],
            "card **** **** **** 1111 of l***@example.org, 010-****-5678, jwt [REDACTED]");
  EXPECT_EQ(j["extra"]["phones"][0], "010****5432");
  EXPECT_EQ(j["ts"], "2026-11-26T01:02:03.123Z");
  for (const char* secret : {"kim@", "4111 1111", "1234-5678", "eyJ", "113.77"}) {
    EXPECT_EQ(r.out.find(secret), std::string::npos) << secret;
  }
  auto unmasked = run_payedge({"logs", "export", pii});
  EXPECT_NE(unmasked.err.find("without --mask"), std::string::npos);
}

TEST_F(LogsCli, SampleIsReproducibleMaskedAndFiltered) {
  auto a = run_payedge({"logs", "sample", "-n", "50", "--seed", "9", path_});
  auto b = run_payedge({"logs", "sample", "-n", "50", "--seed", "9", "--threads", "1", path_});
  auto c = run_payedge({"logs", "sample", "-n", "50", "--seed", "10", path_});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  std::size_t n = 0;
  std::istringstream in(a.out);
  for (std::string line; std::getline(in, line); ++n) {
    const json j = json::parse(line);
    const std::string ip = j["ip"];
    EXPECT_EQ(ip.substr(ip.size() - 5), ".0/24") << ip;  // masked
  }
  EXPECT_EQ(n, 50u);
  auto errors =
      run_payedge({"logs", "sample", "-n", "5", "--seed", "1", "--status", "error", path_});
  std::istringstream ein(errors.out);
  for (std::string line; std::getline(ein, line);) EXPECT_EQ(json::parse(line)["status"], "error");
  auto unseeded = run_payedge({"logs", "sample", "-n", "1", path_});
  EXPECT_NE(unseeded.err.find("--seed"), std::string::npos);  // tells how to repeat it
}

TEST_F(LogsCli, MismatchesExplainedFromTheStore) {
  const std::string seed = dir_.write("seed.json", R"({"courses":[
    {"id":"course-cpp","title":"C++","list_price":99000,"sale_price":79000,
     "sale_starts_at":"2026-11-01T00:00:00Z","sale_ends_at":"2026-11-25T15:00:00Z"}],
    "coupons":[]})");
  const std::string store = "sqlite://" + dir_.file("pay.db");
  auto seeded = run_payedge({"seed", seed, "--store", store});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  const std::string log = dir_.write(
      "mm.log",
      R"({"ts":"2026-11-25T15:07:00.000Z","fn":"confirm-payment","status":"error",)"
      R"("error_code":"E_AMOUNT_MISMATCH","user_id":"u-1","course_id":"course-cpp",)"
      R"("order_id":"order-000001","amount":79000,"expected_amount":99000,"coupon_code":null})"
      "\n"
      R"({"ts":"2026-11-25T15:08:00.000Z","fn":"confirm-payment","status":"success",)"
      R"("course_id":"course-cpp","amount":99000})"
      "\n");
  auto r =
      run_payedge({"logs", "mismatches", "--explain", "--store", store, "--format", "json", log});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["rows"].size(), 1u);
  const auto& row = j["rows"][0];
  EXPECT_EQ(row["order_id"], "order-000001");
  EXPECT_EQ(row["user_id"], "u-1");
  EXPECT_EQ(row["amount"], 79000);
  EXPECT_EQ(row["today"]["list_price"], 99000);
  EXPECT_EQ(row["today"]["sale_price"], 79000);
  EXPECT_EQ(row["today"]["sale_active"], false);
  EXPECT_EQ(row["today"]["expected"], 99000);
  EXPECT_NE(row["reason"].get<std::string>().find("sale window ended 7m before"), std::string::npos)
      << row["reason"];
  EXPECT_NE(row["reason_ko"].get<std::string>().find("세일이 요청 7m 전에 끝남"), std::string::npos)
      << row["reason_ko"];
  // For people: Korean by default, English on request.
  auto table =
      run_payedge({"logs", "mismatches", "--explain", "--store", store, "--lang", "ko", log});
  EXPECT_NE(table.out.find("이유: 세일이 요청 7m 전에 끝남"), std::string::npos) << table.out;
  auto en = run_payedge({"logs", "mismatches", "--explain", "--store", store, "--lang", "en", log});
  EXPECT_NE(en.out.find("reason: sale window ended"), std::string::npos) << en.out;
}

}  // namespace
}  // namespace payedge::logs
