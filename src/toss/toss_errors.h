// Toss's answers in three classes (SPEC section 5), as one table: what payedge does with each
// error code Toss documents for the confirm API, and the HTTP status Toss sends it with. The
// table is mirrored in docs/error-codes.md (a test keeps them equal) and the simulator answers
// injected codes with these statuses.
// Source: https://docs.tosspayments.com/reference/error-codes (결제 승인).
#pragma once

#include <span>
#include <string_view>

namespace payedge {

enum class TossAnswerClass {
  // Not a verdict on the payment: retried within the deadline (after a re-fetch of the
  // payment), then TOSS_API_ERROR (retryable) with the attempt left open.
  kTransient,
  // Toss refused the buyer's payment: E_TOSS_REJECTED with tossCode, stored.
  kBuyerRejection,
  // Our keys or request are wrong: TOSS_API_ERROR (retryable), the attempt left open, never
  // stored as the buyer's failure, and the toss_auth_failure alert fires.
  kMerchantMisconfiguration,
};
std::string_view to_string(TossAnswerClass c);  // transient | buyer | merchant

struct TossErrorEntry {
  std::string_view code;
  int http_status;
  TossAnswerClass answer_class;
};

// Every code payedge knows, in the order of docs/error-codes.md.
std::span<const TossErrorEntry> toss_error_table();

// The class of a code: from the table; FAILED_*_PROCESSING and any unknown code are transient.
TossAnswerClass classify_toss_code(std::string_view code);
// The class of a whole answer: no answer, 5xx and 429 are transient whatever the code; 401
// without a code is a merchant problem; otherwise the code decides.
TossAnswerClass classify_toss_answer(int http_status, std::string_view code);
bool is_toss_merchant_code(std::string_view code);

// The HTTP status Toss sends `code` with (400 for a code not in the table).
int toss_http_status_for(std::string_view code);

}  // namespace payedge
