// `ops customers affected --since --until`: the buyers who saw a failed (or unanswered) confirm
// but were charged afterwards — their payment was settled in the background by the reconciler or
// a Toss webhook, not by the confirm they were waiting on — for a support message. Masked.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/time.h"
#include "store/store.h"

namespace payedge {

struct AffectedCustomer {
  std::string user_id;  // masked as the log masks it (SPEC 11)
  std::string order_id;
  std::string payment_key;  // masked: first 4 and last 4
  std::string course_id;
  Krw amount = 0;
  std::string approved_at;  // as Toss reported it
  std::string source;       // reconcile | webhook
  std::string status;       // the payment's status now (DONE, CANCELED, ...)
};

// Payments approved in [since, until) that a background path recorded, oldest first.
Result<std::vector<AffectedCustomer>> affected_customers(Store& store, EpochMs since,
                                                         EpochMs until);

nlohmann::ordered_json affected_json(const std::vector<AffectedCustomer>& rows);

}  // namespace payedge
