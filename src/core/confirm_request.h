// The confirm-payment request body of SPEC section 4, parsed and validated field by field.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/catalog.h"
#include "core/error.h"

namespace payedge {

struct ConfirmRequest {
  std::string payment_key;
  std::string order_id;
  Krw amount = 0;
  std::string course_id;
  std::optional<std::string> coupon_code;  // "" in the body is treated as no coupon
};

inline constexpr size_t kMaxPaymentKeyLength = 200;
inline constexpr Krw kMaxAmount = 1'000'000'000;  // no course costs ₩1bn; larger is garbage

bool valid_order_id(std::string_view s);

// E_INVALID_REQUEST with the offending field in the detail, or the request.
Result<ConfirmRequest> parse_confirm_request(std::string_view body);

}  // namespace payedge
