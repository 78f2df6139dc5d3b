// Whether a lease holds (what --dry-run predicts of the store's claim) and the in-process count
// of users behind amount mismatches that the exported Prometheus rule reads.
#include <gtest/gtest.h>

#include "confirm/reconciler.h"
#include "obs/line_metrics.h"

namespace payedge {
namespace {

constexpr EpochMs kT = 1'800'000'000'000;

ConfirmAttempt held_by(const std::string& owner, EpochMs lease_until) {
  ConfirmAttempt a;
  a.payment_key = "k";
  a.owner = owner;
  a.lease_until = lease_until;
  return a;
}

InstanceRecord instance(const std::string& id, EpochMs alive_until,
                        std::optional<EpochMs> stopped_at = std::nullopt) {
  InstanceRecord i;
  i.instance_id = id;
  i.alive_until = alive_until;
  i.stopped_at = stopped_at;
  return i;
}

TEST(LeaseFree, ALiveOwnerKeepsItsLeaseADeadOneDoesNot) {
  const std::vector<InstanceRecord> instances = {instance("live", kT + 5'000),
                                                 instance("stale", kT - 1),
                                                 instance("stopped", kT + 5'000, kT - 10)};
  EXPECT_FALSE(lease_free(held_by("live", kT + 30'000), instances, kT));
  EXPECT_TRUE(lease_free(held_by("stale", kT + 30'000), instances, kT));
  EXPECT_TRUE(lease_free(held_by("stopped", kT + 30'000), instances, kT));
  EXPECT_TRUE(lease_free(held_by("pruned", kT + 30'000), instances, kT));
  // No owner (a command, or an older build): the lease alone decides.
  EXPECT_FALSE(lease_free(held_by("", kT + 1), instances, kT));
  EXPECT_TRUE(lease_free(held_by("", kT), instances, kT));
  // A run-out lease is free whoever held it.
  EXPECT_TRUE(lease_free(held_by("live", kT - 1), instances, kT));
}

RequestLog mismatch(const std::string& user, EpochMs ts) {
  RequestLog l;
  l.fn = "confirm-payment";
  l.success = false;
  l.error_code = "E_AMOUNT_MISMATCH";
  l.user_id = user;
  l.ts = ts;
  return l;
}

TEST(MismatchUsers, CountsDistinctUsersInsideTheWindow) {
  LineMetrics m;
  m.set_mismatch_window(600'000);
  for (int i = 0; i < 10; ++i) m.observe(mismatch("attacker", kT + i * 250));  // one account
  EXPECT_EQ(m.mismatch_users(kT + 5'000), 1u);
  for (int u = 0; u < 6; ++u) m.observe(mismatch("buyer-" + std::to_string(u), kT + 60'000));
  EXPECT_EQ(m.mismatch_users(kT + 60'000), 7u);
  // The attacker's last mismatch leaves the window first, then the buyers'.
  EXPECT_EQ(m.mismatch_users(kT + 600'000 + 3'000), 6u);
  EXPECT_EQ(m.mismatch_users(kT + 660'001), 0u);
  // Successes and other errors are not mismatches.
  RequestLog other = mismatch("someone", kT + 700'000);
  other.error_code = "E_COUPON_INVALID";
  m.observe(other);
  EXPECT_EQ(m.mismatch_users(kT + 700'000), 0u);
}

TEST(MismatchUsers, IsBoundedAndSaysAtLeastTheBound) {
  LineMetrics m;
  m.set_mismatch_window(600'000);
  const auto cap = static_cast<int>(LineMetrics::kMaxMismatchUsers);
  for (int u = 0; u < cap + 500; ++u) m.observe(mismatch("u" + std::to_string(u), kT));
  EXPECT_EQ(m.mismatch_users(kT), LineMetrics::kMaxMismatchUsers);
  // Once they left the window there is room again.
  m.observe(mismatch("late", kT + 700'000));
  EXPECT_EQ(m.mismatch_users(kT + 700'000), 1u);
  EXPECT_NE(m.render().find("# TYPE payedge_amount_mismatch_users gauge"), std::string::npos);
}

}  // namespace
}  // namespace payedge
