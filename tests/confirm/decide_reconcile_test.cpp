// The reconciler's decision (decide_reconcile): what an open confirm attempt becomes, given
// Toss's answer to GET /v1/payments/{paymentKey} (status code and the payment's status).
// Payment statuses: https://docs.tosspayments.com/reference#payment-객체
#include <gtest/gtest.h>

#include "confirm/confirm_service.h"

namespace payedge {
namespace {

struct Case {
  int http_status;
  std::string toss_status;
  ReconcileAction expected;
};

TEST(DecideReconcile, EveryTossAnswerHasOneAction) {
  const std::vector<Case> cases = {
      // Paid: the payment and its ACTIVE enrollment are written.
      {200, "DONE", ReconcileAction::kRecorded},
      // A virtual account issued for our confirm: recorded waiting, enrollment PENDING.
      {200, "WAITING_FOR_DEPOSIT", ReconcileAction::kRecorded},
      // Toss never got (or never finished) our confirm: sent again under the same key.
      {200, "READY", ReconcileAction::kRedriven},
      {200, "IN_PROGRESS", ReconcileAction::kRedriven},
      // Over before we recorded it: nothing to enroll; the attempt fails, the coupon goes back.
      {200, "EXPIRED", ReconcileAction::kFailed},
      {200, "ABORTED", ReconcileAction::kFailed},
      {200, "CANCELED", ReconcileAction::kFailed},
      {200, "PARTIAL_CANCELED", ReconcileAction::kFailed},
      // Toss has no such paymentKey.
      {404, "", ReconcileAction::kFailed},
      {404, "DONE", ReconcileAction::kFailed},
      // No verdict: no answer, a server error, a rate limit, our own key refused.
      {0, "", ReconcileAction::kUnresolved},
      {500, "", ReconcileAction::kUnresolved},
      {503, "DONE", ReconcileAction::kUnresolved},
      {429, "", ReconcileAction::kUnresolved},
      {401, "", ReconcileAction::kUnresolved},
      // A 200 whose status we do not know is not a reason to fail a payment.
      {200, "", ReconcileAction::kUnresolved},
      {200, "SOMETHING_NEW", ReconcileAction::kUnresolved},
      {200, "done", ReconcileAction::kUnresolved},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(decide_reconcile(c.http_status, c.toss_status), c.expected)
        << c.http_status << " " << c.toss_status << " → " << to_string(c.expected);
  }
}

TEST(DecideReconcile, NeverFailsAPaymentOnAnAnswerThatIsNoVerdict) {
  // SPEC 2: a payment is never marked failed on a guess; only 404 or a closed status fail it.
  for (int status : {0, 400, 401, 403, 408, 409, 429, 500, 502, 503, 504}) {
    for (const char* toss : {"", "DONE", "EXPIRED", "CANCELED", "IN_PROGRESS"}) {
      EXPECT_NE(decide_reconcile(status, toss), ReconcileAction::kFailed) << status << " " << toss;
      EXPECT_NE(decide_reconcile(status, toss), ReconcileAction::kRecorded)
          << status << " " << toss;
    }
  }
}

}  // namespace
}  // namespace payedge
