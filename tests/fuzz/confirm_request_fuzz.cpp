// libFuzzer target: the confirm-payment body parser must never crash, leak or accept a body
// that breaks its own rules.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/confirm_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = payedge::parse_confirm_request(body);
  if (parsed) {
    // What the parser accepts, the rest of the service relies on.
    if (parsed->payment_key.empty() || parsed->payment_key.size() > payedge::kMaxPaymentKeyLength)
      std::abort();
    if (!payedge::valid_order_id(parsed->order_id)) std::abort();
    if (parsed->amount <= 0 || parsed->amount > payedge::kMaxAmount) std::abort();
    if (parsed->course_id.empty()) std::abort();
    if (parsed->coupon_code && parsed->coupon_code->empty()) std::abort();
  } else if (parsed.error().code != payedge::ErrorCode::kInvalidRequest) {
    std::abort();
  }
  return 0;
}
