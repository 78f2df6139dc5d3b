#include "ops/affected.h"

#include "obs/mask.h"

namespace payedge {
namespace {
constexpr int kMaxRows = 1'000'000;
}

Result<std::vector<AffectedCustomer>> affected_customers(Store& store, EpochMs since,
                                                         EpochMs until) {
  auto payments = store.list_payments(kMaxRows);  // oldest first
  if (!payments) return std::unexpected(payments.error());
  std::vector<AffectedCustomer> out;
  for (const Payment& p : *payments) {
    // Recorded by the confirm the buyer waited on: the buyer saw the success.
    if (p.source != "reconcile" && p.source != "webhook") continue;
    const auto approved = parse_rfc3339(p.approved_at);
    if (!approved || *approved < since || *approved >= until) continue;
    out.push_back({mask_field("user_id", p.user_id), p.order_id, mask_payment_key(p.provider_tx_id),
                   p.course_id, p.amount, p.approved_at, p.source, p.status});
  }
  return out;
}

nlohmann::ordered_json affected_json(const std::vector<AffectedCustomer>& rows) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& r : rows) {
    list.push_back({{"user_id", r.user_id},
                    {"order_id", r.order_id},
                    {"payment_key", r.payment_key},
                    {"course_id", r.course_id},
                    {"amount", r.amount},
                    {"approved_at", r.approved_at},
                    {"source", r.source},
                    {"status", r.status}});
  }
  return {{"count", rows.size()}, {"customers", list}};
}

}  // namespace payedge
