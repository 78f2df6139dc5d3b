// The scanner and the queries over generated files, checked against plain loops over the
// generator's own records: counts with filters, top, latency (by KST day), errors per window,
// malformed line numbers, compressed and JSON-array inputs, thread and chunk independence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "log_fixture.h"
#include "logs/commands.h"
#include "logs/record_parser.h"

namespace payedge::logs {
namespace {

using testing::GenLine;
using testing::GenRecord;
using testing::TempDir;

class ScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lines_ = testing::generate_lines(12'000, 7);
    path_ = dir_.write("app.log", testing::join_lines(lines_));
  }

  LogsOptions options(std::vector<std::string> inputs = {}) const {
    LogsOptions o;
    o.inputs = inputs.empty() ? std::vector<std::string>{path_} : std::move(inputs);
    o.scan.threads = 2;
    o.scan.chunk_bytes = 64 * 1024;  // many chunks, lines across their edges
    o.out = std::tmpfile();
    o.err = std::tmpfile();
    return o;
  }

  std::vector<const GenRecord*> records() const {
    std::vector<const GenRecord*> out;
    for (const auto& l : lines_) {
      if (l.record) out.push_back(&*l.record);
    }
    return out;
  }

  std::uint64_t malformed() const {
    return static_cast<std::uint64_t>(
        std::count_if(lines_.begin(), lines_.end(), [](auto& l) { return !l.record && !l.blank; }));
  }

  TempDir dir_;
  std::vector<GenLine> lines_;
  std::string path_;
};

std::map<std::string, std::uint64_t> count_by(const std::vector<const GenRecord*>& recs,
                                              std::optional<std::string> GenRecord::*field,
                                              std::uint64_t* missing) {
  std::map<std::string, std::uint64_t> m;
  for (const auto* r : recs) {
    if (r->*field) {
      ++m[*(r->*field)];
    } else {
      ++*missing;
    }
  }
  return m;
}

void expect_top_equals(const TopResult& got, const std::map<std::string, std::uint64_t>& want,
                       std::uint64_t total, std::uint64_t missing, std::size_t n) {
  std::vector<std::pair<std::string, std::uint64_t>> rows(want.begin(), want.end());
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  rows.resize(std::min(rows.size(), n));
  EXPECT_EQ(got.total, total);
  EXPECT_EQ(got.missing, missing);
  EXPECT_EQ(got.distinct, want.size());
  ASSERT_EQ(got.rows.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got.rows[i].key, rows[i].first);
    EXPECT_EQ(got.rows[i].count, rows[i].second);
    EXPECT_DOUBLE_EQ(got.rows[i].share,
                     static_cast<double>(rows[i].second) / static_cast<double>(total));
  }
}

TEST_F(ScanTest, CountsAndMalformedMatchTheGenerator) {
  const auto t = compute_top(options(), Field::kFn, 10);
  EXPECT_EQ(t.stats.records, records().size());
  EXPECT_EQ(t.stats.matched, records().size());
  EXPECT_EQ(t.stats.malformed, malformed());
  EXPECT_GT(malformed(), 100u);
}

TEST_F(ScanTest, TopCourseAmongMismatchesMatchesAPlainLoop) {
  auto o = options();
  o.filter.error_code = {"E_AMOUNT_MISMATCH"};
  std::vector<const GenRecord*> mism;
  for (const auto* r : records()) {
    if (r->error_code == "E_AMOUNT_MISMATCH") mism.push_back(r);
  }
  std::uint64_t missing = 0;
  const auto want = count_by(mism, &GenRecord::course_id, &missing);
  const auto t = compute_top(o, Field::kCourseId, 10);
  expect_top_equals(t.result, want, mism.size(), missing, 10);
}

TEST_F(ScanTest, TopUsersWithTiesMatchesAPlainLoop) {
  std::uint64_t missing = 0;
  const auto recs = records();
  const auto want = count_by(recs, &GenRecord::user_id, &missing);
  // 40 users over ~11k lines: ties are certain, so the key order is exercised.
  const auto t = compute_top(options(), Field::kUserId, 40);
  expect_top_equals(t.result, want, recs.size(), missing, 40);
  const auto t5 = compute_top(options(), Field::kUserId, 5);
  expect_top_equals(t5.result, want, recs.size(), missing, 5);
}

TEST_F(ScanTest, FiltersCombineLikeAPlainLoop) {
  const std::int64_t since = testing::kStartMs + 3'600'000, until = since + 2 * 3'600'000;
  auto o = options();
  o.filter.status = {"error"};
  o.filter.fn = {"confirm-payment"};
  o.filter.course = {"course-1", "course-2"};
  o.filter.since = since;
  o.filter.until = until;
  std::uint64_t want = 0;
  for (const auto* r : records()) {
    want += r->status == "error" && r->fn == "confirm-payment" &&
            (r->course_id == "course-1" || r->course_id == "course-2") && r->ts >= since &&
            r->ts < until;
  }
  EXPECT_GT(want, 10u);
  EXPECT_EQ(compute_top(o, Field::kFn, 1).stats.matched, want);

  auto by_user = options();
  by_user.filter.user = {"user-3"};
  std::uint64_t want_user = 0;
  for (const auto* r : records()) want_user += r->user_id == "user-3";
  EXPECT_EQ(compute_top(by_user, Field::kFn, 1).stats.matched, want_user);
}

TEST_F(ScanTest, LatencyMatchesSortedPercentiles) {
  std::vector<double> v;
  for (const auto* r : records()) {
    if (r->latency_ms) v.push_back(*r->latency_ms);
  }
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    return v[static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1];
  };
  const auto l = compute_latency(options(), LatencyBucket::kNone, TimeZone::utc());
  ASSERT_EQ(l.rows.size(), 1u);
  const auto& s = l.rows[0].summary;
  EXPECT_EQ(s.count, v.size());
  EXPECT_EQ(s.p50, pct(50));
  EXPECT_EQ(s.p95, pct(95));
  EXPECT_EQ(s.p99, pct(99));
  EXPECT_EQ(s.max, v.back());
  double sum = 0;
  for (double x : v) sum += x;
  EXPECT_NEAR(s.mean, sum / static_cast<double>(v.size()), 1e-9);
}

TEST_F(ScanTest, LatencyByKstDaySplitsAtKstMidnight) {
  // The lines start at 23:30 KST: the first day bucket holds exactly the lines before
  // 2026-11-25T15:00:00Z.
  const std::int64_t kst_midnight = testing::kStartMs + 30 * 60'000;
  std::map<std::string, std::vector<double>> want;
  for (const auto* r : records()) {
    if (!r->latency_ms) continue;
    const std::int64_t day = (r->ts + 9 * 3'600'000) / 86'400'000;
    const std::string label = testing::format_ts(day * 86'400'000).substr(0, 10);
    EXPECT_EQ(label, r->ts < kst_midnight ? "2026-11-25" : "2026-11-26");
    want[label].push_back(*r->latency_ms);
  }
  const auto tz = TimeZone::load("Asia/Seoul");
  ASSERT_TRUE(tz.has_value());
  const auto l = compute_latency(options(), LatencyBucket::kDay, *tz);
  ASSERT_EQ(l.rows.size(), want.size());
  std::size_t i = 0;
  for (auto& [label, v] : want) {
    SCOPED_TRACE(label);
    std::sort(v.begin(), v.end());
    EXPECT_EQ(l.rows[i].bucket, label);
    EXPECT_EQ(l.rows[i].summary.count, v.size());
    EXPECT_EQ(l.rows[i].summary.p95,
              v[static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(v.size()))) - 1]);
    ++i;
  }
  // And in UTC the same lines are one day.
  EXPECT_EQ(compute_latency(options(), LatencyBucket::kDay, TimeZone::utc()).rows.size(), 1u);
}

TEST_F(ScanTest, LatencyByKstHourLabels) {
  const auto tz = TimeZone::load("Asia/Seoul");
  const auto l = compute_latency(options(), LatencyBucket::kHour, *tz);
  ASSERT_GE(l.rows.size(), 2u);
  EXPECT_EQ(l.rows[0].bucket, "2026-11-25T23");
  EXPECT_EQ(l.rows[1].bucket, "2026-11-26T00");
}

TEST_F(ScanTest, ErrorsPerWindowMatchAPlainLoop) {
  const EpochMs window = 5 * 60'000;
  std::map<std::int64_t, WindowCounts> want;
  for (const auto* r : records()) {
    auto& w = want[r->ts / window * window];
    ++w.total;
    if (r->status == "error") {
      ++w.errors;
      ++w.by_code[*r->error_code];
    }
  }
  const auto e = compute_errors(options(), window, TimeZone::utc(), ErrorSide::kAll);
  ASSERT_EQ(e.windows.size(), want.size());
  for (const auto& [start, w] : want) {
    SCOPED_TRACE(start);
    const auto it = e.windows.find(start);
    ASSERT_NE(it, e.windows.end());
    EXPECT_EQ(it->second.total, w.total);
    EXPECT_EQ(it->second.errors, w.errors);
    EXPECT_EQ(it->second.by_code, w.by_code);
  }
  // The default is the server side: of the generated codes only TOSS_API_ERROR (sent with 400
  // here, still Toss's failure); the client side is the rest.
  const auto server = compute_errors(options(), window, TimeZone::utc());
  const auto client = compute_errors(options(), window, TimeZone::utc(), ErrorSide::kClient);
  for (const auto& [start, w] : want) {
    SCOPED_TRACE(start);
    const std::uint64_t toss =
        w.by_code.contains("TOSS_API_ERROR") ? w.by_code.at("TOSS_API_ERROR") : 0;
    EXPECT_EQ(server.windows.at(start).total, w.total);
    EXPECT_EQ(server.windows.at(start).errors, toss);
    EXPECT_EQ(client.windows.at(start).errors, w.errors - toss);
    EXPECT_FALSE(client.windows.at(start).by_code.contains("TOSS_API_ERROR"));
  }
  const auto j = errors_json(e.windows, window, TimeZone::utc(), ErrorSide::kAll);
  EXPECT_EQ(j["side"], "all");
  ASSERT_FALSE(j["rows"].empty());
  const auto& row = j["rows"][0];
  EXPECT_EQ(row["window_start"], testing::format_ts(want.begin()->first).substr(0, 19) + "Z");
  EXPECT_EQ(row["total"], want.begin()->second.total);
  EXPECT_DOUBLE_EQ(row["error_rate"].get<double>(),
                   static_cast<double>(want.begin()->second.errors) /
                       static_cast<double>(want.begin()->second.total));
}

TEST_F(ScanTest, MalformedLineNumbersAreTheFirstBadLinesInOrder) {
  std::vector<std::uint64_t> want;
  for (std::size_t i = 0; i < lines_.size() && want.size() < 10; ++i) {
    if (!lines_[i].record && !lines_[i].blank) want.push_back(i + 1);
  }
  for (unsigned threads : {1u, 3u}) {
    auto o = options();
    o.scan.threads = threads;
    const auto t = compute_top(o, Field::kFn, 1);
    std::vector<std::uint64_t> got;
    for (const auto& m : t.stats.malformed_samples) got.push_back(m.line);
    EXPECT_EQ(got, want) << threads << " threads";
  }
}

TEST_F(ScanTest, SameAnswersWhateverTheThreadsAndChunks) {
  const auto base = compute_top(options(), Field::kUserId, 100).result;
  for (unsigned threads : {1u, 2u, 5u}) {
    for (std::size_t chunk : {std::size_t{1000}, std::size_t{4096}, std::size_t{4} << 20}) {
      auto o = options();
      o.scan.threads = threads;
      o.scan.chunk_bytes = chunk;
      const auto t = compute_top(o, Field::kUserId, 100);
      SCOPED_TRACE(std::to_string(threads) + " threads, chunk " + std::to_string(chunk));
      EXPECT_EQ(t.stats.malformed, malformed());
      ASSERT_EQ(t.result.rows.size(), base.rows.size());
      for (std::size_t i = 0; i < base.rows.size(); ++i) {
        EXPECT_EQ(t.result.rows[i].key, base.rows[i].key);
        EXPECT_EQ(t.result.rows[i].count, base.rows[i].count);
      }
    }
  }
}

TEST_F(ScanTest, GzipAndZstdGiveTheSameAnswers) {
  const std::string text = testing::join_lines(lines_);
  const auto gz = dir_.write("app.log.gz", testing::gzip(text));
  const auto zst = dir_.write("app.log.zst", testing::zstd_compress(text));
  // The extension does not matter: the magic bytes do.
  const auto hidden = dir_.write("app.log.1", testing::gzip(text));
  const auto plain = compute_top(options(), Field::kCourseId, 10);
  for (const auto& path : {gz, zst, hidden}) {
    SCOPED_TRACE(path);
    const auto t = compute_top(options({path}), Field::kCourseId, 10);
    EXPECT_TRUE(t.stats.problems.empty());
    EXPECT_EQ(t.stats.records, plain.stats.records);
    EXPECT_EQ(t.stats.malformed, plain.stats.malformed);
    ASSERT_EQ(t.result.rows.size(), plain.result.rows.size());
    for (std::size_t i = 0; i < t.result.rows.size(); ++i) {
      EXPECT_EQ(t.result.rows[i].count, plain.result.rows[i].count);
    }
    ASSERT_FALSE(t.stats.malformed_samples.empty());
    EXPECT_EQ(t.stats.malformed_samples[0].line, plain.stats.malformed_samples[0].line);
  }
}

TEST_F(ScanTest, ConcatenatedGzipMembersAreOneStream) {
  const std::string text = testing::join_lines(lines_);
  const std::size_t half = text.find('\n', text.size() / 2) + 1;
  const auto path =
      dir_.write("two.gz", testing::gzip(text.substr(0, half)) + testing::gzip(text.substr(half)));
  const auto t = compute_top(options({path}), Field::kFn, 1);
  EXPECT_EQ(t.stats.records, records().size());
}

TEST_F(ScanTest, TruncatedGzipIsReportedNotFatal) {
  const std::string gz = testing::gzip(testing::join_lines(lines_));
  const auto path = dir_.write("cut.gz", gz.substr(0, gz.size() / 2));
  const auto t = compute_top(options({path}), Field::kFn, 1);
  EXPECT_GT(t.stats.records, 1000u);
  ASSERT_EQ(t.stats.problems.size(), 1u);
  EXPECT_NE(t.stats.problems[0].find("truncated gzip"), std::string::npos);
}

TEST_F(ScanTest, SupabaseJsonArrayExport) {
  // The same objects as one pretty-printed JSON array: wrapped lines stay wrapped objects.
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  std::uint64_t want = 0;
  for (const auto& l : lines_) {
    if (!l.record) continue;
    arr.push_back(nlohmann::ordered_json::parse(l.text));
    ++want;
  }
  const std::string text = arr.dump(2);
  for (const auto& [name, data] :
       {std::pair{"export.json", text}, std::pair{"export.json.gz", testing::gzip(text)}}) {
    SCOPED_TRACE(name);
    auto o = options({dir_.write(name, data)});
    o.scan.chunk_bytes = 10'000;  // elements across block edges
    const auto t = compute_top(o, Field::kCourseId, 10);
    EXPECT_EQ(t.stats.records, want);
    EXPECT_EQ(t.stats.malformed, 0u);
    std::uint64_t missing = 0;
    const auto by_course = count_by(records(), &GenRecord::course_id, &missing);
    expect_top_equals(t.result, by_course, want, missing, 10);
  }
}

TEST_F(ScanTest, BadElementsOfAJsonArrayAreCountedWithTheirLine) {
  const std::string text =
      "[\n  {\"ts\":\"2026-11-26T01:02:03.123Z\",\"status\":\"success\"},\n"
      "  {\"ts\":\"2026-11-26T01:02:04.123Z\",\"status\":7},\n"
      "  \"just a string\",\n"
      "  {\"ts\":\"2026-11-26T01:02:05.123Z\",\"status\":\"error\"}\n]\n";
  const auto t = compute_top(options({dir_.write("a.json", text)}), Field::kStatus, 10);
  EXPECT_EQ(t.stats.records, 2u);
  EXPECT_EQ(t.stats.malformed, 2u);
  ASSERT_EQ(t.stats.malformed_samples.size(), 2u);
  EXPECT_EQ(t.stats.malformed_samples[0].line, 3u);
  EXPECT_EQ(t.stats.malformed_samples[1].line, 4u);
}

TEST_F(ScanTest, AnUnclosedJsonArrayIsWarnedAboutAndItsElementsStillCount) {
  const std::string head =
      "[\n  {\"ts\":\"2026-11-26T01:02:03.123Z\",\"status\":\"success\"},\n"
      "  {\"ts\":\"2026-11-26T01:02:04.123Z\",\"status\":\"error\"}";
  struct Case {
    const char* name;
    std::string text;
    std::uint64_t records, malformed;
    bool warned;
  };
  for (const auto& c : {Case{"closed", head + "\n]\n", 2, 0, false},
                        Case{"cut_after_an_element", head + ",\n", 2, 0, true},
                        Case{"cut_inside_an_element", head + ",\n  {\"ts\":\"2026-11", 2, 1, true},
                        Case{"cut_without_newline", head, 2, 0, true}}) {
    SCOPED_TRACE(c.name);
    const auto t = compute_top(options({dir_.write("cut.json", c.text)}), Field::kStatus, 10);
    EXPECT_EQ(t.stats.records, c.records);
    EXPECT_EQ(t.stats.malformed, c.malformed);
    ASSERT_EQ(t.stats.warnings.size(), c.warned ? 1u : 0u);
    if (c.warned) {
      EXPECT_NE(t.stats.warnings[0].find("not closed"), std::string::npos);
    }
    EXPECT_TRUE(t.stats.problems.empty());  // a warning, not a failure: exit code 0
  }
}

TEST_F(ScanTest, QueryLimitPrintsTheFirstMatchesInInputOrder) {
  std::vector<const GenRecord*> errors;
  for (const auto* r : records()) {
    if (r->status == "error") errors.push_back(r);
  }
  ASSERT_GT(errors.size(), 600u);
  for (std::uint64_t limit : {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{500},
                              std::uint64_t{errors.size() + 10}}) {
    SCOPED_TRACE(limit);
    auto o = options();
    o.format = OutputFormat::kJson;
    o.filter.status = {"error"};
    o.scan.output_limit = limit;
    ASSERT_EQ(run_query(o, false), 0);
    std::rewind(o.out);
    std::vector<nlohmann::json> got;
    char buf[1 << 16];
    while (std::fgets(buf, sizeof buf, o.out)) got.push_back(nlohmann::json::parse(buf));
    const std::size_t want = std::min<std::size_t>(limit, errors.size());
    ASSERT_EQ(got.size(), want);
    for (std::size_t i = 0; i < want; ++i) {
      EXPECT_EQ(parse_log_ts(got[i]["ts"].get<std::string>()), errors[i]->ts) << i;
      EXPECT_EQ(got[i]["status"], "error");
    }
  }
}

TEST_F(ScanTest, CrlfNoFinalNewlineAndAHugeLine) {
  std::string text;
  text += "{\"ts\":\"2026-11-26T01:02:03.123Z\",\"user_id\":\"a\"}\r\n";
  text += "{\"ts\":\"2026-11-26T01:02:03.123Z\",\"user_id\":\"b\",\"pad\":\"" +
          std::string(300'000, 'x') + "\"}\r\n";
  text += "{\"ts\":\"2026-11-26T01:02:03.123Z\",\"user_id\":\"a\"}";  // no newline at the end
  for (const auto& [name, data] :
       {std::pair{"crlf.log", text}, std::pair{"crlf.log.zst", testing::zstd_compress(text)}}) {
    SCOPED_TRACE(name);
    auto o = options({dir_.write(name, data)});
    o.scan.chunk_bytes = 1000;
    const auto t = compute_top(o, Field::kUserId, 10);
    EXPECT_EQ(t.stats.malformed, 0u);
    ASSERT_EQ(t.result.rows.size(), 2u);
    EXPECT_EQ(t.result.rows[0].key, "a");
    EXPECT_EQ(t.result.rows[0].count, 2u);
    EXPECT_EQ(t.result.rows[1].key, "b");
  }
}

TEST_F(ScanTest, SeveralInputsAddUpAndAMissingOneIsAProblem) {
  const auto second = dir_.write("second.log", testing::join_lines(lines_));
  const auto t = compute_top(options({path_, second, dir_.file("missing.log")}), Field::kFn, 1);
  EXPECT_EQ(t.stats.records, 2 * records().size());
  ASSERT_EQ(t.stats.problems.size(), 1u);
  EXPECT_NE(t.stats.problems[0].find("missing.log"), std::string::npos);
}

TEST_F(ScanTest, SampleIsReproducibleAndIndependentOfThreads) {
  auto o = options();
  const auto a = compute_sample(o, 50, 42);
  ASSERT_EQ(a.lines.size(), 50u);
  for (unsigned threads : {1u, 4u}) {
    auto p = options();
    p.scan.threads = threads;
    p.scan.chunk_bytes = 3000;
    EXPECT_EQ(compute_sample(p, 50, 42).lines, a.lines);
  }
  EXPECT_NE(compute_sample(o, 50, 43).lines, a.lines);
  // In input order, no duplicates.
  std::set<std::string> unique(a.lines.begin(), a.lines.end());
  EXPECT_EQ(unique.size(), a.lines.size());
  EXPECT_EQ(compute_sample(o, 1'000'000, 1).lines.size(), records().size());
}

TEST_F(ScanTest, MismatchesAreTheMismatchLinesInTimeOrder) {
  const auto m = compute_mismatches(options());
  std::vector<std::string> want;
  for (const auto* r : records()) {
    if (r->error_code == "E_AMOUNT_MISMATCH") want.push_back(*r->order_id);
  }
  std::vector<std::string> got;
  for (const auto& l : m.lines) got.push_back(l.order_id);
  EXPECT_EQ(got, want);  // the generator writes in time order
  ASSERT_FALSE(m.lines.empty());
  EXPECT_TRUE(m.lines[0].amount.has_value());
  EXPECT_EQ(m.lines[0].expected_amount, 49000);
}

}  // namespace
}  // namespace payedge::logs
