// How one confirm counts for the success SLO (runbook section 7), in one place for the SLO
// report and the burn-rate alerts: a success is good; a failure on our side or Toss's (any
// HTTP 5xx, TOSS_API_ERROR, E_INTERNAL, E_PAYMENTS_DISABLED) is bad; the client's own errors
// (bad input, auth, amount mismatch, declined card, conflicts, rate limits) are left out.
#pragma once

#include <string_view>

namespace payedge::slo {

enum class SloClass { kGood, kBad, kExcluded };

SloClass classify_confirm(bool success, int http_status, std::string_view error_code);

}  // namespace payedge::slo
