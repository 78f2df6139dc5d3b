// The Store on SQL: every query and transaction of payedge, once, over a pool of
// SqlConnections — SQLite (the embedded default: one file, WAL, synchronous=FULL, writes in
// BEGIN IMMEDIATE) or PostgreSQL (several instances on one database).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include "store/group_commit.h"
#include "store/sql.h"
#include "store/store.h"

namespace payedge {

class SqlStore final : public Store {
 public:
  SqlStore(SqlDialect dialect, std::vector<std::unique_ptr<SqlConnection>> connections);

  Status migrate() override;
  Status check_schema() override;
  Result<int> schema_version() override;
  Status check_schema_compatible() override;
  Status ping() override;
  Status register_instance(const InstanceRecord& self, EpochMs stale_after_ms) override;
  Status deregister_instance(EpochMs now) override;
  Result<std::vector<InstanceRecord>> list_instances() override;
  Result<std::optional<Course>> find_course(const std::string& id) override;
  Result<std::optional<Coupon>> find_coupon(const std::string& code) override;
  Status upsert_course(const Course& course) override;
  Status upsert_coupon(const Coupon& coupon) override;
  Status apply_catalog(const std::vector<Course>& courses, const std::vector<Coupon>& coupons,
                       const std::optional<AuditEntry>& audit) override;
  Result<std::vector<Course>> list_courses() override;
  Result<std::optional<Flag>> find_flag(const std::string& name) override;
  Status set_flag(const Flag& flag, const AuditEntry& audit) override;
  Status set_course_active(const std::string& id, bool active, const AuditEntry& audit) override;
  Result<std::optional<ConfirmAttempt>> find_attempt(const std::string& payment_key) override;
  Result<std::optional<ConfirmAttempt>> find_attempt_by_order(const std::string& order_id) override;
  Result<ConfirmContext> confirm_context(const std::string& payment_key,
                                         const std::string& order_id, const std::string& course_id,
                                         const std::optional<std::string>& coupon_code) override;
  Result<bool> has_active_enrollment(const std::string& user_id,
                                     const std::string& course_id) override;
  Result<BeginResult> begin_attempt(const ConfirmAttempt& attempt) override;
  Result<bool> claim_attempt(const std::string& payment_key, EpochMs now, EpochMs lease_until,
                             bool break_lease) override;
  Status release_attempt(const std::string& payment_key, int toss_calls) override;
  Status complete_attempt(const std::string& payment_key, const Payment& payment, int http_status,
                          const std::string& response, EpochMs now, int toss_calls) override;
  Status fail_attempt(const std::string& payment_key, const std::string& error_code,
                      int http_status, const std::string& response, EpochMs now,
                      int toss_calls) override;
  Result<std::optional<Payment>> find_payment(const std::string& payment_key) override;
  Result<std::optional<Payment>> find_payment_by_order(const std::string& order_id) override;
  Result<std::optional<Enrollment>> find_enrollment(const std::string& payment_key) override;
  Result<InjectOutcome> inject_payment(const Payment& payment, EpochMs now,
                                       const AuditEntry& audit) override;
  Result<bool> forced_injection(const std::string& payment_key) override;
  Status append_audit(const AuditEntry& entry, EpochMs now) override;
  Result<std::vector<AuditRow>> list_audit(int limit) override;
  Status record_alert(const AlertRow& row) override;
  Result<std::vector<AlertRow>> list_alerts(EpochMs since, int limit) override;
  Result<std::vector<AuditRow>> audit_between(EpochMs since, EpochMs until, int limit) override;
  Result<StoreCounts> counts() override;
  Result<std::vector<ConfirmAttempt>> list_attempts(AttemptState state, EpochMs updated_before,
                                                    int limit) override;
  Result<std::vector<ConfirmAttempt>> list_orphaned_attempts(EpochMs now, int limit) override;
  Result<std::vector<Payment>> list_payments(int limit) override;
  Result<std::vector<Violation>> local_violations() override;
  Result<WebhookInsert> insert_webhook_event(const WebhookEvent& event) override;
  Result<std::vector<WebhookEvent>> due_webhook_events(EpochMs now, int limit) override;
  Result<bool> claim_webhook_event(const std::string& id, EpochMs now,
                                   EpochMs lease_until) override;
  Status finish_webhook_event(const std::string& id, WebhookState state, const std::string& outcome,
                              EpochMs now) override;
  Status retry_webhook_event(const std::string& id, const std::string& outcome,
                             EpochMs next_attempt_at) override;
  Result<bool> record_partial_cancel(const std::string& payment_key, Krw balance_amount,
                                     EpochMs now, const AuditEntry& audit) override;
  Result<bool> cancel_payment(const std::string& payment_key, const std::string& status,
                              EpochMs now, const AuditEntry& audit) override;
  Result<int> advance_attempt_key(const std::string& payment_key) override;
  Result<bool> settle_deposit(const std::string& payment_key, const std::string& approved_at,
                              EpochMs now, const AuditEntry& audit) override;
  Result<bool> close_deposit(const std::string& payment_key, const std::string& status, EpochMs now,
                             const AuditEntry& audit) override;
  Result<std::vector<Payment>> list_waiting_deposits(int limit) override;
  Result<std::vector<StoredSecret>> webhook_secrets(int limit) override;
  Status add_webhook_secret(const std::string& secret, EpochMs now, EpochMs previous_retire_at,
                            const AuditEntry& audit) override;

  // The group commit that every write goes through (its statistics; tests set its hooks).
  GroupCommit& group_commit() { return group_; }
  CommitStats commit_stats() const override { return group_.stats(); }

 private:
  class Lease;
  Result<BeginResult> begin_attempt_once(const ConfirmAttempt& attempt);
  // `current` newer than this binary's schema: refused unless every newer migration is expand.
  Status check_newer_schema(SqlConnection& c, int current);
  Lease acquire();
  void give_back(std::unique_ptr<SqlConnection> conn);
  // One write transaction of `body(connection)`, group-committed with concurrent writes.
  template <class F>
  auto write(F&& body) -> std::invoke_result_t<F&, SqlConnection&>;

  std::mutex mu_;
  std::condition_variable cv_;
  SqlDialect dialect_;
  std::vector<std::unique_ptr<SqlConnection>> idle_;
  GroupCommit group_;
  // The instance this store speaks for (register_instance); owner of what it begins or claims.
  std::mutex self_mu_;
  std::optional<InstanceRecord> self_;
  EpochMs stale_after_ms_ = 15'000;
  std::string owner_id();
};

}  // namespace payedge
