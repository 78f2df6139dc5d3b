#include "toss/toss_errors.h"

#include <array>

namespace payedge {
namespace {

using enum TossAnswerClass;

// Statuses as Toss documents them for POST /v1/payments/confirm.
constexpr std::array<TossErrorEntry, 52> kTable{{
    // transient
    {"PROVIDER_ERROR", 400, kTransient},
    {"CARD_PROCESSING_ERROR", 400, kTransient},
    {"ALREADY_PROCESSED_PAYMENT", 400, kTransient},  // settled by re-fetching the payment
    {"IDEMPOTENT_REQUEST_PROCESSING", 409, kTransient},
    {"FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", 500, kTransient},
    {"FAILED_INTERNAL_SYSTEM_PROCESSING", 500, kTransient},
    {"UNKNOWN_PAYMENT_ERROR", 500, kTransient},
    // merchant misconfiguration
    {"UNAUTHORIZED_KEY", 401, kMerchantMisconfiguration},
    {"INVALID_API_KEY", 400, kMerchantMisconfiguration},
    {"INCORRECT_BASIC_AUTH_FORMAT", 403, kMerchantMisconfiguration},
    {"FORBIDDEN_REQUEST", 403, kMerchantMisconfiguration},
    {"INVALID_IDEMPOTENCY_KEY", 400, kMerchantMisconfiguration},
    // buyer rejections
    {"INVALID_REQUEST", 400, kBuyerRejection},
    {"EXCEED_MAX_CARD_INSTALLMENT_PLAN", 400, kBuyerRejection},
    {"NOT_ALLOWED_POINT_USE", 400, kBuyerRejection},
    {"INVALID_REJECT_CARD", 400, kBuyerRejection},
    {"BELOW_MINIMUM_AMOUNT", 400, kBuyerRejection},
    {"INVALID_CARD_EXPIRATION", 400, kBuyerRejection},
    {"INVALID_STOPPED_CARD", 400, kBuyerRejection},
    {"EXCEED_MAX_DAILY_PAYMENT_COUNT", 400, kBuyerRejection},
    {"NOT_SUPPORTED_INSTALLMENT_PLAN_CARD_OR_MERCHANT", 400, kBuyerRejection},
    {"INVALID_CARD_INSTALLMENT_PLAN", 400, kBuyerRejection},
    {"NOT_SUPPORTED_MONTHLY_INSTALLMENT_PLAN", 400, kBuyerRejection},
    {"EXCEED_MAX_PAYMENT_AMOUNT", 400, kBuyerRejection},
    {"NOT_FOUND_TERMINAL_ID", 400, kBuyerRejection},
    {"INVALID_AUTHORIZE_AUTH", 400, kBuyerRejection},
    {"INVALID_CARD_LOST_OR_STOLEN", 400, kBuyerRejection},
    {"RESTRICTED_TRANSFER_ACCOUNT", 400, kBuyerRejection},
    {"INVALID_CARD_NUMBER", 400, kBuyerRejection},
    {"INVALID_UNREGISTERED_SUBMALL", 400, kBuyerRejection},
    {"NOT_REGISTERED_BUSINESS", 400, kBuyerRejection},
    {"EXCEED_MAX_ONE_DAY_WITHDRAW_AMOUNT", 400, kBuyerRejection},
    {"EXCEED_MAX_ONE_TIME_WITHDRAW_AMOUNT", 400, kBuyerRejection},
    {"EXCEED_MAX_AMOUNT", 400, kBuyerRejection},
    {"INVALID_ACCOUNT_INFO_RE_REGISTER", 400, kBuyerRejection},
    {"NOT_AVAILABLE_PAYMENT", 400, kBuyerRejection},
    {"UNAPPROVED_ORDER_ID", 400, kBuyerRejection},
    {"REJECT_ACCOUNT_PAYMENT", 403, kBuyerRejection},
    {"REJECT_CARD_PAYMENT", 403, kBuyerRejection},
    {"REJECT_CARD_COMPANY", 403, kBuyerRejection},
    {"REJECT_TOSSPAY_INVALID_ACCOUNT", 403, kBuyerRejection},
    {"EXCEED_MAX_AUTH_COUNT", 403, kBuyerRejection},
    {"EXCEED_MAX_ONE_DAY_AMOUNT", 403, kBuyerRejection},
    {"NOT_AVAILABLE_BANK", 403, kBuyerRejection},
    {"INVALID_PASSWORD", 403, kBuyerRejection},
    {"FDS_ERROR", 403, kBuyerRejection},
    {"NOT_FOUND_PAYMENT", 404, kBuyerRejection},
    {"NOT_FOUND_PAYMENT_SESSION", 404, kBuyerRejection},
    // cancel API answers (ops enrollment cancel): the payment cannot be cancelled as asked
    {"ALREADY_CANCELED_PAYMENT", 400, kBuyerRejection},
    {"NOT_CANCELABLE_AMOUNT", 400, kBuyerRejection},
    {"NOT_CANCELABLE_PAYMENT", 403, kBuyerRejection},
    {"DUPLICATED_ORDER_ID", 400, kBuyerRejection},
}};

const TossErrorEntry* find(std::string_view code) {
  for (const auto& e : kTable) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(TossAnswerClass c) {
  switch (c) {
    case kTransient:
      return "transient";
    case kBuyerRejection:
      return "buyer";
    case kMerchantMisconfiguration:
      return "merchant";
  }
  return "transient";
}

std::span<const TossErrorEntry> toss_error_table() { return kTable; }

TossAnswerClass classify_toss_code(std::string_view code) {
  if (const auto* e = find(code)) return e->answer_class;
  return kTransient;  // FAILED_*_PROCESSING and every code we do not know
}

bool is_toss_merchant_code(std::string_view code) {
  const auto* e = find(code);
  return e && e->answer_class == kMerchantMisconfiguration;
}

TossAnswerClass classify_toss_answer(int http_status, std::string_view code) {
  if (http_status == 0 || http_status >= 500 || http_status == 429) return kTransient;
  if (code.empty()) return http_status == 401 ? kMerchantMisconfiguration : kTransient;
  return classify_toss_code(code);
}

int toss_http_status_for(std::string_view code) {
  if (const auto* e = find(code)) return e->http_status;
  return 400;
}

}  // namespace payedge
