// What a webhook body says, as pure functions: which Toss event it is, the claims it makes,
// and whether Toss's own record of the payment contradicts those claims. Nothing here is
// trusted: a payment webhook is believed only after the payment is fetched from Toss.
// Shapes: https://docs.tosspayments.com/guides/webhook (body `{eventType, createdAt, data}`),
// https://docs.tosspayments.com/reference/using-api/webhook-events (DEPOSIT_CALLBACK
// `{createdAt, secret, status, transactionKey, orderId}`, no eventType).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/catalog.h"
#include "core/error.h"
#include "toss/toss_payment.h"

namespace payedge {

enum class WebhookKind {
  kPaymentStatusChanged,  // unsigned; authenticated by re-fetching the payment
  kDepositCallback,       // unsigned; authenticated by the virtual account's secret
  kOther,                 // payout.changed, seller.changed, types we do not act on
};

inline constexpr size_t kMaxWebhookPaymentKey = 200;  // as the confirm's paymentKey (SPEC 4)

// The claims of one event. `secret` is the DEPOSIT_CALLBACK's; it is never logged or stored.
struct WebhookClaims {
  WebhookKind kind = WebhookKind::kOther;
  std::string event_type;
  std::string payment_key;
  std::string order_id;
  std::string status;
  std::optional<Krw> total_amount;
  std::string secret;
  bool has_secret = false;
};

// E_INVALID_REQUEST (detail says what) when the body is not a Toss event: not a JSON object,
// neither an `eventType` nor the DEPOSIT_CALLBACK shape, a field of the wrong type, a
// paymentKey over 200 characters, or a PAYMENT_STATUS_CHANGED without a paymentKey.
Result<WebhookClaims> parse_webhook_body(std::string_view body);

// The body as it is kept in webhook_events: a DEPOSIT_CALLBACK's secret replaced.
std::string redact_webhook_body(std::string_view body);

// Whether Toss's record (the fetched Payment object) contradicts the event's claims: a
// different orderId or totalAmount, or a claimed status that Toss's status cannot have come
// from (a stale but genuine event, e.g. DONE for a payment since CANCELED, is no
// contradiction). The reason, or nullopt.
std::optional<std::string> refetch_contradiction(const WebhookClaims& claims,
                                                 const TossPayment& toss_payment);

// Whether a payment in status `from` can later be in status `to` at Toss.
bool toss_status_reachable(std::string_view from, std::string_view to);

// Constant time over the contents and the length (both sides are hashed first, then
// compared with CRYPTO_memcmp).
bool deposit_secret_matches(std::string_view sent, std::string_view stored);

}  // namespace payedge
