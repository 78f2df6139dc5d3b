// `payedge incident new`: a postmortem draft in the runbook's template (section 8, Korean
// headings), filled from what the machine knows about the incident window — the alerts and
// the audit log (timeline, actions taken) and the logs (impact, error codes, latency) — with
// the parts only people can write (RCA, action items) left as marked gaps.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "logs/aggregates.h"
#include "logs/scanner.h"
#include "logs/timezone.h"
#include "store/store.h"

namespace payedge::incident {

// One slice of the window for the charts (confirm-payment lines).
struct ImpactBin {
  std::uint64_t good = 0, failed = 0, client = 0;  // as the success SLO counts them
  std::uint64_t toss_5xx = 0;                      // lines whose Toss call answered 5xx
  logs::LatencySummary latency;                    // successful confirms' latency_ms
};

// What the logs say about the window (confirm-payment lines unless said otherwise).
struct Impact {
  std::uint64_t lines = 0;       // every log line in the window
  std::uint64_t confirms = 0;    // confirm-payment lines
  std::uint64_t errors = 0;      // of those, status error
  std::uint64_t failed = 0;      // ... failed on our side or Toss's (the SLO's "bad")
  std::uint64_t mismatches = 0;  // E_AMOUNT_MISMATCH
  std::uint64_t users_hit = 0;   // distinct users with an error
  // Impact by final state. An order that failed on our side or Toss's in the window and was
  // paid afterwards (a retry, the reconciler, a webhook) is not lost: `orders_failed` and
  // `amount_failed` are the orders that failed and were never paid — no success line in the
  // logs (after the window too) and, with a store, no payment row.
  std::uint64_t orders_failed = 0;       // failed and never paid
  std::int64_t amount_failed = 0;        // KRW of those orders (each counted once)
  std::uint64_t orders_failed_paid = 0;  // failed in the window, paid later
  // Purchases a switch refused in the window (E_PAYMENTS_DISABLED, E_COURSE_INACTIVE), by order.
  std::uint64_t orders_blocked = 0;       // ... and never paid
  std::int64_t amount_blocked = 0;        // KRW of those
  std::uint64_t orders_blocked_paid = 0;  // blocked, then paid once the switch was back on
  // The unpaid orders (order id → amount) a store may still show as paid (settle_with_store).
  std::map<std::string, std::int64_t> unpaid_failed, unpaid_blocked;
  std::vector<std::pair<std::string, std::uint64_t>> error_codes;  // count descending
  logs::LatencySummary latency;                                    // confirm latency_ms
  std::uint64_t malformed = 0;
  EpochMs bin_ms = 0;           // the width of a chart slice (a round 1 min .. 1 day)
  std::vector<ImpactBin> bins;  // slice i covers [since + i·bin_ms, +bin_ms)
};

// The width of a chart slice for a window: about 60 slices, a round width.
EpochMs chart_bin_ms(EpochMs since, EpochMs until);

// Reads the inputs from `since` on: lines in [since, until) are the window's; a success after
// `until` still tells that an order failed in the window was paid later.
Impact measure(const std::vector<std::string>& inputs, EpochMs since, EpochMs until,
               const logs::ScanOptions& scan);
// Orders the logs show unpaid but the store has a payment for (the reconciler or a webhook
// settled them without a success line) move to "paid later".
Status settle_with_store(Impact& impact, Store& store);

struct PostmortemInput {
  std::string id;  // PM-YYYYMMDD-N
  std::string title;
  EpochMs since = 0, until = 0;
  const logs::TimeZone* tz = nullptr;
  std::optional<Impact> impact;         // no log inputs: nullopt
  std::vector<AlertRow> alerts;         // in the window
  std::vector<AuditRow> audit;          // in the window
  std::vector<std::string> log_inputs;  // for the commands in the appendix
  bool store_read = false;              // alerts/audit came from a store
};

std::string render(const PostmortemInput& in);

// The charts of the window as SVG files beside the postmortem: (file name, SVG), named after
// in.id ("PM-20261126-1-confirms.svg"); render() links the same names. Empty without logs.
std::vector<std::pair<std::string, std::string>> charts(const PostmortemInput& in);

// The next free "PM-YYYYMMDD-N" in `dir` for the local day of `now`.
std::string next_id(const std::string& dir, EpochMs now, const logs::TimeZone& tz);

}  // namespace payedge::incident
