// Courses and coupons as the store holds them (SPEC section 2). Prices are integer KRW.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/time.h"

namespace payedge {

using Krw = std::int64_t;

struct Course {
  std::string id;
  std::string title;
  Krw list_price = 0;
  std::optional<Krw> sale_price;
  std::optional<EpochMs> sale_starts_at;
  std::optional<EpochMs> sale_ends_at;
  bool active = true;
};

enum class CouponKind { kPercent, kFixed };

struct Coupon {
  std::string code;
  CouponKind kind = CouponKind::kFixed;
  Krw value = 0;
  std::optional<Krw> max_discount;
  std::optional<Krw> min_amount;
  std::optional<std::string> course_id;
  std::optional<EpochMs> starts_at;
  std::optional<EpochMs> ends_at;
  std::optional<std::int64_t> max_redemptions;
  std::int64_t redemptions = 0;
  bool active = true;
};

}  // namespace payedge
