// The numbers of `payedge slo report` (src/slo) against plain loops over the lines the test
// wrote: success rate with excluded codes, days split at KST midnight, weeks from Monday in KST,
// nearest-rank p95 on small n, pass/fail at exactly the targets, --month bounds, malformed lines.
#include "slo/slo_report.h"

#include <gtest/gtest.h>

#include "slo_fixture.h"

namespace payedge::slo {
namespace {

using logs::TimeZone;
using logs::testing::TempDir;
using testing::err;
using testing::ok;
using testing::SloLine;

EpochMs at(std::string_view rfc3339) {
  const auto t = parse_rfc3339(rfc3339);
  if (!t) throw std::runtime_error("bad time in test: " + std::string(rfc3339));
  return *t;
}

TimeZone zone(std::string_view name) {
  auto tz = TimeZone::load(name);
  if (!tz) throw std::runtime_error("zone " + std::string(name));
  return *tz;
}

class SloReportTest : public ::testing::Test {
 protected:
  SloOptions options(const std::string& text, unsigned threads = 2) {
    SloOptions o;
    o.inputs = {dir_.write("app" + std::to_string(files_++) + ".log", text)};
    o.scan.threads = threads;
    o.scan.chunk_bytes = 16 * 1024;  // many chunks, lines across their edges
    o.out = std::tmpfile();
    o.err = std::tmpfile();
    return o;
  }
  SloOutcome compute(const std::vector<SloLine>& lines, std::string_view tz = "Asia/Seoul",
                     SloConfig targets = {}) {
    SloOptions o = options(testing::join(lines));
    o.targets = targets;
    return compute_slo(o, zone(tz));
  }

  TempDir dir_;
  int files_ = 0;
};

TEST_F(SloReportTest, GeneratedLinesAgreeWithPlainLoops) {
  // ~6000 lines up to 10 minutes apart: about three weeks, every hour of the day.
  const auto g = testing::generate(6000, 42, at("2026-11-20T10:00:00Z"), 10 * 60'000);
  const auto e = testing::expect(g.records, 9);
  for (unsigned threads : {1u, 3u}) {
    SloOptions o = options(g.text, threads);
    const SloOutcome s = compute_slo(o, zone("Asia/Seoul"));
    const SloReport& r = s.report;
    EXPECT_EQ(s.stats.malformed, g.malformed);
    ASSERT_GT(g.malformed, 0u);
    EXPECT_EQ(r.confirm_lines, e.confirms);
    EXPECT_EQ(r.success.good, e.good);
    EXPECT_EQ(r.success.failed, e.failed);
    EXPECT_EQ(r.success.excluded, e.excluded);
    ASSERT_GT(e.failed, 0u);
    ASSERT_GT(e.excluded, 0u);
    ASSERT_TRUE(r.success.value());
    EXPECT_DOUBLE_EQ(*r.success.value(),
                     static_cast<double>(e.good) / static_cast<double>(e.good + e.failed));
    EXPECT_EQ(r.success.pass(),
              static_cast<double>(e.good) / static_cast<double>(e.good + e.failed) >= 0.99);

    // Every day from the first to the last with a confirm line, none missing, none extra.
    ASSERT_FALSE(r.daily.empty());
    EXPECT_EQ(r.daily.front().day, *e.active_days.begin());
    EXPECT_EQ(r.daily.back().day, *e.active_days.rbegin());
    ASSERT_GE(r.daily.size(), 20u);
    std::size_t measured_days = 0;
    for (const auto& d : r.daily) {
      const auto it = e.days.find(d.day);
      if (it == e.days.end()) {
        EXPECT_EQ(d.latency.count, 0u) << d.day;
        EXPECT_TRUE(d.pass) << d.day;
        continue;
      }
      ++measured_days;
      const auto& v = it->second.latencies;
      EXPECT_EQ(d.latency.count, v.size()) << d.day;
      EXPECT_DOUBLE_EQ(d.latency.mean, testing::mean_of(v)) << d.day;
      EXPECT_EQ(d.latency.p95, testing::p95_of(v)) << d.day;
      EXPECT_EQ(d.pass, testing::mean_of(v) < 900 && testing::p95_of(v) < 1500) << d.day;
    }
    EXPECT_EQ(measured_days, e.days.size());

    ASSERT_EQ(r.weekly.size(), e.weeks.size());
    std::size_t i = 0;
    for (const auto& [monday, w] : e.weeks) {
      const auto& row = r.weekly[i++];
      EXPECT_EQ(row.week_start, monday);
      EXPECT_EQ(row.confirms, w.confirms) << monday;
      EXPECT_EQ(row.mismatches, w.mismatches) << monday;
      ASSERT_TRUE(row.mismatch_rate);
      const double rate = static_cast<double>(w.mismatches) / static_cast<double>(w.confirms);
      EXPECT_DOUBLE_EQ(*row.mismatch_rate, rate);
      EXPECT_EQ(row.pass, rate < 0.001);
    }
  }
}

TEST_F(SloReportTest, SuccessRateCountsOnlyServerSideFailures) {
  const EpochMs t = at("2026-11-26T03:00:00Z");
  std::vector<SloLine> lines;
  for (int i = 0; i < 5; ++i) lines.push_back(ok(t + i, 100));
  SloLine replay = ok(t + 5, 3);
  replay.replayed = true;
  lines.push_back(replay);  // good, but no latency sample
  // Failed: the service or Toss let the customer down.
  lines.push_back(err(t + 10, "TOSS_API_ERROR", 502));
  lines.push_back(err(t + 11, "E_INTERNAL", 500));
  lines.push_back(err(t + 12, "E_PAYMENTS_DISABLED", 503));
  SloLine bare_5xx = err(t + 13, "", 504);
  bare_5xx.error_code.reset();
  lines.push_back(bare_5xx);
  // The code alone is enough (a line without http_status).
  for (const char* code : {"TOSS_API_ERROR", "E_INTERNAL", "E_PAYMENTS_DISABLED"}) {
    SloLine code_only = err(t + 14, code, 0);
    code_only.http_status.reset();
    lines.push_back(code_only);
  }
  // Excluded: the client's own errors.
  for (const char* code :
       {"E_INVALID_REQUEST", "E_UNAUTHORIZED", "E_AMOUNT_MISMATCH", "E_TOSS_REJECTED",
        "E_IDEMPOTENCY_CONFLICT", "E_RATE_LIMITED", "E_COUPON_INVALID", "E_ALREADY_ENROLLED"}) {
    lines.push_back(err(t + 20, code, 400));
  }
  // Not confirm-payment: ignored altogether.
  SloLine webhook = err(t + 30, "E_INTERNAL", 500);
  webhook.fn = "toss-webhook";
  lines.push_back(webhook);

  const SloReport r = compute(lines).report;
  EXPECT_EQ(r.confirm_lines, 21u);
  EXPECT_EQ(r.success.good, 6u);
  EXPECT_EQ(r.success.failed, 7u);
  EXPECT_EQ(r.success.excluded, 8u);
  EXPECT_EQ(r.success.valid(), 13u);
  EXPECT_DOUBLE_EQ(*r.success.value(), 6.0 / 13.0);
  EXPECT_FALSE(r.success.pass());
  EXPECT_FALSE(r.pass());
  ASSERT_EQ(r.daily.size(), 1u);
  EXPECT_EQ(r.daily[0].latency.count, 5u);  // the replay is not timed
  EXPECT_EQ(r.daily[0].latency.mean, 100);
  ASSERT_EQ(r.weekly.size(), 1u);
  EXPECT_EQ(r.weekly[0].mismatches, 1u);
  EXPECT_EQ(r.weekly[0].confirms, 21u);  // replays and errors are confirms too
}

// A virtual-account confirm answered WAITING_FOR_DEPOSIT is a success of the confirm (the
// money comes later), and is also counted apart; its replays are not new pending deposits.
TEST_F(SloReportTest, APendingDepositIsAGoodConfirmCountedApart) {
  const EpochMs t = at("2026-11-26T03:00:00Z");
  SloLine pending = ok(t, 120);
  pending.error_detail = "pending_deposit";
  SloLine pending_replay = ok(t + 1, 3);
  pending_replay.error_detail = "pending_deposit";
  pending_replay.replayed = true;
  SloLine another = ok(t + 2, 80);
  another.error_detail = "pending_deposit";
  const SloReport r =
      compute({ok(t + 3, 100), pending, pending_replay, another, err(t + 4, "E_INTERNAL", 500)})
          .report;
  EXPECT_EQ(r.success.good, 4u);
  EXPECT_EQ(r.success.failed, 1u);
  EXPECT_EQ(r.success.pending_deposits, 2u);
  ASSERT_EQ(r.daily.size(), 1u);
  EXPECT_EQ(r.daily[0].latency.count, 3u);  // timed like any first answer
  const auto j = slo_json(r, {});
  EXPECT_EQ(j["success_rate"]["pending_deposits"], 2);
  EXPECT_NE(
      slo_table(r, {}, true).find("of the good: 2 virtual-account deposits awaited at confirm"),
      std::string::npos);
  EXPECT_NE(slo_html(r, {}, true).find("Of the good: 2 virtual-account deposits awaited"),
            std::string::npos);
  // Korean by default, as the runbook is; the figures are the same.
  EXPECT_NE(slo_table(r, {}).find("성공 중 가상계좌 입금 대기로 승인된 건: 2"), std::string::npos);
}

// A buyer who retried through a Toss 5xx burst until the confirm went through is one good
// confirm, not a failure per try; an order that never succeeded is one failure however often
// it was tried; the replay of a paid order adds nothing.
TEST_F(SloReportTest, RetriesOfOneOrderCountOnce) {
  const EpochMs t = at("2026-11-26T03:00:00Z");
  auto of = [](SloLine l, const char* order) {
    l.order_id = order;
    return l;
  };
  std::vector<SloLine> lines = {
      of(err(t, "TOSS_API_ERROR", 502), "o-retried"),
      of(err(t + 1000, "TOSS_API_ERROR", 502), "o-retried"),
      of(ok(t + 60'000, 300), "o-retried"),
      of(err(t + 2000, "TOSS_API_ERROR", 502), "o-lost"),
      of(err(t + 3000, "E_INTERNAL", 500), "o-lost"),
      of(ok(t + 4000, 200), "o-plain"),
  };
  SloLine replay = of(ok(t + 5000, 3), "o-plain");
  replay.replayed = true;
  lines.push_back(replay);
  lines.push_back(err(t + 6000, "TOSS_API_ERROR", 502));  // no order id: counted as a line
  // A client error of an order that later succeeded stays excluded.
  lines.push_back(of(err(t + 7000, "E_AMOUNT_MISMATCH", 400), "o-mismatch"));
  // Split over threads and chunks the same way.
  for (unsigned threads : {1u, 3u}) {
    SloOptions o = options(testing::join(lines), threads);
    const SloReport r = compute_slo(o, zone("Asia/Seoul")).report;
    EXPECT_EQ(r.success.good, 2u) << threads;    // o-retried, o-plain
    EXPECT_EQ(r.success.failed, 2u) << threads;  // o-lost once, the bare line
    EXPECT_EQ(r.success.excluded, 1u) << threads;
    EXPECT_EQ(r.confirm_lines, lines.size()) << threads;
    ASSERT_EQ(r.daily.size(), 1u);
    EXPECT_EQ(r.daily[0].latency.count, 2u);  // every successful non-replayed line is timed
  }
}

TEST_F(SloReportTest, NoValidLineIsNotAFailure) {
  const SloReport r = compute({err(at("2026-11-26T03:00:00Z"), "E_UNAUTHORIZED", 401)}).report;
  EXPECT_EQ(r.success.valid(), 0u);
  EXPECT_FALSE(r.success.value());
  EXPECT_TRUE(r.success.pass());
  ASSERT_EQ(r.daily.size(), 1u);
  EXPECT_EQ(r.daily[0].latency.count, 0u);
  EXPECT_TRUE(r.daily[0].pass);

  const SloReport empty = compute({}).report;
  EXPECT_TRUE(empty.daily.empty());
  EXPECT_TRUE(empty.weekly.empty());
  EXPECT_TRUE(empty.pass());
}

TEST_F(SloReportTest, DaysSplitAtKstMidnight) {
  const std::vector<SloLine> lines = {
      ok(at("2026-11-25T14:59:59.999Z"), 100),  // 23:59:59.999 KST on the 25th
      ok(at("2026-11-25T15:00:00.000Z"), 300),  // 00:00 KST on the 26th
      ok(at("2026-11-25T23:00:00.000Z"), 500),  // 08:00 KST on the 26th
      ok(at("2026-11-27T16:00:00.000Z"), 700),  // 01:00 KST on the 28th: the 27th is empty
  };
  const SloReport kst = compute(lines).report;
  ASSERT_EQ(kst.daily.size(), 4u);
  EXPECT_EQ(kst.daily[0].day, "2026-11-25");
  EXPECT_EQ(kst.daily[0].latency.count, 1u);
  EXPECT_EQ(kst.daily[1].day, "2026-11-26");
  EXPECT_EQ(kst.daily[1].latency.count, 2u);
  EXPECT_EQ(kst.daily[1].latency.mean, 400);
  EXPECT_EQ(kst.daily[2].day, "2026-11-27");
  EXPECT_EQ(kst.daily[2].latency.count, 0u);
  EXPECT_TRUE(kst.daily[2].pass);
  EXPECT_EQ(kst.daily[3].day, "2026-11-28");

  const SloReport utc = compute(lines, "UTC").report;
  ASSERT_EQ(utc.daily.size(), 3u);
  EXPECT_EQ(utc.daily[0].day, "2026-11-25");
  EXPECT_EQ(utc.daily[0].latency.count, 3u);
  EXPECT_EQ(utc.daily[2].day, "2026-11-27");
}

TEST_F(SloReportTest, WeeksStartMondayInKst) {
  // 2026-11-29 is a Sunday, 2026-11-30 a Monday.
  std::vector<SloLine> lines = {
      ok(at("2026-11-29T14:59:59.999Z"), 100),                        // Sunday 23:59:59.999 KST
      err(at("2026-11-29T15:00:00.000Z"), "E_AMOUNT_MISMATCH", 400),  // Monday 00:00 KST
      ok(at("2026-11-29T15:00:01.000Z"), 100),
  };
  const SloReport kst = compute(lines).report;
  ASSERT_EQ(kst.weekly.size(), 2u);
  EXPECT_EQ(kst.weekly[0].week_start, "2026-11-23");
  EXPECT_EQ(kst.weekly[0].confirms, 1u);
  EXPECT_EQ(kst.weekly[0].mismatches, 0u);
  EXPECT_TRUE(kst.weekly[0].pass);
  EXPECT_EQ(kst.weekly[1].week_start, "2026-11-30");
  EXPECT_EQ(kst.weekly[1].confirms, 2u);
  EXPECT_EQ(kst.weekly[1].mismatches, 1u);
  EXPECT_DOUBLE_EQ(*kst.weekly[1].mismatch_rate, 0.5);
  EXPECT_FALSE(kst.weekly[1].pass);

  // In UTC all three are on Sunday the 29th: one week.
  const SloReport utc = compute(lines, "UTC").report;
  ASSERT_EQ(utc.weekly.size(), 1u);
  EXPECT_EQ(utc.weekly[0].week_start, "2026-11-23");
  EXPECT_EQ(utc.weekly[0].confirms, 3u);

  // A week with no line between two with lines is listed, rate null, pass.
  lines.push_back(ok(at("2026-12-15T03:00:00Z"), 100));
  const SloReport gap = compute(lines).report;
  ASSERT_EQ(gap.weekly.size(), 4u);
  EXPECT_EQ(gap.weekly[2].week_start, "2026-12-07");
  EXPECT_EQ(gap.weekly[2].confirms, 0u);
  EXPECT_FALSE(gap.weekly[2].mismatch_rate);
  EXPECT_TRUE(gap.weekly[2].pass);
  EXPECT_EQ(gap.weekly[3].week_start, "2026-12-14");
}

TEST_F(SloReportTest, P95IsNearestRankOnSmallN) {
  // n values 10, 20, ..., 10n, shuffled; p95 = the value at index ceil(0.95·n)−1.
  const std::pair<int, double> cases[] = {{1, 10}, {2, 20}, {20, 190}, {21, 200}};
  for (const auto& [n, want] : cases) {
    std::vector<SloLine> lines;
    const EpochMs t = at("2026-11-26T03:00:00Z");
    for (int i = 0; i < n; ++i) lines.push_back(ok(t + ((i * 11) % n), 10.0 * ((i * 11) % n + 1)));
    const SloReport r = compute(lines).report;
    ASSERT_EQ(r.daily.size(), 1u) << n;
    EXPECT_EQ(r.daily[0].latency.count, static_cast<std::uint64_t>(n));
    EXPECT_EQ(r.daily[0].latency.p95, want) << n;
    std::vector<double> values;
    for (const auto& l : lines) values.push_back(*l.latency_ms);
    EXPECT_EQ(r.daily[0].latency.p95, testing::p95_of(values)) << n;
  }
}

TEST_F(SloReportTest, PassAndFailExactlyAtTheTargets) {
  const EpochMs day1 = at("2026-11-02T03:00:00Z");  // a Monday in KST
  std::vector<SloLine> lines;
  // Day 1: mean exactly 900 → FAIL (the target is "< 900").
  lines.push_back(ok(day1, 800));
  lines.push_back(ok(day1 + 1, 1000));
  // Day 2: mean 899.5 → PASS.
  lines.push_back(ok(day1 + 86'400'000, 800));
  lines.push_back(ok(day1 + 86'400'000 + 1, 999));
  // Day 3: p95 exactly 1500 (n = 20, index 18), mean 240 → FAIL.
  // Day 4: p95 1499 → PASS.
  for (int d = 2; d <= 3; ++d) {
    for (int i = 0; i < 18; ++i) lines.push_back(ok(day1 + d * 86'400'000 + i, 100));
    for (int i = 0; i < 2; ++i)
      lines.push_back(ok(day1 + d * 86'400'000 + 20 + i, d == 2 ? 1500 : 1499));
  }
  const SloReport r = compute(lines).report;
  ASSERT_EQ(r.daily.size(), 4u);
  EXPECT_EQ(r.daily[0].latency.mean, 900);
  EXPECT_FALSE(r.daily[0].pass);
  EXPECT_EQ(r.daily[1].latency.mean, 899.5);
  EXPECT_TRUE(r.daily[1].pass);
  EXPECT_EQ(r.daily[2].latency.p95, 1500);
  EXPECT_EQ(r.daily[2].latency.mean, 240);
  EXPECT_FALSE(r.daily[2].pass);
  EXPECT_EQ(r.daily[3].latency.p95, 1499);
  EXPECT_TRUE(r.daily[3].pass);

  // Targets come from the config: a mean target of 900.5 lets day 1 pass.
  SloConfig loose;
  loose.mean_confirm_ms = 900.5;
  loose.p95_confirm_ms = 1500.5;
  const SloReport l = compute(lines, "Asia/Seoul", loose).report;
  EXPECT_TRUE(l.daily[0].pass);
  EXPECT_TRUE(l.daily[2].pass);
  EXPECT_EQ(l.targets.mean_confirm_ms, 900.5);
}

TEST_F(SloReportTest, SuccessRateAtExactly99PercentPasses) {
  const EpochMs t = at("2026-11-26T03:00:00Z");
  std::vector<SloLine> lines;
  for (int i = 0; i < 99; ++i) lines.push_back(ok(t + i, 100));
  lines.push_back(err(t + 200, "TOSS_API_ERROR", 502));
  lines.push_back(err(t + 201, "E_AMOUNT_MISMATCH", 400));  // excluded: still 99 / 100
  const SloReport exact = compute(lines).report;
  EXPECT_EQ(exact.success.valid(), 100u);
  EXPECT_EQ(*exact.success.value(), 0.99);
  EXPECT_TRUE(exact.success.pass());

  lines.push_back(err(t + 202, "E_INTERNAL", 500));  // 99 / 101
  const SloReport below = compute(lines).report;
  EXPECT_FALSE(below.success.pass());
}

TEST_F(SloReportTest, MismatchRateAtExactlyTheTargetFails) {
  // Week of Mon 2026-11-02 (KST): 1 mismatch in 1000 confirms = 0.1% → FAIL.
  // Week of Mon 2026-11-09: 1 in 1001 → PASS.
  std::vector<SloLine> lines;
  const EpochMs w1 = at("2026-11-02T03:00:00Z"), w2 = at("2026-11-09T03:00:00Z");
  lines.push_back(err(w1, "E_AMOUNT_MISMATCH", 400));
  for (int i = 1; i < 1000; ++i) lines.push_back(ok(w1 + i, 100));
  lines.push_back(err(w2, "E_AMOUNT_MISMATCH", 400));
  for (int i = 1; i < 1001; ++i) lines.push_back(ok(w2 + i, 100));
  const SloReport r = compute(lines).report;
  ASSERT_EQ(r.weekly.size(), 2u);
  EXPECT_EQ(r.weekly[0].week_start, "2026-11-02");
  EXPECT_EQ(r.weekly[0].confirms, 1000u);
  EXPECT_EQ(*r.weekly[0].mismatch_rate, 0.001);
  EXPECT_FALSE(r.weekly[0].pass);
  EXPECT_EQ(r.weekly[1].confirms, 1001u);
  EXPECT_TRUE(r.weekly[1].pass);
}

TEST_F(SloReportTest, MonthIsTheCalendarMonthInTheZone) {
  const auto seoul = zone("Asia/Seoul");
  const auto nov = month_period("2026-11", seoul);
  ASSERT_TRUE(nov);
  EXPECT_EQ(nov->since, at("2026-10-31T15:00:00Z"));
  EXPECT_EQ(nov->until, at("2026-11-30T15:00:00Z"));
  const auto dec = month_period("2026-12", seoul);
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->until, at("2026-12-31T15:00:00Z"));
  const auto feb = month_period("2028-02", zone("UTC"));
  ASSERT_TRUE(feb);
  EXPECT_EQ(feb->since, at("2028-02-01T00:00:00Z"));
  EXPECT_EQ(feb->until, at("2028-03-01T00:00:00Z"));
  for (const char* bad : {"2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01", "",
                          "２026-11", "+026-11"}) {
    EXPECT_FALSE(month_period(bad, seoul)) << bad;
  }
  // A zone with daylight saving time: November 2026 in New York starts in EDT, ends in EST.
  if (const auto ny = TimeZone::load("America/New_York"); ny && !ny->is_utc()) {
    const auto p = month_period("2026-11", *ny);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->since, at("2026-11-01T04:00:00Z"));
    EXPECT_EQ(p->until, at("2026-12-01T05:00:00Z"));
  }
  // Sydney moved to daylight time at 02:00 on Sunday 2023-10-01: the month starts at +10:00
  // although most of its first day is +11:00.
  if (const auto syd = TimeZone::load("Australia/Sydney"); syd && !syd->is_utc()) {
    const auto p = month_period("2023-10", *syd);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->since, at("2023-09-30T14:00:00Z"));
    EXPECT_EQ(p->until, at("2023-10-31T13:00:00Z"));
  }

  // Only lines inside the month count.
  const std::vector<SloLine> lines = {
      ok(at("2026-10-31T14:59:59.999Z"), 1),  // Oct 31 23:59:59.999 KST: out
      ok(at("2026-10-31T15:00:00.000Z"), 2),  // Nov 1 00:00 KST: in
      ok(at("2026-11-30T14:59:59.999Z"), 3),  // Nov 30 23:59:59.999 KST: in
      ok(at("2026-11-30T15:00:00.000Z"), 4),  // Dec 1 00:00 KST: out
  };
  SloOptions o = options(testing::join(lines));
  o.period = *nov;
  o.month = "2026-11";
  const SloReport r = compute_slo(o, seoul).report;
  EXPECT_EQ(r.confirm_lines, 2u);
  ASSERT_EQ(r.daily.size(), 30u);
  EXPECT_EQ(r.daily.front().day, "2026-11-01");
  EXPECT_EQ(r.daily.front().latency.mean, 2);
  EXPECT_EQ(r.daily.back().day, "2026-11-30");
  EXPECT_EQ(r.daily.back().latency.mean, 3);
  EXPECT_EQ(r.since_label, "2026-11-01T00:00:00+09:00");
  EXPECT_EQ(r.until_label, "2026-12-01T00:00:00+09:00");
  // The first week is cut by the month: it starts on Monday Oct 26 but holds Nov 1 only.
  ASSERT_EQ(r.weekly.size(), 6u);
  EXPECT_EQ(r.weekly.front().week_start, "2026-10-26");
  EXPECT_EQ(r.weekly.front().confirms, 1u);
  EXPECT_EQ(r.weekly.back().week_start, "2026-11-30");
}

TEST_F(SloReportTest, MalformedLinesAreCountedNotFatal) {
  std::string text = testing::to_json(ok(at("2026-11-26T03:00:00Z"), 100)) + "\n";
  text += "not json at all\n";
  text += R"({"ts":"2026-11-26T03:00:00Z","fn":"confirm-payment","latency_ms":"slow"})"
          "\n";
  text += testing::to_json(ok(at("2026-11-26T03:00:01Z"), 300), true) + "\n";  // Supabase
  SloOptions o = options(text);
  o.english = true;
  std::FILE* out = o.out;
  EXPECT_EQ(run_slo_report(o, zone("Asia/Seoul")), 0);
  const SloOutcome s = compute_slo(o, zone("Asia/Seoul"));
  EXPECT_EQ(s.stats.malformed, 2u);
  EXPECT_EQ(s.report.confirm_lines, 2u);
  ASSERT_EQ(s.report.daily.size(), 1u);
  EXPECT_EQ(s.report.daily[0].latency.mean, 200);
  EXPECT_EQ(slo_json(s.report, s.stats)["malformed_lines"], 2);
  std::rewind(out);
  char buf[4096];
  const std::string printed(buf, std::fread(buf, 1, sizeof buf, out));
  EXPECT_NE(printed.find("2 malformed lines skipped"), std::string::npos) << printed;
}

TEST_F(SloReportTest, HtmlEscapesEveryText) {
  SloReport r;
  r.tz = "Asia/Seoul";
  r.inputs = {"<script>alert('x')</script>&.log"};
  r.daily.push_back({"2026-11-26", {}, true});
  const std::string html = slo_html(r, {});
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;.log"),
            std::string::npos);
}

TEST_F(SloReportTest, HtmlHasChartsAViewportAndPrintStyles) {
  SloReport r;
  r.tz = "Asia/Seoul";
  r.targets.success_rate = 0.99;
  r.daily.push_back({"2026-11-26", {}, true, 0, 0});
  r.daily.back().latency.count = 10;
  r.daily.back().latency.mean = 300;
  r.daily.back().latency.p95 = 1200;
  r.daily.back().good = 99;
  r.daily.back().failed = 1;
  r.daily.push_back({"2026-11-27", {}, true, 98, 2});
  r.weekly.push_back({"2026-11-23", 200, 1, 0.005, false});
  const std::string html = slo_html(r, {}, true);
  EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  // Four inline charts: latency, success rate, error budget, weekly mismatches.
  std::size_t svgs = 0;
  for (auto at = html.find("<svg "); at != std::string::npos; at = html.find("<svg ", at + 1)) {
    ++svgs;
  }
  EXPECT_EQ(svgs, 4u);
  EXPECT_NE(html.find("p95 target 1500 ms"), std::string::npos);
  EXPECT_NE(html.find("target 0.1%"), std::string::npos);
  EXPECT_NE(html.find("Error budget left"), std::string::npos);
  // Day 1: 1 failure of the 1 allowed for 100 confirms: budget 0% left; day 2: 3 of 2 → −50%.
  EXPECT_NE(html.find("spent"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // The same page in Korean (the default): the charts' words too.
  const std::string ko = slo_html(r, {});
  EXPECT_NE(ko.find("<html lang=\"ko\">"), std::string::npos);
  EXPECT_NE(ko.find("p95 목표 1500 ms"), std::string::npos);
  EXPECT_NE(ko.find("남은 오류 예산"), std::string::npos);
  EXPECT_EQ(ko.find("Error budget left"), std::string::npos);
}

}  // namespace
}  // namespace payedge::slo
