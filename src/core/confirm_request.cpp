#include "core/confirm_request.h"

#include <nlohmann/json.hpp>
#include <set>

namespace payedge {
namespace {

using nlohmann::json;

bool has_control_chars(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Result<std::string> text_field(const json& body, const char* name, size_t max_len) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null())
    return fail(ErrorCode::kInvalidRequest, std::string(name) + " is required");
  if (!it->is_string())
    return fail(ErrorCode::kInvalidRequest, std::string(name) + " must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty()) return fail(ErrorCode::kInvalidRequest, std::string(name) + " is empty");
  if (s.size() > max_len)
    return fail(ErrorCode::kInvalidRequest, std::string(name) + " is too long");
  if (has_control_chars(s)) {
    return fail(ErrorCode::kInvalidRequest, std::string(name) + " has control characters");
  }
  return s;
}

}  // namespace

bool valid_order_id(std::string_view s) {
  if (s.size() < 6 || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<ConfirmRequest> parse_confirm_request(std::string_view text) {
  // Duplicate top-level keys are refused: a proxy and this parser might read different values.
  std::set<std::string> seen;
  bool duplicate = false;
  auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1) {
      if (!seen.insert(parsed.get<std::string>()).second) duplicate = true;
    }
    return true;
  };
  json body = json::parse(text.begin(), text.end(), on_event, /*allow_exceptions=*/false);
  if (body.is_discarded()) return fail(ErrorCode::kInvalidRequest, "body is not valid JSON");
  if (!body.is_object()) return fail(ErrorCode::kInvalidRequest, "body must be a JSON object");
  if (duplicate) return fail(ErrorCode::kInvalidRequest, "duplicate keys");

  ConfirmRequest req;
  auto key = text_field(body, "paymentKey", kMaxPaymentKeyLength);
  if (!key) return std::unexpected(key.error());
  req.payment_key = std::move(*key);

  auto order = text_field(body, "orderId", 64);
  if (!order) return std::unexpected(order.error());
  if (!valid_order_id(*order)) {
    return fail(ErrorCode::kInvalidRequest, "orderId must match ^[A-Za-z0-9_-]{6,64}$");
  }
  req.order_id = std::move(*order);

  auto amount = body.find("amount");
  if (amount == body.end() || amount->is_null())
    return fail(ErrorCode::kInvalidRequest, "amount is required");
  if (amount->is_number_unsigned()) {
    const auto v = amount->get<std::uint64_t>();
    if (v == 0 || v > static_cast<std::uint64_t>(kMaxAmount)) {
      return fail(ErrorCode::kInvalidRequest, "amount is out of range");
    }
    req.amount = static_cast<Krw>(v);
  } else if (amount->is_number_integer()) {  // a negative integer
    return fail(ErrorCode::kInvalidRequest, "amount must be positive");
  } else {
    return fail(ErrorCode::kInvalidRequest, "amount must be an integer");
  }

  auto course = text_field(body, "courseId", 128);
  if (!course) return std::unexpected(course.error());
  req.course_id = std::move(*course);

  auto coupon = body.find("couponCode");
  if (coupon != body.end() && !coupon->is_null()) {
    if (!coupon->is_string())
      return fail(ErrorCode::kInvalidRequest, "couponCode must be a string or null");
    const auto& c = coupon->get_ref<const std::string&>();
    if (c.size() > 64) return fail(ErrorCode::kInvalidRequest, "couponCode is too long");
    if (has_control_chars(c))
      return fail(ErrorCode::kInvalidRequest, "couponCode has control characters");
    if (!c.empty()) req.coupon_code = c;
  }
  return req;
}

}  // namespace payedge
