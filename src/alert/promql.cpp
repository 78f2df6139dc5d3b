#include "alert/promql.h"

#include <fmt/format.h>

namespace payedge::alert::promql {

std::string confirms(const std::string& matcher, const std::string& range,
                     const std::string& offset) {
  return fmt::format("sum(increase(payedge_requests_total{{fn=\"confirm-payment\"{}}}[{}]{}))",
                     matcher, range, offset.empty() ? "" : " offset " + offset);
}

std::string server_error_ratio(const std::string& range) {
  return fmt::format("({} / clamp_min({} + {}, 1))", confirms(kBadConfirms, range),
                     confirms(kGoodConfirms, range), confirms(kBadConfirms, range));
}

std::string valid_confirms(const std::string& range) {
  return confirms(kGoodConfirms, range) + " + " + confirms(kBadConfirms, range);
}

std::string toss_failures(const std::string& range) {
  return confirms(",error_code=\"TOSS_API_ERROR\"", range);
}

std::string webhooks(const std::string& range) {
  return fmt::format("sum(increase(payedge_requests_total{{fn=\"toss-webhook\"}}[{}]))", range);
}

std::string webhooks_invalid_sig(const std::string& range) {
  // The refusals of all three kinds, including refetch_mismatch, which the processor finds after
  // the request was answered 200 (so payedge_requests_total never sees it), as the in-process
  // engine counts them.
  return fmt::format("sum(increase(payedge_webhook_events_total{{reason=~\"{}\"}}[{}]))",
                     "signature|deposit_secret|refetch_mismatch", range);
}

std::string confirm_latency_p95(const std::string& range) {
  return fmt::format(
      "histogram_quantile(0.95, sum by (le) (rate(payedge_request_duration_seconds_bucket"
      "{{fn=\"confirm-payment\"}}[{}])))",
      range);
}

std::string mismatches(const std::string& range) {
  return confirms(",error_code=\"E_AMOUNT_MISMATCH\"", range);
}

std::string mismatch_ratio(const std::string& range) {
  return fmt::format("({} / clamp_min({}, 1))", mismatches(range), confirms("", range));
}

std::string mismatch_users() { return "max(payedge_amount_mismatch_users)"; }

std::string confirm_rate_by_outcome(const std::string& range) {
  return fmt::format("sum by (outcome) (rate(payedge_confirms_total[{}]))", range);
}

std::string toss_call_rate_by_outcome(const std::string& range) {
  return fmt::format("sum by (outcome) (rate(payedge_toss_calls_total[{}]))", range);
}

std::string toss_answer_rate_by_class(const std::string& range) {
  return fmt::format("sum by (class) (rate(payedge_toss_answers_total[{}]))", range);
}

std::string webhook_rate_by_reason(const std::string& range) {
  return fmt::format("sum by (reason) (rate(payedge_webhook_events_total[{}]))", range);
}

std::string reconciler_actions(const std::string& range) {
  return fmt::format("sum by (action) (increase(payedge_reconciler_actions_total[{}]))", range);
}

}  // namespace payedge::alert::promql
