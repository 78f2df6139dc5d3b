// `ops verify`: cross-checks the store against Toss and lists every broken invariant of
// SPEC section 2 that can be seen from outside Toss.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "net/asio.h"
#include "store/store.h"
#include "toss/toss_client.h"

namespace payedge {

struct VerifyReport {
  int checked = 0;
  std::vector<Violation> violations;
  // Rows SPEC section 2 allows without a DONE payment at Toss: payments injected with --force.
  std::vector<Violation> allowed;
  nlohmann::json to_json() const;
};

awaitable<VerifyReport> verify_against_toss(asio::thread_pool& pool, Store& store,
                                            TossClient& toss);

}  // namespace payedge
