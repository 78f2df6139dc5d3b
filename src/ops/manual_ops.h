// The runbook's manual operations (section 5) as audited, all-or-nothing steps:
// `ops enrollment cancel` (in sync with the payment cancel at Toss) and `ops payment inject`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/time.h"
#include "net/asio.h"
#include "store/store.h"
#include "toss/toss_client.h"

namespace payedge {

// What a manual operation did or would do. `error` set ⇒ refused or failed (exit 1), and
// nothing was changed anywhere.
struct ManualOpResult {
  std::string action;   // "enrollment.cancel" | "payment.inject"
  std::string outcome;  // e.g. "canceled", "enrollment_only", "local_only", "injected", "refused"
  std::string message;  // one line for the operator (English; JSON's "message")
  std::string message_ko;  // the same line in Korean (empty: a refusal, said by its error)
  const std::string& text(bool english) const {
    return english || message_ko.empty() ? message : message_ko;
  }
  std::optional<Error> error;
  nlohmann::json details = nlohmann::json::object();  // what was seen at Toss and in the store
  nlohmann::json to_json() const;
};

// What an operator may write into flags and audit_log, from the CLI as from the admin API:
// a reason that is not blank, an actor and banner that are short and free of control
// characters, and only the flags payedge reads. Errors name the argument.
inline constexpr size_t kMaxReasonBytes = 500;
inline constexpr size_t kMaxActorBytes = 64;
inline constexpr size_t kMaxBannerBytes = 300;
Status check_reason(std::string_view reason);
Status check_actor(std::string_view actor);
// payments_enabled: on|off; payment_banner: text (empty clears it). Anything else is refused.
Status check_flag_value(std::string_view name, std::string_view value);

struct ManualOpContext {
  asio::thread_pool& pool;
  Store& store;
  TossClient& toss;
  const Clock& clock;
};

struct EnrollmentCancelRequest {
  std::string order_id;
  std::string actor;
  std::string reason;
  bool dry_run = false;
  // A partial refund of this many KRW (Toss's cancelAmount): the enrollment stays. Unset: the
  // whole payment is cancelled.
  std::optional<Krw> amount;
};

// Cancels at Toss first (an answer "already canceled" counts once a re-fetch shows CANCELED),
// then, in one store transaction, the payment CANCELED, its enrollment CANCELLED and the audit
// entry. Toss refusing or unreachable ⇒ nothing changes (the money is still taken, so the
// enrollment stays). A payment already CANCELED with an ACTIVE enrollment left behind gets its
// enrollment cancelled alone; a payment injected with --force (no payment at Toss) is
// cancelled locally only.
// With `amount`, refunds that part only (Toss PARTIAL_CANCELED): payment PARTIAL_CANCELED with
// Toss's balanceAmount, the enrollment kept; an amount equal to what is left is a full cancel.
awaitable<ManualOpResult> cancel_enrollment(ManualOpContext ctx, EnrollmentCancelRequest req);

struct PaymentInjectRequest {
  std::string payment_key;
  std::string order_id;
  std::string user_id;
  std::string course_id;
  Krw amount = 0;
  std::optional<std::string> coupon_code;
  bool force = false;  // skip the Toss check (Toss unreachable, or paid outside Toss)
  std::string actor;
  std::string reason;
  bool dry_run = false;
};

// Records a payment Toss has DONE for this order and amount (or, with `force`, one Toss cannot
// confirm) as a `manual` payment with an ACTIVE enrollment and the audit entry, in one
// transaction. Never a second row for a paymentKey or order id, never over an ACTIVE
// enrollment, never under a confirm attempt still open (the reconciler owns those).
awaitable<ManualOpResult> inject_payment(ManualOpContext ctx, PaymentInjectRequest req);

}  // namespace payedge
