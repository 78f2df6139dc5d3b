// `ops verify`: cross-checks the store against Toss and lists every broken invariant of
// SPEC section 2 that can be seen from outside Toss. Toss is asked about many payments at once
// (bounded), and the report comes out in the store's order whatever order the answers came in.
// With a window, Toss's transaction list for it is read too, so a payment DONE at Toss that
// never reached our store is found.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "net/asio.h"
#include "store/store.h"
#include "toss/toss_client.h"

namespace payedge {

struct VerifyOptions {
  int concurrency = 16;  // Toss requests in flight at once (at least 1)
  // Set: only payments approved in [since, until) are checked one by one (and every open or
  // failed attempt), and Toss's transaction list for the window is read for payments DONE at
  // Toss but absent here (`missing_locally`).
  std::optional<EpochMs> since, until;
};

// One finding: `kind` is a code (the same in every language), `detail` English (JSON),
// `detail_ko` its Korean (empty: the detail carries only data, e.g. a store check's).
struct VerifyFinding {
  std::string kind;
  std::string payment_key;
  std::string detail;
  std::string detail_ko;
  const std::string& text(bool english) const {
    return english || detail_ko.empty() ? detail : detail_ko;
  }
};

struct VerifyReport {
  int checked = 0;
  std::vector<VerifyFinding> violations;
  // Rows SPEC section 2 allows without a DONE payment at Toss: payments injected with --force.
  std::vector<VerifyFinding> allowed;
  // Windowed runs: the window and how many transactions Toss listed for it.
  std::optional<EpochMs> since, until;
  int toss_transactions = 0;
  nlohmann::json to_json() const;
};

awaitable<VerifyReport> verify_against_toss(asio::thread_pool& pool, Store& store, TossClient& toss,
                                            VerifyOptions options = {});

// Toss's transaction list for [since, until) (GET /v1/transactions, paged with startingAfter):
// the transactions as Toss's JSON objects, or an error naming Toss's answer.
awaitable<Result<std::vector<nlohmann::json>>> list_toss_transactions(TossClient& toss,
                                                                      EpochMs since, EpochMs until);

}  // namespace payedge
