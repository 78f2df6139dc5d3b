// Runbook 4.1 steps 1–3 for one E_AMOUNT_MISMATCH line: the front end's amount against
// the price rule (core/price) recomputed from today's catalogue, and a one-line guess why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/catalog.h"
#include "core/price.h"
#include "logs/record.h"

namespace payedge::logs {

struct MismatchLine {
  EpochMs ts = 0;
  std::string request_id, order_id, user_id, course_id;
  std::optional<std::string> coupon_code;
  std::optional<std::int64_t> amount;           // what the front end sent
  std::optional<std::int64_t> expected_amount;  // what the service computed then
  RecordPosition pos;
};

struct MismatchExplanation {
  bool course_found = false;
  PriceQuote at_request;  // today's catalogue, priced at the request's time
  PriceQuote now;         // today's catalogue, priced now
  std::string reason;     // one line
  std::string reason_ko;  // the same in Korean (the runbook's language; the CLI's default)
};

// `course` and `coupon` as the store holds them today (nullopt: not found).
MismatchExplanation explain_mismatch(const MismatchLine& line, const std::optional<Course>& course,
                                     const std::optional<Coupon>& coupon, EpochMs now);

// "3m", "2h 5m", "4d 1h": how long before.
std::string format_span(EpochMs ms);

}  // namespace payedge::logs
