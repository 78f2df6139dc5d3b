// Supabase and journald exports of the same events as payedge's own log: the library's answers
// against plain loops over the generator's records, and the real binary's answers (`logs top`,
// `logs latency`, `logs query`, `slo report`, `watch --replay`) against the same commands on the
// payedge-written file. The exports hold the original Edge Function's lines (no ts, no fn),
// with the time in the row: JSON lines, one JSON array, log-drain rows, the Logs Explorer's CSV
// (microseconds and zone-less ISO), journald entries.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "export_fixture.h"
#include "log_fixture.h"
#include "logs/commands.h"

namespace payedge::logs {
namespace {

using testing::GenRecord;

class ExportFormats : public ::testing::Test {
 protected:
  void SetUp() override {
    lines_ = testing::generate_lines(4000, 23, /*wrapped_share=*/0, /*malformed_share=*/0);
    records_ = testing::records_of(lines_);
    const auto rows = testing::export_rows(records_);
    payedge_ = dir_.write("payedge.log", testing::write_payedge(records_));
    exports_ = {
        {"json_lines", dir_.write("rows.jsonl", testing::write_json_lines(rows))},
        {"json_array", dir_.write("rows.json", testing::write_json_array(rows))},
        {"drain_rows", dir_.write("drain.jsonl", testing::write_drain_rows(rows))},
        {"csv_micros", dir_.write("explorer.csv", testing::write_csv(rows, false))},
        {"csv_iso", dir_.write("explorer-iso.csv", testing::write_csv(rows, true))},
        {"csv_gzip", dir_.write("explorer.csv.gz", testing::gzip(testing::write_csv(rows, false)))},
        {"journald", dir_.write("journal.json", testing::write_journald(records_))},
    };
  }

  LogsOptions options(const std::string& input) const {
    LogsOptions o;
    o.inputs = {input};
    o.scan.threads = 2;
    o.scan.chunk_bytes = 16 * 1024;  // many chunks, rows across block edges
    o.out = std::tmpfile();
    o.err = std::tmpfile();
    return o;
  }

  testing::TempDir dir_;
  std::vector<testing::GenLine> lines_;
  std::vector<const GenRecord*> records_;
  std::string payedge_;
  std::vector<std::pair<std::string, std::string>> exports_;  // name, path
};

std::map<std::string, std::uint64_t> plain_top(const std::vector<const GenRecord*>& recs,
                                               std::optional<std::string> GenRecord::*field,
                                               const char* only_code = nullptr) {
  std::map<std::string, std::uint64_t> m;
  for (const auto* r : recs) {
    if (only_code && r->error_code != only_code) continue;
    m[(r->*field).value_or("(missing)")]++;
  }
  return m;
}

std::map<std::string, std::uint64_t> as_map(const TopOutcome& t) {
  std::map<std::string, std::uint64_t> m;
  for (const auto& row : t.result.rows) m[row.key] = row.count;
  if (t.result.missing) m["(missing)"] = t.result.missing;
  return m;
}

TEST_F(ExportFormats, EveryFormatGivesThePlainLoopsAnswers) {
  std::vector<double> latencies;
  std::uint64_t webhooks = 0;
  for (const auto* r : records_) {
    if (r->latency_ms) latencies.push_back(*r->latency_ms);
    webhooks += r->fn == "toss-webhook";
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[static_cast<std::size_t>(
                         std::ceil(p / 100.0 * static_cast<double>(latencies.size()))) -
                     1];
  };
  ASSERT_GT(webhooks, 100u);
  for (const auto& [name, path] : exports_) {
    SCOPED_TRACE(name);
    auto mism = options(path);
    mism.filter.error_code = {"E_AMOUNT_MISMATCH"};
    const auto top = compute_top(mism, Field::kCourseId, 100);
    EXPECT_EQ(top.stats.malformed, 0u);
    EXPECT_TRUE(top.stats.problems.empty());
    EXPECT_TRUE(top.stats.warnings.empty());
    EXPECT_EQ(top.stats.records, records_.size());
    EXPECT_EQ(as_map(top), plain_top(records_, &GenRecord::course_id, "E_AMOUNT_MISMATCH"));

    const auto users = compute_top(options(path), Field::kUserId, 100);
    EXPECT_EQ(as_map(users), plain_top(records_, &GenRecord::user_id));

    // The function's name came from the row's metadata, or is the runbook's confirm-payment.
    auto hooks = options(path);
    hooks.filter.fn = {"toss-webhook"};
    EXPECT_EQ(compute_top(hooks, Field::kFn, 1).stats.matched, webhooks);

    // Event time from the row: the same hour windows as the records' own times.
    auto late = options(path);
    late.filter.since = testing::kStartMs + 3'600'000;
    std::uint64_t after = 0;
    for (const auto* r : records_) after += r->ts >= testing::kStartMs + 3'600'000;
    EXPECT_EQ(compute_top(late, Field::kFn, 1).stats.matched, after);

    const auto lat = compute_latency(options(path), LatencyBucket::kNone, TimeZone::utc());
    ASSERT_EQ(lat.rows.size(), 1u);
    EXPECT_EQ(lat.rows[0].summary.count, latencies.size());
    EXPECT_EQ(lat.rows[0].summary.p50, pct(50));
    EXPECT_EQ(lat.rows[0].summary.p95, pct(95));
    EXPECT_EQ(lat.rows[0].summary.max, latencies.back());
  }
}

TEST_F(ExportFormats, CsvAnswersDoNotDependOnThreadsOrChunks) {
  const std::string csv = exports_[3].second;
  const auto base = compute_top(options(csv), Field::kUserId, 100);
  for (unsigned threads : {1u, 3u}) {
    for (std::size_t chunk : {std::size_t{700}, std::size_t{4} << 20}) {
      SCOPED_TRACE(std::to_string(threads) + " threads, chunk " + std::to_string(chunk));
      auto o = options(csv);
      o.scan.threads = threads;
      o.scan.chunk_bytes = chunk;
      const auto t = compute_top(o, Field::kUserId, 100);
      EXPECT_EQ(t.stats.records, records_.size());
      EXPECT_EQ(as_map(t), as_map(base));
    }
  }
}

TEST_F(ExportFormats, CsvQuotingBlankLinesAndMalformedRowsWithTheirLines) {
  // A byte order mark, a quoted field with a comma, doubled quotes and a line break, a blank
  // line, rows that are not log lines: each bad row counted, with the line it starts on.
  const std::string csv =
      "\xEF\xBB\xBF"
      "id,timestamp,event_message,level\r\n"                                                  // 1
      "a,1795741323123456,\"{\"\"status\"\":\"\"success\"\",\"\"latency_ms\"\":5}\",log\r\n"  // 2
      "b,1795741323123456,\"{\"\"status\"\":\r\n\"\"error\"\"}\",error\r\n"                   // 3-4
      "\r\n"                                                                                  // 5
      "c,1795741323123456,booted (time: 31ms),log\r\n"                                        // 6
      "d,1795741323123,\"{\"\"status\"\":\"\"success\"\"}\",log\r\n"                          // 7
      "e,2026-11-26T01:02:03.5,\"{\"\"ua\"\":\"\"a, "
      "b\"\",\"\"status\"\":\"\"success\"\"}\",log\r\n"  // 8
      "f\r\n";                                           // 9
  auto o = options(dir_.write("hand.csv", csv));
  o.scan.malformed_samples = 10;
  const auto t = compute_top(o, Field::kStatus, 10);
  EXPECT_EQ(t.stats.records, 3u);
  EXPECT_EQ(t.stats.malformed, 3u);
  ASSERT_EQ(t.stats.malformed_samples.size(), 3u);
  EXPECT_EQ(t.stats.malformed_samples[0].line, 6u);
  EXPECT_NE(t.stats.malformed_samples[0].reason.find("event_message"), std::string::npos);
  EXPECT_EQ(t.stats.malformed_samples[1].line, 7u);
  EXPECT_NE(t.stats.malformed_samples[1].reason.find("timestamp"), std::string::npos);
  EXPECT_EQ(t.stats.malformed_samples[2].line, 9u);
  EXPECT_NE(t.stats.malformed_samples[2].reason.find("no event_message"), std::string::npos);
  EXPECT_EQ(as_map(t), (std::map<std::string, std::uint64_t>{{"success", 2}, {"error", 1}}));
}

TEST_F(ExportFormats, ACsvCutInsideQuotesIsWarnedAboutNotFatal) {
  const std::string csv =
      "timestamp,event_message\n"
      "1795741323123456,\"{\"\"status\"\":\"\"success\"\"}\"\n"
      "1795741323123456,\"{\"\"status\"\":\"\"err";
  const auto t = compute_top(options(dir_.write("cut.csv", csv)), Field::kStatus, 10);
  EXPECT_EQ(t.stats.records, 1u);
  EXPECT_EQ(t.stats.malformed, 1u);
  ASSERT_EQ(t.stats.warnings.size(), 1u);
  EXPECT_NE(t.stats.warnings[0].find("inside a quoted field"), std::string::npos);
  EXPECT_TRUE(t.stats.problems.empty());
}

TEST_F(ExportFormats, TextThatIsNotAnExportStaysMalformedLines) {
  // A CSV without event_message is not an export payedge can read: its lines are counted.
  const auto t = compute_top(options(dir_.write("other.csv", "a,b\n1,2\n3,4\n")), Field::kFn, 1);
  EXPECT_EQ(t.stats.records, 0u);
  EXPECT_EQ(t.stats.malformed, 3u);
}

// --- The acceptance check: the binary gives the same answers ---

struct Answer {
  std::string command;
  std::vector<std::string> args;
};

std::vector<Answer> answers_to_compare() {
  return {
      {"logs top --by course_id", {"logs", "top", "--by", "course_id", "--format", "json"}},
      {"logs top mismatches",
       {"logs", "top", "--by", "course_id", "--error-code", "E_AMOUNT_MISMATCH", "--format",
        "json"}},
      {"logs top --by error_code", {"logs", "top", "--by", "error_code", "--format", "json"}},
      {"logs top --by fn", {"logs", "top", "--by", "fn", "--format", "json"}},
      {"logs latency", {"logs", "latency", "--format", "json"}},
      {"logs latency --by day",
       {"logs", "latency", "--by", "day", "--tz", "Asia/Seoul", "--format", "json"}},
      {"logs errors", {"logs", "errors", "--window", "10m", "--format", "json"}},
      {"slo report", {"slo", "report", "--format", "json"}},
  };
}

TEST_F(ExportFormats, TheBinaryAnswersAsForPayedgesOwnLines) {
  for (const auto& a : answers_to_compare()) {
    SCOPED_TRACE(a.command);
    auto args = a.args;
    args.push_back(payedge_);
    const auto want = testing::run_payedge(args);
    ASSERT_EQ(want.exit_code, 0) << want.err;
    ASSERT_EQ(want.err, "");
    ASSERT_GT(want.out.size(), 20u);
    for (const auto& [name, path] : exports_) {
      SCOPED_TRACE(name);
      args.back() = path;
      const auto got = testing::run_payedge(args);
      EXPECT_EQ(got.exit_code, 0) << got.err;
      EXPECT_EQ(got.err, "");
      EXPECT_EQ(got.out, want.out);
    }
    // And from a pipe: the CSV is recognised from its header, not its name.
    args.back() = "-";
    const auto piped = testing::run_payedge(args, exports_[3].second);
    EXPECT_EQ(piped.out, want.out);
  }
}

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(ExportFormats, PrintedLinesAreWholeLogLines) {
  // `logs query` prints the original function's lines with the ts and fn they took: the same
  // bytes payedge writes for the same events.
  const auto want = testing::run_payedge({"logs", "query", "--format", "json", payedge_});
  ASSERT_EQ(want.exit_code, 0) << want.err;
  for (const auto& [name, path] : exports_) {
    SCOPED_TRACE(name);
    const auto got = testing::run_payedge({"logs", "query", "--format", "json", path});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    if (name == "json_array") {  // newest first, as the Explorer sorts
      EXPECT_EQ(sorted_lines(got.out), sorted_lines(want.out));
    } else {
      EXPECT_EQ(got.out, want.out);
    }
  }
}

TEST_F(ExportFormats, WatchReplaysAnExportAsItReplaysTheLog) {
  const auto want = testing::run_payedge({"watch", "--replay", payedge_, "--format", "json"});
  ASSERT_EQ(want.exit_code, 0) << want.err;
  ASSERT_NE(want.out.find("firing"), std::string::npos) << want.out;  // something to compare
  for (const auto& [name, path] : exports_) {
    if (name == "json_array") continue;  // newest first: not a replay in time order
    SCOPED_TRACE(name);
    const auto got = testing::run_payedge({"watch", "--replay", path, "--format", "json"});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    EXPECT_EQ(got.out, want.out);
    EXPECT_EQ(got.err, want.err);
  }
}

}  // namespace
}  // namespace payedge::logs
