// SPEC section 3: base price from the sale window, then the coupon.
#include "core/price.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace payedge {
namespace {

constexpr EpochMs kNow = 1'790'000'000'000;  // 2026-09-21, an arbitrary fixed instant
constexpr EpochMs kHour = 3'600'000;

Course plain_course(Krw list_price = 50'000) {
  Course c;
  c.id = "course-1";
  c.title = "Course One";
  c.list_price = list_price;
  return c;
}

Course sale_course(std::optional<EpochMs> starts, std::optional<EpochMs> ends) {
  Course c = plain_course(50'000);
  c.sale_price = 30'000;
  c.sale_starts_at = starts;
  c.sale_ends_at = ends;
  return c;
}

Coupon percent(Krw value) {
  Coupon c;
  c.code = "PCT";
  c.kind = CouponKind::kPercent;
  c.value = value;
  return c;
}

Coupon fixed(Krw value) {
  Coupon c;
  c.code = "FIX";
  c.kind = CouponKind::kFixed;
  c.value = value;
  return c;
}

PriceQuote quote_with(const Course& course, const Coupon& coupon, EpochMs now = kNow) {
  return quote_price(course, coupon.code, coupon, now);
}

// --- sale window -----------------------------------------------------------------------------

TEST(SaleActive, NoSalePriceIsNeverActive) {
  Course c = plain_course();
  EXPECT_FALSE(sale_active(c, kNow));
  c.sale_starts_at = kNow - kHour;
  c.sale_ends_at = kNow + kHour;
  EXPECT_FALSE(sale_active(c, kNow));
}

TEST(SaleActive, SalePriceWithoutWindowIsAlwaysActive) {
  EXPECT_TRUE(sale_active(sale_course(std::nullopt, std::nullopt), kNow));
  EXPECT_TRUE(sale_active(sale_course(std::nullopt, std::nullopt), 0));
}

TEST(SaleActive, StartIsInclusive) {
  const Course c = sale_course(kNow, kNow + kHour);
  EXPECT_FALSE(sale_active(c, kNow - 1));
  EXPECT_TRUE(sale_active(c, kNow));
  EXPECT_TRUE(sale_active(c, kNow + 1));
}

TEST(SaleActive, EndIsExclusive) {
  const Course c = sale_course(kNow - kHour, kNow);
  EXPECT_TRUE(sale_active(c, kNow - 1));
  EXPECT_FALSE(sale_active(c, kNow));
  EXPECT_FALSE(sale_active(c, kNow + 1));
}

TEST(SaleActive, OpenStartIsActiveUntilEnd) {
  const Course c = sale_course(std::nullopt, kNow);
  EXPECT_TRUE(sale_active(c, 0));
  EXPECT_TRUE(sale_active(c, kNow - 1));
  EXPECT_FALSE(sale_active(c, kNow));
}

TEST(SaleActive, OpenEndIsActiveFromStartOn) {
  const Course c = sale_course(kNow, std::nullopt);
  EXPECT_FALSE(sale_active(c, kNow - 1));
  EXPECT_TRUE(sale_active(c, kNow));
  EXPECT_TRUE(sale_active(c, kNow + 10'000 * kHour));
}

TEST(QuotePrice, NoCouponUsesListPrice) {
  const PriceQuote q = quote_price(plain_course(50'000), std::nullopt, std::nullopt, kNow);
  EXPECT_EQ(q.course_id, "course-1");
  EXPECT_EQ(q.list_price, 50'000);
  EXPECT_FALSE(q.sale_price.has_value());
  EXPECT_FALSE(q.sale_active);
  EXPECT_EQ(q.base, 50'000);
  EXPECT_FALSE(q.coupon_code.has_value());
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "");
  EXPECT_EQ(q.discount, 0);
  EXPECT_EQ(q.expected, 50'000);
}

TEST(QuotePrice, ActiveSaleUsesSalePrice) {
  const PriceQuote q =
      quote_price(sale_course(kNow - kHour, kNow + kHour), std::nullopt, std::nullopt, kNow);
  EXPECT_TRUE(q.sale_active);
  EXPECT_EQ(q.sale_price, std::optional<Krw>(30'000));
  EXPECT_EQ(q.base, 30'000);
  EXPECT_EQ(q.expected, 30'000);
}

TEST(QuotePrice, SaleStartingExactlyNowUsesSalePrice) {
  const PriceQuote q =
      quote_price(sale_course(kNow, kNow + kHour), std::nullopt, std::nullopt, kNow);
  EXPECT_TRUE(q.sale_active);
  EXPECT_EQ(q.base, 30'000);
}

TEST(QuotePrice, SaleEndingExactlyNowUsesListPrice) {
  const PriceQuote q =
      quote_price(sale_course(kNow - kHour, kNow), std::nullopt, std::nullopt, kNow);
  EXPECT_FALSE(q.sale_active);
  EXPECT_EQ(q.base, 50'000);
  EXPECT_EQ(q.expected, 50'000);
}

TEST(QuotePrice, SalePriceSetButWindowClosedUsesListPriceAndStillReportsSalePrice) {
  const PriceQuote before =
      quote_price(sale_course(kNow + kHour, kNow + 2 * kHour), std::nullopt, std::nullopt, kNow);
  EXPECT_FALSE(before.sale_active);
  EXPECT_EQ(before.sale_price, std::optional<Krw>(30'000));
  EXPECT_EQ(before.base, 50'000);
  EXPECT_EQ(before.expected, 50'000);

  const PriceQuote after =
      quote_price(sale_course(kNow - 2 * kHour, kNow - kHour), std::nullopt, std::nullopt, kNow);
  EXPECT_FALSE(after.sale_active);
  EXPECT_EQ(after.base, 50'000);
}

// --- PERCENT coupons -------------------------------------------------------------------------

TEST(QuotePrice, PercentDiscountIsFloored) {
  // 10% of 99,999 is 9,999.9 → 9,999.
  const PriceQuote q = quote_with(plain_course(99'999), percent(10));
  EXPECT_TRUE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "");
  EXPECT_EQ(q.discount, 9'999);
  EXPECT_EQ(q.expected, 90'000);
}

TEST(QuotePrice, PercentDiscountFloorsSmallFractions) {
  // 33% of 1,001 is 330.33 → 330; 1% of 99 is 0.99 → 0.
  EXPECT_EQ(quote_with(plain_course(1'001), percent(33)).discount, 330);
  const PriceQuote tiny = quote_with(plain_course(99), percent(1));
  EXPECT_TRUE(tiny.coupon_applied);
  EXPECT_EQ(tiny.discount, 0);
  EXPECT_EQ(tiny.expected, 99);
}

TEST(QuotePrice, PercentAppliesToSaleBaseNotListPrice) {
  const PriceQuote q = quote_with(sale_course(std::nullopt, std::nullopt), percent(10));
  EXPECT_EQ(q.base, 30'000);
  EXPECT_EQ(q.discount, 3'000);
  EXPECT_EQ(q.expected, 27'000);
}

TEST(QuotePrice, PercentIsCappedByMaxDiscount) {
  Coupon c = percent(50);
  c.max_discount = 10'000;
  const PriceQuote q = quote_with(plain_course(50'000), c);
  EXPECT_TRUE(q.coupon_applied);
  EXPECT_EQ(q.discount, 10'000);
  EXPECT_EQ(q.expected, 40'000);
}

TEST(QuotePrice, PercentBelowMaxDiscountIsNotCapped) {
  Coupon c = percent(10);
  c.max_discount = 10'000;
  const PriceQuote q = quote_with(plain_course(50'000), c);
  EXPECT_EQ(q.discount, 5'000);
  EXPECT_EQ(q.expected, 45'000);
}

TEST(QuotePrice, PercentExactlyAtMaxDiscount) {
  Coupon c = percent(20);
  c.max_discount = 10'000;
  EXPECT_EQ(quote_with(plain_course(50'000), c).discount, 10'000);
}

TEST(QuotePrice, PercentHundredMakesItFree) {
  const PriceQuote q = quote_with(plain_course(50'000), percent(100));
  EXPECT_TRUE(q.coupon_applied);
  EXPECT_EQ(q.discount, 50'000);
  EXPECT_EQ(q.expected, 0);
}

TEST(QuotePrice, PercentOutOfRangeIsRejected) {
  for (Krw v : {Krw{0}, Krw{-5}, Krw{101}}) {
    SCOPED_TRACE(v);
    const PriceQuote q = quote_with(plain_course(50'000), percent(v));
    EXPECT_FALSE(q.coupon_applied);
    EXPECT_FALSE(q.coupon_error.empty());
    EXPECT_EQ(q.discount, 0);
    EXPECT_EQ(q.expected, 50'000);
  }
}

// --- FIXED coupons ---------------------------------------------------------------------------

TEST(QuotePrice, FixedDiscountIsSubtracted) {
  const PriceQuote q = quote_with(plain_course(50'000), fixed(5'000));
  EXPECT_TRUE(q.coupon_applied);
  EXPECT_EQ(q.discount, 5'000);
  EXPECT_EQ(q.expected, 45'000);
}

TEST(QuotePrice, FixedGreaterThanPriceDiscountsTheBaseOnly) {
  const PriceQuote q = quote_with(plain_course(3'000), fixed(5'000));
  EXPECT_TRUE(q.coupon_applied);
  EXPECT_EQ(q.discount, 3'000);
  EXPECT_EQ(q.expected, 0);
}

TEST(QuotePrice, FixedEqualToPriceMakesItFree) {
  const PriceQuote q = quote_with(plain_course(5'000), fixed(5'000));
  EXPECT_EQ(q.discount, 5'000);
  EXPECT_EQ(q.expected, 0);
}

TEST(QuotePrice, FixedIgnoresMaxDiscount) {
  // max_discount caps PERCENT only (SPEC section 3); FIXED is min(value, base).
  Coupon c = fixed(5'000);
  c.max_discount = 1'000;
  EXPECT_EQ(quote_with(plain_course(50'000), c).discount, 5'000);
}

// --- coupon applicability --------------------------------------------------------------------

TEST(CouponRejection, ValidCouponApplies) {
  EXPECT_EQ(coupon_rejection(fixed(1'000), plain_course(), 50'000, kNow), "");
}

TEST(CouponRejection, MinAmountBelowIsRejected) {
  Coupon c = fixed(1'000);
  c.min_amount = 50'001;
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "below_min_amount");
  const PriceQuote q = quote_with(plain_course(50'000), c);
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "below_min_amount");
  EXPECT_EQ(q.discount, 0);
  EXPECT_EQ(q.expected, 50'000);
}

TEST(CouponRejection, MinAmountEqualApplies) {
  Coupon c = fixed(1'000);
  c.min_amount = 50'000;
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "");
  const PriceQuote q = quote_with(plain_course(50'000), c);
  EXPECT_TRUE(q.coupon_applied);
  EXPECT_EQ(q.expected, 49'000);
}

TEST(CouponRejection, MinAmountIsComparedWithSaleBase) {
  // list 50,000 ≥ 40,000 but the active sale price 30,000 < 40,000.
  Coupon c = fixed(1'000);
  c.min_amount = 40'000;
  const PriceQuote q = quote_with(sale_course(std::nullopt, std::nullopt), c);
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "below_min_amount");
  EXPECT_EQ(q.expected, 30'000);
}

TEST(CouponRejection, CourseRestrictedCouponForAnotherCourseIsRejected) {
  Coupon c = fixed(1'000);
  c.course_id = "course-2";
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "other_course");
  const PriceQuote q = quote_with(plain_course(50'000), c);
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "other_course");
  EXPECT_EQ(q.expected, 50'000);
}

TEST(CouponRejection, CourseRestrictedCouponForThisCourseApplies) {
  Coupon c = fixed(1'000);
  c.course_id = "course-1";
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "");
}

TEST(CouponRejection, EmptyCourseIdMeansAnyCourse) {
  Coupon c = fixed(1'000);
  c.course_id = "";
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "");
}

TEST(CouponRejection, EndsAtNowIsExpired) {
  Coupon c = fixed(1'000);
  c.ends_at = kNow;
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "expired");
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow + 1), "expired");
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow - 1), "");
  const PriceQuote q = quote_with(plain_course(50'000), c);
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "expired");
  EXPECT_EQ(q.expected, 50'000);
}

TEST(CouponRejection, NotYetStartedIsRejectedAndStartIsInclusive) {
  Coupon c = fixed(1'000);
  c.starts_at = kNow;
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow - 1), "not_started");
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "");
  const PriceQuote q = quote_with(plain_course(50'000), c, kNow - 1);
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "not_started");
  EXPECT_EQ(q.expected, 50'000);
}

TEST(CouponRejection, ExhaustedWhenRedemptionsReachMax) {
  Coupon c = fixed(1'000);
  c.max_redemptions = 10;
  c.redemptions = 10;
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "exhausted");
  const PriceQuote q = quote_with(plain_course(50'000), c);
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "exhausted");
  EXPECT_EQ(q.expected, 50'000);
}

TEST(CouponRejection, OneRedemptionLeftApplies) {
  Coupon c = fixed(1'000);
  c.max_redemptions = 10;
  c.redemptions = 9;
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "");
}

TEST(CouponRejection, ZeroMaxRedemptionsIsExhausted) {
  Coupon c = fixed(1'000);
  c.max_redemptions = 0;
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "exhausted");
}

TEST(CouponRejection, InactiveIsRejected) {
  Coupon c = fixed(1'000);
  c.active = false;
  EXPECT_EQ(coupon_rejection(c, plain_course(), 50'000, kNow), "inactive");
  const PriceQuote q = quote_with(plain_course(50'000), c);
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "inactive");
  EXPECT_EQ(q.discount, 0);
  EXPECT_EQ(q.expected, 50'000);
}

TEST(QuotePrice, UnknownCouponIsReportedAndNotApplied) {
  const PriceQuote q = quote_price(plain_course(50'000), std::string("NOPE"), std::nullopt, kNow);
  EXPECT_EQ(q.coupon_code, std::optional<std::string>("NOPE"));
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "unknown");
  EXPECT_EQ(q.discount, 0);
  EXPECT_EQ(q.expected, q.base);
  EXPECT_EQ(q.expected, 50'000);
}

TEST(QuotePrice, UnknownCouponOnSaleKeepsSaleBase) {
  const PriceQuote q =
      quote_price(sale_course(std::nullopt, std::nullopt), std::string("NOPE"), std::nullopt, kNow);
  EXPECT_EQ(q.coupon_error, "unknown");
  EXPECT_EQ(q.expected, 30'000);
}

TEST(QuotePrice, CouponWithoutCodeIsIgnored) {
  // A looked-up coupon is only used when the request names one.
  const PriceQuote q = quote_price(plain_course(50'000), std::nullopt, fixed(5'000), kNow);
  EXPECT_FALSE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "");
  EXPECT_EQ(q.expected, 50'000);
}

TEST(QuotePrice, AppliedCouponKeepsItsCode) {
  const PriceQuote q = quote_with(plain_course(50'000), fixed(5'000));
  EXPECT_EQ(q.coupon_code, std::optional<std::string>("FIX"));
  EXPECT_TRUE(q.coupon_applied);
  EXPECT_EQ(q.coupon_error, "");
}

TEST(QuotePrice, ExpectedIsBaseMinusDiscountForEveryCombination) {
  for (Krw list : {Krw{1}, Krw{999}, Krw{10'000}, Krw{99'999}, Krw{1'000'000'000}}) {
    for (Krw pct : {Krw{1}, Krw{7}, Krw{33}, Krw{50}, Krw{99}, Krw{100}}) {
      SCOPED_TRACE(testing::Message() << list << " " << pct);
      const PriceQuote q = quote_with(plain_course(list), percent(pct));
      EXPECT_EQ(q.discount, list * pct / 100);
      EXPECT_EQ(q.expected, q.base - q.discount);
      EXPECT_GE(q.expected, 0);
    }
  }
}

}  // namespace
}  // namespace payedge
