// The Store interface: every durable read and write payedge makes. Implementations are
// blocking and thread-safe; the server calls them from a small pool, never the I/O thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/catalog.h"
#include "core/error.h"
#include "core/time.h"

namespace payedge {

enum class AttemptState { kInProgress, kDone, kFailed };
std::string_view to_string(AttemptState s);

// The idempotency record and confirm-result cache for one paymentKey.
struct ConfirmAttempt {
  std::string payment_key;
  std::string order_id;
  std::string user_id;
  std::string course_id;
  Krw amount = 0;
  std::optional<std::string> coupon_code;
  std::string fingerprint;      // of the parameters that must match on a replay
  std::string idempotency_key;  // the first key sent to Toss for this attempt
  // Which key the next confirm uses: 0 is `idempotency_key`, n > 0 is "<idempotency_key>-n".
  // Advanced only after Toss re-fetched the payment still unconfirmed (a stored 5xx must not
  // trap the payment), so two keys of one payment are never in flight together.
  int key_seq = 0;
  AttemptState state = AttemptState::kInProgress;
  bool coupon_reserved = false;
  int http_status = 0;  // the stored answer, once resolved
  std::string error_code;
  std::string response;  // the stored answer's JSON body, without requestId
  int toss_calls = 0;
  EpochMs lease_until = 0;  // who drives the attempt: a live owner holds the lease
  // The `serve` instance that began or last claimed it ("" : a command such as `ops reconcile`,
  // or a build before owners): once that instance is dead its lease no longer holds.
  std::string owner;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
  EpochMs expires_at = 0;  // the stored result is replayed until then
};

struct Payment {
  std::string provider_tx_id;  // Toss paymentKey
  std::string order_id;
  std::string user_id;
  std::string course_id;
  Krw amount = 0;
  std::optional<std::string> coupon_code;
  std::string status = "DONE";
  std::string method;
  std::string approved_at;  // as Toss reported it
  std::string source = "confirm";
  // A virtual account (status WAITING_FOR_DEPOSIT until the deposit): where the buyer pays.
  std::string va_bank_code;
  std::string va_account_number;  // masked: first 4 and last 2 digits kept
  std::string va_customer_name;
  std::string va_due_date;  // as Toss reported it (+09:00)
  std::string va_secret;    // Toss's deposit secret (DEPOSIT_CALLBACK); never logged
  // What is left after partial refunds (Toss's balanceAmount); unset while nothing was refunded.
  std::optional<Krw> balance_amount;
};

// The account number of a virtual account as payedge stores and logs it.
std::string mask_account_number(std::string_view number);

struct Enrollment {
  std::string payment_key;
  std::string user_id;
  std::string course_id;
  std::string status = "ACTIVE";  // PENDING (a deposit awaited) | ACTIVE | CANCELLED
};

// What `inject_payment` did: inserted, or which rule refused it (nothing was written then).
enum class InjectOutcome {
  kInjected,
  kKeyTaken,         // a payment with this provider_tx_id exists
  kOrderTaken,       // a payment with this order id exists
  kAttemptOpen,      // a confirm attempt for this key or order is IN_PROGRESS: the reconciler's
  kAlreadyEnrolled,  // the user has an ACTIVE enrollment in the course
};

struct Flag {
  std::string name;
  std::string value;
  std::string reason;
  std::string actor;
  EpochMs updated_at = 0;
};

struct AuditEntry {
  std::string actor;
  std::string action;
  std::string target;
  std::string reason;
  std::string details;  // JSON
};

// One row of `audit_log` as read back (the dashboard, postmortems).
struct AuditRow {
  long long id = 0;
  EpochMs at = 0;
  AuditEntry entry;
};

enum class BeginOutcome {
  kStarted,          // the attempt is recorded and leased to the caller
  kExisting,         // an attempt for this paymentKey exists: see `existing`
  kOrderTaken,       // the orderId belongs to another paymentKey
  kAlreadyEnrolled,  // the user has an ACTIVE enrollment in the course
  kDepositPending,   // the user has a PENDING enrollment: a virtual account awaits its deposit
  kUserBusy,         // another attempt of the user for the course is in progress
  kCouponExhausted,  // no redemption left to reserve
};

struct BeginResult {
  BeginOutcome outcome = BeginOutcome::kStarted;
  std::optional<ConfirmAttempt> existing;
};

// What a new confirm reads before it calls Toss (`confirm_context`): read in order, and only
// as far as needed — an attempt found by key or by order ends the look-ups, and so does a
// payments switch that is off or a course that is missing or inactive.
struct ConfirmContext {
  std::optional<ConfirmAttempt> attempt;           // by paymentKey
  std::optional<ConfirmAttempt> attempt_by_order;  // by orderId (when none by key)
  std::optional<Flag> payments_flag;               // the "payments_enabled" switch
  std::optional<Course> course;
  std::optional<Coupon> coupon;  // when a coupon code was given
};

// How this process's writes shared commits (group commit), since it started.
struct CommitStats {
  unsigned long long batches = 0;         // write transactions run as a group (one COMMIT)
  unsigned long long members = 0;         // callers' writes in them (÷ batches = mean group)
  unsigned long long failed_commits = 0;  // groups of several that did not commit as one
  size_t largest = 0;                     // the largest group so far
};

struct StoreCounts {
  long long payments = 0;
  long long active_enrollments = 0;
  long long attempts = 0;
  long long open_attempts = 0;
  long long pending_deposits = 0;  // virtual-account payments WAITING_FOR_DEPOSIT
};

// A received webhook: stored before it is answered (dedupe, and the durable queue that the
// background processor works through), kept afterwards for postmortems.
enum class WebhookState { kPending, kDone, kFailed };
std::string_view to_string(WebhookState s);

struct WebhookEvent {
  std::string id;  // SHA-256 of the raw body: an identical redelivery has the same id
  std::string event_type;
  std::string payment_key;  // empty for DEPOSIT_CALLBACK (it names the order)
  std::string order_id;
  std::string transmission_time;
  std::string body;  // as received, with a DEPOSIT_CALLBACK's secret redacted
  std::string request_id;
  std::string ip;
  std::string ua;
  WebhookState state = WebhookState::kPending;
  std::string outcome;
  int attempts = 0;
  EpochMs received_at = 0;
  EpochMs next_attempt_at = 0;
};

// What storing a webhook found: a new event, or the one stored before under the same id.
struct WebhookInsert {
  bool inserted = false;
  std::optional<WebhookEvent> existing;
};

// A webhook secret set by `ops secret rotate` (the environment's WEBHOOK_SECRET is the
// starting point when none is stored).
struct StoredSecret {
  std::string secret;
  EpochMs created_at = 0;
  std::optional<EpochMs> retire_at;  // a previous secret is accepted until then
};

// A broken SPEC section 2 invariant, as `ops verify` reports it.
// One change of an alert rule (SPEC section 9), kept for postmortems.
struct AlertRow {
  EpochMs at = 0;  // event time of the change
  std::string rule;
  std::string state;  // pending | firing | resolved | action
  std::string summary;
  std::string labels;  // JSON object
};

// A `serve` process as it registered itself in `instances`. It is alive until `alive_until`
// (its last heartbeat plus its own staleness limit) unless it stopped cleanly; the attempts a
// dead instance held are free for the reconciler and client retries before their lease ends.
struct InstanceRecord {
  std::string instance_id;
  std::string host;
  long long pid = 0;
  std::string version;
  EpochMs started_at = 0;
  EpochMs heartbeat_at = 0;
  EpochMs alive_until = 0;
  std::optional<EpochMs> stopped_at;
  bool alive(EpochMs now) const { return !stopped_at && alive_until > now; }
};

struct Violation {
  std::string kind;
  std::string payment_key;
  std::string detail;
};

class Store {
 public:
  virtual ~Store() = default;

  // In-process counters of the writes' commits (for /metrics); zeros where writes are not
  // grouped.
  virtual CommitStats commit_stats() const { return {}; }

  // Applies the migrations this binary knows; refuses a store migrated by a newer binary.
  virtual Status migrate() = 0;
  // For commands that only read: the store has been migrated to this binary's schema (they
  // never create or migrate one).
  virtual Status check_schema() = 0;
  // The newest migration recorded in the store (0: none; the store is not migrated yet).
  virtual Result<int> schema_version() = 0;
  // Whether this binary may run against the store's schema without migrating it: an older or
  // equal one, or a newer one whose newer migrations are all expand-only (a rolling upgrade's
  // older instance beside a newer one). Refuses with both versions otherwise.
  virtual Status check_schema_compatible() = 0;
  // The readiness probe and the heartbeat: a real write (this process's row in `instances`,
  // heartbeat_at now and alive_until now + its staleness limit, committed), so a store that
  // cannot write is not ready. Registers an anonymous instance first when none was.
  virtual Status ping() = 0;

  // Instances (several `serve` on one store). This store now speaks for `self`: its row is
  // written (alive for `stale_after_ms` from now), and the attempts it begins or claims from
  // here on name `self.instance_id` as their owner. Rows of instances dead for over a week
  // are dropped.
  virtual Status register_instance(const InstanceRecord& self, EpochMs stale_after_ms) = 0;
  // A clean stop: the registered instance is marked stopped, so whatever it still holds is
  // free at once.
  virtual Status deregister_instance(EpochMs now) = 0;
  // Every instance row, newest heartbeat first.
  virtual Result<std::vector<InstanceRecord>> list_instances() = 0;

  virtual Result<std::optional<Course>> find_course(const std::string& id) = 0;
  virtual Result<std::optional<Coupon>> find_coupon(const std::string& code) = 0;
  virtual Status upsert_course(const Course& course) = 0;
  virtual Status upsert_coupon(const Coupon& coupon) = 0;
  // `payedge seed`: every course and coupon (and the audit entry, when given) in one
  // transaction — all of them or, when any is refused (e.g. by a constraint), none.
  virtual Status apply_catalog(const std::vector<Course>& courses,
                               const std::vector<Coupon>& coupons,
                               const std::optional<AuditEntry>& audit) = 0;
  // Every course, by id (the catalogue is small: tens of rows).
  virtual Result<std::vector<Course>> list_courses() = 0;

  virtual Result<std::optional<Flag>> find_flag(const std::string& name) = 0;
  // Sets the flag and writes the audit entry in one transaction.
  virtual Status set_flag(const Flag& flag, const AuditEntry& audit) = 0;
  virtual Status set_course_active(const std::string& id, bool active, const AuditEntry& audit) = 0;

  virtual Result<std::optional<ConfirmAttempt>> find_attempt(const std::string& payment_key) = 0;
  virtual Result<std::optional<ConfirmAttempt>> find_attempt_by_order(
      const std::string& order_id) = 0;
  // find_attempt, find_attempt_by_order, find_flag("payments_enabled"), find_course and
  // find_coupon in one call: one read transaction on one connection (see ConfirmContext).
  virtual Result<ConfirmContext> confirm_context(const std::string& payment_key,
                                                 const std::string& order_id,
                                                 const std::string& course_id,
                                                 const std::optional<std::string>& coupon_code) = 0;
  virtual Result<bool> has_active_enrollment(const std::string& user_id,
                                             const std::string& course_id) = 0;

  // One transaction: re-checks enrollment and open attempts, reserves a coupon redemption,
  // and inserts `attempt` (state IN_PROGRESS, leased until attempt.lease_until).
  virtual Result<BeginResult> begin_attempt(const ConfirmAttempt& attempt) = 0;
  // Takes over an IN_PROGRESS attempt whose lease ran out or whose owner is dead (its
  // heartbeat stale, or stopped); false when a live owner holds it. The claimant becomes the
  // owner (the registered instance, else none). With `break_lease`, takes it even from a live
  // owner: only when no `serve` runs.
  virtual Result<bool> claim_attempt(const std::string& payment_key, EpochMs now,
                                     EpochMs lease_until, bool break_lease = false) = 0;
  // Gives the lease back, leaving the attempt unresolved (for a retry or the reconciler).
  virtual Status release_attempt(const std::string& payment_key, int toss_calls) = 0;
  // Moves the attempt to its next Idempotency-Key (key_seq + 1) while it holds the lease;
  // returns the new key_seq.
  virtual Result<int> advance_attempt_key(const std::string& payment_key) = 0;
  // One transaction: the payment, its enrollment (ACTIVE, or PENDING for a payment
  // WAITING_FOR_DEPOSIT), and the attempt DONE with `response`.
  virtual Status complete_attempt(const std::string& payment_key, const Payment& payment,
                                  int http_status, const std::string& response, EpochMs now,
                                  int toss_calls) = 0;
  // One transaction: the attempt FAILED with `response`; its coupon redemption is released.
  virtual Status fail_attempt(const std::string& payment_key, const std::string& error_code,
                              int http_status, const std::string& response, EpochMs now,
                              int toss_calls) = 0;

  virtual Result<std::optional<Payment>> find_payment(const std::string& payment_key) = 0;
  virtual Result<std::optional<Payment>> find_payment_by_order(const std::string& order_id) = 0;
  virtual Result<std::optional<Enrollment>> find_enrollment(const std::string& payment_key) = 0;
  // One transaction (`ops payment inject`): re-checks key, order, open attempts and the
  // user's enrollment, then inserts `payment`, its ACTIVE enrollment and the audit entry.
  virtual Result<InjectOutcome> inject_payment(const Payment& payment, EpochMs now,
                                               const AuditEntry& audit) = 0;
  // Whether `payment_key` was injected with --force (audit action "payment.inject.force"):
  // the one payment row allowed without a DONE payment at Toss (SPEC section 2).
  virtual Result<bool> forced_injection(const std::string& payment_key) = 0;
  virtual Status append_audit(const AuditEntry& entry, EpochMs now) = 0;
  // The newest `limit` audit rows, newest first.
  virtual Result<std::vector<AuditRow>> list_audit(int limit) = 0;
  virtual Status record_alert(const AlertRow& row) = 0;
  // The newest `limit` alert rows at or after `since`, oldest first.
  virtual Result<std::vector<AlertRow>> list_alerts(EpochMs since, int limit) = 0;
  // audit_log rows with since <= at < until, oldest first, at most `limit`.
  virtual Result<std::vector<AuditRow>> audit_between(EpochMs since, EpochMs until, int limit) = 0;
  virtual Result<StoreCounts> counts() = 0;

  // Attempts in `state` last touched before `updated_before`, oldest first (reconciler, verify).
  virtual Result<std::vector<ConfirmAttempt>> list_attempts(AttemptState state,
                                                            EpochMs updated_before, int limit) = 0;
  // IN_PROGRESS attempts whose owner is dead at `now` (heartbeat stale or stopped), whatever
  // their age: a crashed instance's work, oldest first.
  virtual Result<std::vector<ConfirmAttempt>> list_orphaned_attempts(EpochMs now, int limit) = 0;
  virtual Result<std::vector<Payment>> list_payments(int limit) = 0;
  // What the database alone can tell is wrong: payments without exactly one ACTIVE
  // enrollment, enrollments without a live payment, DONE attempts without a payment,
  // coupons redeemed past their maximum.
  virtual Result<std::vector<Violation>> local_violations() = 0;

  // Webhooks. Stores `event` (state pending, due at once) unless its id is known already.
  virtual Result<WebhookInsert> insert_webhook_event(const WebhookEvent& event) = 0;
  // Pending events due at `now`, oldest first.
  virtual Result<std::vector<WebhookEvent>> due_webhook_events(EpochMs now, int limit) = 0;
  // Takes a due pending event for processing until `lease_until` and counts the attempt;
  // false when another worker took it first (or it is no longer pending/due).
  virtual Result<bool> claim_webhook_event(const std::string& id, EpochMs now,
                                           EpochMs lease_until) = 0;
  // Done (or failed after its last attempt) with `outcome`.
  virtual Status finish_webhook_event(const std::string& id, WebhookState state,
                                      const std::string& outcome, EpochMs now) = 0;
  // Still pending: tried again at `next_attempt_at`.
  virtual Status retry_webhook_event(const std::string& id, const std::string& outcome,
                                     EpochMs next_attempt_at) = 0;
  // One transaction: a partial refund — status PARTIAL_CANCELED and the balance left; the
  // enrollment stays. False when there was nothing to change.
  virtual Result<bool> record_partial_cancel(const std::string& payment_key, Krw balance_amount,
                                             EpochMs now, const AuditEntry& audit) = 0;
  // One transaction: the payment's status, its enrollment CANCELLED, the audit entry.
  // False when there was nothing to change (unknown payment, or already in that state).
  virtual Result<bool> cancel_payment(const std::string& payment_key, const std::string& status,
                                      EpochMs now, const AuditEntry& audit) = 0;
  // Virtual accounts. The deposit arrived: one transaction moves a WAITING_FOR_DEPOSIT payment
  // to DONE (approved_at as Toss reports it), its PENDING enrollment to ACTIVE, and writes the
  // audit entry (whose details say the source: webhook or reconcile). False when the payment
  // is not waiting (unknown, or already settled): nothing written.
  virtual Result<bool> settle_deposit(const std::string& payment_key,
                                      const std::string& approved_at, EpochMs now,
                                      const AuditEntry& audit) = 0;
  // The deposit will never come (`status` EXPIRED) or the order was cancelled before it
  // (CANCELED): one transaction moves a WAITING_FOR_DEPOSIT payment to `status`, its PENDING
  // enrollment to CANCELLED, releases its coupon redemption, and writes the audit entry.
  // False when the payment is not waiting: nothing written.
  virtual Result<bool> close_deposit(const std::string& payment_key, const std::string& status,
                                     EpochMs now, const AuditEntry& audit) = 0;
  // WAITING_FOR_DEPOSIT payments, earliest due date first.
  virtual Result<std::vector<Payment>> list_waiting_deposits(int limit) = 0;

  // Newest first (the current secret, then the previous one).
  virtual Result<std::vector<StoredSecret>> webhook_secrets(int limit) = 0;
  // One transaction: the new secret becomes current; the one before it retires at
  // `previous_retire_at`; the audit entry (never the secret) is written.
  virtual Status add_webhook_secret(const std::string& secret, EpochMs now,
                                    EpochMs previous_retire_at, const AuditEntry& audit) = 0;
};

// "sqlite:///path/file.db" (or a bare path) → SQLite; "postgresql://…" → PostgreSQL (libpq
// takes the URL as it is: sslmode=verify-full&sslrootcert=… work). `schema` ([store] schema):
// PostgreSQL's tables live there (created when missing); SQLite accepts only "public".
// `read_only`: a store that must already exist; nothing is created, migrated or written.
Result<std::unique_ptr<Store>> open_store(const std::string& url, int pool_size = 4,
                                          int busy_timeout_ms = 5000,
                                          const std::string& schema = "public",
                                          bool read_only = false);

// A --store value: a URL with a scheme (sqlite://PATH, postgresql://…). "" when fine, else
// what is wrong with it.
std::string store_url_problem(const std::string& url);

}  // namespace payedge
