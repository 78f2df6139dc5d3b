#include "core/price.h"

#include <algorithm>

namespace payedge {
namespace {

bool inside(std::optional<EpochMs> starts, std::optional<EpochMs> ends, EpochMs now) {
  return (!starts || now >= *starts) && (!ends || now < *ends);
}

}  // namespace

bool sale_active(const Course& course, EpochMs now) {
  return course.sale_price.has_value() && inside(course.sale_starts_at, course.sale_ends_at, now);
}

std::string coupon_rejection(const Coupon& c, const Course& course, Krw base, EpochMs now) {
  if (!c.active) return "inactive";
  if (c.starts_at && now < *c.starts_at) return "not_started";
  if (c.ends_at && now >= *c.ends_at) return "expired";
  if (c.course_id && !c.course_id->empty() && *c.course_id != course.id) return "other_course";
  if (c.min_amount && base < *c.min_amount) return "below_min_amount";
  if (c.max_redemptions && c.redemptions >= *c.max_redemptions) return "exhausted";
  if (c.kind == CouponKind::kPercent && (c.value < 1 || c.value > 100)) return "bad_value";
  if (c.kind == CouponKind::kFixed && c.value < 0) return "bad_value";
  return {};
}

PriceQuote quote_price(const Course& course, const std::optional<std::string>& coupon_code,
                       const std::optional<Coupon>& coupon, EpochMs now) {
  PriceQuote q;
  q.course_id = course.id;
  q.list_price = course.list_price;
  q.sale_price = course.sale_price;
  q.sale_active = sale_active(course, now);
  q.base = q.sale_active ? *course.sale_price : course.list_price;
  q.coupon_code = coupon_code;
  if (coupon_code) {
    if (!coupon) {
      q.coupon_error = "unknown";
    } else {
      q.coupon_error = coupon_rejection(*coupon, course, q.base, now);
    }
    if (q.coupon_error.empty()) {
      q.coupon_applied = true;
      if (coupon->kind == CouponKind::kPercent) {
        // floor(base * value / 100); base and value are non-negative so integer division floors.
        // Seeded prices are at most 1e9 and value at most 100, but a row written by hand must
        // not overflow either: a product out of range applies no coupon.
        Krw product = 0;
        if (__builtin_mul_overflow(q.base, coupon->value, &product) || q.base < 0) {
          q.coupon_applied = false;
          q.coupon_error = "bad_value";
          q.expected = q.base;
          return q;
        }
        q.discount = product / 100;
        if (coupon->max_discount) q.discount = std::min(q.discount, *coupon->max_discount);
      } else {
        q.discount = std::min(coupon->value, q.base);
      }
    }
  }
  q.expected = q.base - q.discount;
  return q;
}

}  // namespace payedge
