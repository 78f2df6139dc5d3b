// The reason guessed for an E_AMOUNT_MISMATCH, from the catalogue as it is today.
#include "logs/mismatch.h"

#include <gtest/gtest.h>

namespace payedge::logs {
namespace {

EpochMs at(const char* t) { return *parse_rfc3339(t); }

Course cpp_course() {
  Course c;
  c.id = "course-cpp";
  c.list_price = 99000;
  c.sale_price = 79000;
  c.sale_starts_at = at("2026-11-01T00:00:00Z");
  c.sale_ends_at = at("2026-11-25T15:00:00Z");
  return c;
}

Course sql_course() {
  Course c;
  c.id = "course-sql";
  c.list_price = 49000;
  return c;
}

Coupon sql5000() {
  Coupon k;
  k.code = "SQL5000";
  k.kind = CouponKind::kFixed;
  k.value = 5000;
  k.course_id = "course-sql";
  k.ends_at = at("2026-11-26T00:00:00Z");
  return k;
}

MismatchLine line(const char* ts, const char* course, std::int64_t amount,
                  std::optional<std::string> coupon = std::nullopt,
                  std::optional<std::int64_t> expected = std::nullopt) {
  MismatchLine l;
  l.ts = at(ts);
  l.course_id = course;
  l.amount = amount;
  l.coupon_code = std::move(coupon);
  l.expected_amount = expected;
  return l;
}

const EpochMs kNow = at("2026-11-27T00:00:00Z");

bool has(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

TEST(ExplainMismatch, SaleWindowEndedJustBefore) {
  const auto x = explain_mismatch(line("2026-11-25T15:07:00Z", "course-cpp", 79000, {}, 99000),
                                  cpp_course(), std::nullopt, kNow);
  EXPECT_TRUE(x.course_found);
  EXPECT_EQ(x.at_request.expected, 99000);
  EXPECT_FALSE(x.at_request.sale_active);
  EXPECT_TRUE(has(x.reason, "sale window ended 7m before")) << x.reason;
}

TEST(ExplainMismatch, CouponExpired) {
  const auto x = explain_mismatch(line("2026-11-26T02:00:00Z", "course-sql", 44000, "SQL5000"),
                                  sql_course(), sql5000(), kNow);
  EXPECT_TRUE(has(x.reason, "coupon SQL5000 expired 2h before")) << x.reason;
  EXPECT_EQ(x.now.coupon_error, "expired");
  EXPECT_EQ(x.now.expected, 49000);
}

TEST(ExplainMismatch, CouponUsedUp) {
  Coupon k = sql5000();
  k.ends_at.reset();
  k.max_redemptions = 10;
  k.redemptions = 10;
  const auto x = explain_mismatch(line("2026-11-26T02:00:00Z", "course-sql", 44000, "SQL5000"),
                                  sql_course(), k, kNow);
  EXPECT_TRUE(has(x.reason, "used up (10 of 10")) << x.reason;
}

TEST(ExplainMismatch, FrontEndForgotTheCoupon) {
  Coupon k = sql5000();
  k.ends_at.reset();
  const auto x = explain_mismatch(line("2026-11-26T02:00:00Z", "course-sql", 49000, "SQL5000"),
                                  sql_course(), k, kNow);
  EXPECT_TRUE(has(x.reason, "did not apply coupon SQL5000")) << x.reason;
}

TEST(ExplainMismatch, PriceChangedSince) {
  // The service expected 39000 then; today the course costs 49000 and the front end sent 39000.
  const auto x = explain_mismatch(line("2026-11-26T02:00:00Z", "course-sql", 39000, {}, 39000),
                                  sql_course(), std::nullopt, kNow);
  EXPECT_TRUE(has(x.reason, "price changed since the request")) << x.reason;
}

TEST(ExplainMismatch, TodaysCatalogueAcceptsTheAmount) {
  const auto x = explain_mismatch(line("2026-11-26T02:00:00Z", "course-sql", 49000, {}, 59000),
                                  sql_course(), std::nullopt, kNow);
  EXPECT_TRUE(has(x.reason, "price changed after the request")) << x.reason;
}

TEST(ExplainMismatch, NothingFitsPossibleTampering) {
  const auto x = explain_mismatch(line("2026-11-26T02:00:00Z", "course-sql", 100, {}, 49000),
                                  sql_course(), std::nullopt, kNow);
  EXPECT_TRUE(has(x.reason, "unknown: possible tampering")) << x.reason;
}

TEST(ExplainMismatch, UnknownCourse) {
  const auto x = explain_mismatch(line("2026-11-26T02:00:00Z", "course-gone", 100), std::nullopt,
                                  std::nullopt, kNow);
  EXPECT_FALSE(x.course_found);
  EXPECT_TRUE(has(x.reason, "not in the store")) << x.reason;
}

TEST(FormatSpan, HumanUnits) {
  EXPECT_EQ(format_span(42'000), "42s");
  EXPECT_EQ(format_span(7 * 60'000), "7m");
  EXPECT_EQ(format_span(125 * 60'000), "2h 5m");
  EXPECT_EQ(format_span(26 * 3'600'000), "1d 2h");
}

}  // namespace
}  // namespace payedge::logs
