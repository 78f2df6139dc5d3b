#include "core/error.h"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace payedge {
namespace {

constexpr std::array<ErrorInfo, 16> kErrors{{
    {ErrorCode::kInvalidRequest, "E_INVALID_REQUEST", 400, false, "요청 형식이 올바르지 않습니다",
     "The request is malformed"},
    {ErrorCode::kPayloadTooLarge, "E_PAYLOAD_TOO_LARGE", 413, false, "요청 본문이 너무 큽니다",
     "The request body is too large"},
    {ErrorCode::kUnauthorized, "E_UNAUTHORIZED", 401, false,
     "인증이 필요합니다. 다시 로그인해 주세요", "Authentication required; please sign in again"},
    {ErrorCode::kCourseNotFound, "E_COURSE_NOT_FOUND", 404, false, "강의를 찾을 수 없습니다",
     "Course not found"},
    {ErrorCode::kCourseInactive, "E_COURSE_INACTIVE", 409, false, "현재 판매 중이 아닌 강의입니다",
     "This course is not on sale right now"},
    {ErrorCode::kPaymentsDisabled, "E_PAYMENTS_DISABLED", 503, true,
     "결제가 일시적으로 중단되었습니다. 잠시 후 다시 시도해 주세요",
     "Payments are paused for now; please try again later"},
    {ErrorCode::kCouponInvalid, "E_COUPON_INVALID", 400, false, "사용할 수 없는 쿠폰입니다",
     "The coupon cannot be used"},
    {ErrorCode::kAmountMismatch, "E_AMOUNT_MISMATCH", 400, false,
     "결제 금액이 주문 금액과 일치하지 않습니다", "The amount does not match the order price"},
    {ErrorCode::kAlreadyEnrolled, "E_ALREADY_ENROLLED", 409, false, "이미 수강 중인 강의입니다",
     "You are already enrolled in this course"},
    {ErrorCode::kIdempotencyConflict, "E_IDEMPOTENCY_CONFLICT", 409, false,
     "같은 결제에 대한 요청이 이미 처리 중이거나 내용이 다릅니다",
     "Another request for this payment is in progress or differs"},
    {ErrorCode::kTossRejected, "E_TOSS_REJECTED", 402, false, "결제가 승인되지 않았습니다",
     "The payment was not approved"},
    {ErrorCode::kTossApiError, "TOSS_API_ERROR", 502, true,
     "결제사 응답이 지연되고 있습니다. 잠시 후 다시 시도해 주세요",
     "The payment provider is not answering; please retry shortly"},
    {ErrorCode::kWebhookInvalidSig, "E_WEBHOOK_INVALID_SIG", 401, false,
     "웹훅 서명이 올바르지 않습니다", "Invalid webhook signature"},
    {ErrorCode::kRateLimited, "E_RATE_LIMITED", 429, true,
     "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요", "Too many requests; please slow down"},
    {ErrorCode::kInternal, "E_INTERNAL", 500, true, "일시적인 오류가 발생했습니다",
     "An internal error occurred"},
    {ErrorCode::kAdminDisabled, "E_ADMIN_DISABLED", 503, false, "관리자 API가 꺼져 있습니다",
     "The admin API is off"},
}};

}  // namespace

std::span<const ErrorInfo> all_error_codes() { return kErrors; }

const ErrorInfo& info(ErrorCode code) {
  const auto& e = kErrors[static_cast<size_t>(code)];
  if (e.code != code) {  // the table is indexed by the enum; a reorder is a bug
    std::fprintf(stderr, "error table out of order\n");
    std::abort();
  }
  return e;
}

std::optional<ErrorCode> parse_error_code(std::string_view name) {
  for (const auto& e : kErrors) {
    if (e.name == name) return e.code;
  }
  return std::nullopt;
}

std::string Error::message(bool english) const {
  const auto& i = info(code);
  std::string m(english ? i.message_en : i.message_ko);
  if (!detail.empty()) {
    m += " (";
    m += detail;
    m += ")";
  }
  return m;
}

Error make_error(ErrorCode code, std::string detail) {
  Error e;
  e.code = code;
  e.detail = std::move(detail);
  e.retryable = info(code).retryable;
  return e;
}

}  // namespace payedge
