#include "logs/parse_keys.h"

#include <optional>

#include "logs/record_parser.h"

namespace payedge::logs {
namespace {

constexpr std::array<std::string_view, kStringFieldCount> kFieldNames = {
    "level",    "fn",          "request_id",  "status",    "error_code", "user_id", "course_id",
    "order_id", "payment_key", "coupon_code", "toss_code", "ip",         "ua",      "error_detail"};

}  // namespace

namespace detail {

KeyInfo classify(std::string_view k) {
  const std::size_t n = k.size();
  if (n == 20 && k == "__REALTIME_TIMESTAMP") return {Key::kOuterTs};
  if (n < 2 || n > 16) return {};
  const KeyWords key = words_of(k.data(), n);
  auto is = [&](KeyWords w) { return key.head == w.head && key.tail == w.tail; };
  switch (n) {
    case 2:
      if (is(key_words("ts"))) return {Key::kTs};
      if (is(key_words("fn"))) return str(Field::kFn);
      if (is(key_words("ip"))) return str(Field::kIp);
      if (is(key_words("ua"))) return str(Field::kUa);
      break;
    case 5:
      if (is(key_words("level"))) return str(Field::kLevel);
      break;
    case 6:
      if (is(key_words("status"))) return str(Field::kStatus);
      if (is(key_words("amount"))) return {Key::kAmount};
      break;
    case 7:
      if (is(key_words("user_id"))) return str(Field::kUserId);
      if (is(key_words("MESSAGE"))) return {Key::kMessage};
      break;
    case 8:
      if (is(key_words("order_id"))) return str(Field::kOrderId);
      if (is(key_words("replayed"))) return {Key::kReplayed};
      if (is(key_words("metadata"))) return {Key::kMetadata};
      break;
    case 9:
      if (is(key_words("course_id"))) return str(Field::kCourseId);
      if (is(key_words("toss_code"))) return str(Field::kTossCode);
      if (is(key_words("timestamp"))) return {Key::kOuterTs};
      break;
    case 10:
      if (is(key_words("request_id"))) return str(Field::kRequestId);
      if (is(key_words("error_code"))) return str(Field::kErrorCode);
      if (is(key_words("latency_ms"))) return {Key::kLatency};
      if (is(key_words("toss_tries"))) return {Key::kOtherInt};
      break;
    case 11:
      if (is(key_words("payment_key"))) return str(Field::kPaymentKey);
      if (is(key_words("coupon_code"))) return str(Field::kCouponCode);
      if (is(key_words("http_status"))) return {Key::kHttpStatus};
      break;
    case 12:
      if (is(key_words("error_detail"))) return str(Field::kErrorDetail);
      break;
    case 13:
      if (is(key_words("event_message"))) return {Key::kEventMessage};
      if (is(key_words("function_name"))) return {Key::kFunctionName};
      break;
    case 15:
      if (is(key_words("expected_amount"))) return {Key::kExpectedAmount};
      if (is(key_words("toss_latency_ms"))) return {Key::kTossLatency};
      break;
    case 16:
      if (is(key_words("toss_http_status"))) return {Key::kTossHttpStatus};
      break;
    default:
      break;
  }
  return {};
}

}  // namespace detail

std::string_view field_name(Field f) { return kFieldNames[static_cast<std::size_t>(f)]; }

std::optional<Field> parse_field(std::string_view name) {
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

}  // namespace payedge::logs
