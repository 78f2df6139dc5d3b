// The PromQL of payedge's metrics in one place: `rules export --format prometheus` and
// `dashboards export --format grafana` build their expressions from these, so an alert and the
// panel an on-call opens for it always compute the same number.
#pragma once

#include <string>

namespace payedge::alert::promql {

// Confirm-payment requests (payedge_requests_total) matching `matcher` (",label=\"v\"…"),
// summed over `range`, optionally ending `offset` ago.
std::string confirms(const std::string& matcher, const std::string& range,
                     const std::string& offset = "");

// The success SLO's bad and good confirms (slo/slo_class.h): the 5xx codes are bad, successes
// good, the client's own errors left out.
inline const std::string kBadConfirms =
    ",error_code=~\"TOSS_API_ERROR|E_INTERNAL|E_PAYMENTS_DISABLED\"";
inline const std::string kGoodConfirms = ",status=\"success\"";

// bad / (good + bad): the server-side error ratio, which the burn rates divide by the budget.
std::string server_error_ratio(const std::string& range);
// good + bad over `range`: the valid confirms.
std::string valid_confirms(const std::string& range);
// Confirms that ended in TOSS_API_ERROR (Toss 5xx or timeouts after the retries).
std::string toss_failures(const std::string& range);
// Webhook requests, all and with a bad signature.
std::string webhooks(const std::string& range);
std::string webhooks_invalid_sig(const std::string& range);
// p95 confirm latency in seconds.
std::string confirm_latency_p95(const std::string& range);
// E_AMOUNT_MISMATCH among confirms, the count and the ratio.
std::string mismatches(const std::string& range);
std::string mismatch_ratio(const std::string& range);
// Distinct users with a mismatch in the rule's window (payedge_amount_mismatch_users, counted in
// process). `max` over instances: one account spread over several instances is still one user
// on each, so it can never add up to mismatch_min_users.
std::string mismatch_users();

// Only on the dashboard (the metrics of payedge_confirms_total and friends).
std::string confirm_rate_by_outcome(const std::string& range);
std::string toss_call_rate_by_outcome(const std::string& range);
std::string toss_answer_rate_by_class(const std::string& range);
std::string webhook_rate_by_reason(const std::string& range);
std::string reconciler_actions(const std::string& range);

}  // namespace payedge::alert::promql
