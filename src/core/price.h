// The price rule of SPEC section 3: base price from the sale window, then the coupon.
#pragma once

#include <optional>
#include <string>

#include "core/catalog.h"

namespace payedge {

struct PriceQuote {
  std::string course_id;
  Krw list_price = 0;
  std::optional<Krw> sale_price;
  bool sale_active = false;
  Krw base = 0;
  std::optional<std::string> coupon_code;
  bool coupon_applied = false;
  std::string coupon_error;  // why a named coupon does not apply; empty when it does
  Krw discount = 0;
  Krw expected = 0;
};

bool sale_active(const Course& course, EpochMs now);

// Why `coupon` does not apply to `course` at `now` for `base`, or empty when it applies.
std::string coupon_rejection(const Coupon& coupon, const Course& course, Krw base, EpochMs now);

// `coupon` is the looked-up coupon for `coupon_code` (nullopt when the code is unknown).
PriceQuote quote_price(const Course& course, const std::optional<std::string>& coupon_code,
                       const std::optional<Coupon>& coupon, EpochMs now);

}  // namespace payedge
