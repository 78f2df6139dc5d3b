#include "store/sql_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/codec.h"
#include "core/secret_box.h"
#include "obs/mask.h"
#include "store/migrations.h"
#include "store/postgres/pg_connection.h"
#include "store/sqlite/sqlite_db.h"

namespace payedge {

using Connection = SqlConnection;

namespace {

constexpr SqlDialect kSqliteDialect{
    "sqlite", "BEGIN IMMEDIATE", "INTEGER PRIMARY KEY AUTOINCREMENT", "", "BEGIN", 64};
// The advisory lock serialises migrations of instances that start together.
constexpr SqlDialect kPostgresDialect{"postgresql",
                                      "BEGIN",
                                      "BIGSERIAL PRIMARY KEY",
                                      "SELECT pg_advisory_xact_lock(7277334)",
                                      "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                                      48};

constexpr std::string_view kAttemptColumns =
    "payment_key, order_id, user_id, course_id, amount, coupon_code, fingerprint, "
    "idempotency_key, state, coupon_reserved, http_status, error_code, response, toss_calls, "
    "lease_until, created_at, updated_at, expires_at, key_seq, owner";

const std::string kSelectAttemptByKey =
    fmt::format("SELECT {} FROM confirm_attempts WHERE payment_key = ?", kAttemptColumns);
const std::string kSelectAttemptByOrder =
    fmt::format("SELECT {} FROM confirm_attempts WHERE order_id = ?", kAttemptColumns);

constexpr std::string_view kSelectCourse =
    "SELECT id, title, list_price, sale_price, sale_starts_at, sale_ends_at, active "
    "FROM courses WHERE id = ?";
constexpr std::string_view kListCourses =
    "SELECT id, title, list_price, sale_price, sale_starts_at, sale_ends_at, active "
    "FROM courses ORDER BY id";
constexpr std::string_view kSelectCoupon =
    "SELECT code, kind, value, max_discount, min_amount, course_id, starts_at, ends_at, "
    "max_redemptions, redemptions, active FROM coupons WHERE code = ?";
constexpr std::string_view kUpsertCourse =
    "INSERT INTO courses (id, title, list_price, sale_price, sale_starts_at, sale_ends_at, active, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
    "title = excluded.title, list_price = excluded.list_price, sale_price = excluded.sale_price, "
    "sale_starts_at = excluded.sale_starts_at, sale_ends_at = excluded.sale_ends_at, "
    "active = excluded.active, updated_at = excluded.updated_at";
constexpr std::string_view kUpsertCoupon =
    "INSERT INTO coupons (code, kind, value, max_discount, min_amount, course_id, starts_at, "
    "ends_at, max_redemptions, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, value = excluded.value, "
    "max_discount = excluded.max_discount, min_amount = excluded.min_amount, "
    "course_id = excluded.course_id, starts_at = excluded.starts_at, ends_at = excluded.ends_at, "
    "max_redemptions = excluded.max_redemptions, active = excluded.active, "
    "updated_at = excluded.updated_at";
constexpr std::string_view kSelectFlag =
    "SELECT name, value, reason, actor, updated_at FROM flags WHERE name = ?";
constexpr std::string_view kUpsertFlag =
    "INSERT INTO flags (name, value, reason, actor, updated_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value, reason = excluded.reason, "
    "actor = excluded.actor, updated_at = excluded.updated_at";
constexpr std::string_view kInsertAudit =
    "INSERT INTO audit_log (at, actor, action, target, reason, details) VALUES (?, ?, ?, ?, ?, ?)";
constexpr std::string_view kInsertAlert =
    "INSERT INTO alerts (at, rule, state, summary, labels) VALUES (?, ?, ?, ?, ?)";
constexpr std::string_view kListAlerts =
    "SELECT at, rule, state, summary, labels FROM (SELECT id, at, rule, state, summary, labels "
    "FROM alerts WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?) newest ORDER BY at, id";
constexpr std::string_view kAuditBetween =
    "SELECT id, at, actor, action, target, reason, details FROM audit_log WHERE at >= ? AND at < ? "
    "ORDER BY at, id LIMIT ?";
constexpr std::string_view kListAudit =
    "SELECT id, at, actor, action, target, reason, details FROM audit_log "
    "ORDER BY id DESC LIMIT ?";
constexpr std::string_view kSetCourseActive =
    "UPDATE courses SET active = ?, updated_at = ? WHERE id = ?";
constexpr std::string_view kActiveEnrollment =
    "SELECT 1 FROM enrollments WHERE user_id = ? AND course_id = ? AND status = 'ACTIVE'";
// An enrollment that blocks another purchase: ACTIVE, or PENDING (a deposit awaited).
constexpr std::string_view kLiveEnrollment =
    "SELECT status FROM enrollments WHERE user_id = ? AND course_id = ? "
    "AND status IN ('ACTIVE', 'PENDING')";
constexpr std::string_view kOpenAttemptForUser =
    "SELECT payment_key FROM confirm_attempts WHERE user_id = ? AND course_id = ? "
    "AND state = 'IN_PROGRESS'";
constexpr std::string_view kPaymentByOrder =
    "SELECT provider_tx_id FROM payments WHERE order_id = ?";
constexpr std::string_view kReserveCoupon =
    "UPDATE coupons SET redemptions = redemptions + 1 WHERE code = ? "
    "AND (max_redemptions IS NULL OR redemptions < max_redemptions)";
constexpr std::string_view kReleaseCoupon =
    "UPDATE coupons SET redemptions = redemptions - 1 WHERE code = ? AND redemptions > 0";
constexpr std::string_view kInsertAttempt =
    "INSERT INTO confirm_attempts (payment_key, order_id, user_id, course_id, amount, coupon_code, "
    "fingerprint, idempotency_key, state, coupon_reserved, toss_calls, lease_until, created_at, "
    "updated_at, expires_at, owner) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'IN_PROGRESS', ?, 0, ?, ?, ?, ?, ?)";
// The owner of `a` is dead at ?: no row of it that is neither stopped nor stale (an owner whose
// row was pruned is dead too). An attempt without an owner has only its lease.
#define PAYEDGE_OWNER_DEAD(a)                                                                   \
  "(" a ".owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.instance_id = " a \
  ".owner AND i.stopped_at IS NULL AND i.alive_until > ?))"
// Free when the lease ran out, or when its owner is dead (issue 14): no need to wait out the
// full lease of a crashed instance.
constexpr std::string_view kClaimAttempt =
    "UPDATE confirm_attempts SET lease_until = ?, updated_at = ?, owner = ? "
    "WHERE payment_key = ? AND state = 'IN_PROGRESS' AND "
    "(lease_until <= ? OR " PAYEDGE_OWNER_DEAD("confirm_attempts") ")";
const std::string kListOrphanedAttempts = fmt::format(
    "SELECT {} FROM confirm_attempts a WHERE a.state = 'IN_PROGRESS' AND {} "
    "ORDER BY a.updated_at LIMIT ?",
    kAttemptColumns, PAYEDGE_OWNER_DEAD("a"));
#undef PAYEDGE_OWNER_DEAD
constexpr std::string_view kUpsertInstance =
    "INSERT INTO instances (instance_id, host, pid, started_at, heartbeat_at, alive_until, "
    "version) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id) DO UPDATE SET "
    "heartbeat_at = excluded.heartbeat_at, alive_until = excluded.alive_until";
constexpr std::string_view kListInstances =
    "SELECT instance_id, host, pid, started_at, heartbeat_at, alive_until, stopped_at, version "
    "FROM instances ORDER BY heartbeat_at DESC, instance_id";
constexpr std::string_view kReleaseAttempt =
    "UPDATE confirm_attempts SET lease_until = ?, toss_calls = ? "
    "WHERE payment_key = ? AND state = 'IN_PROGRESS'";
constexpr std::string_view kInsertPayment =
    "INSERT INTO payments (provider_tx_id, order_id, user_id, course_id, amount, coupon_code, "
    "status, method, approved_at, source, created_at, updated_at, va_bank_code, "
    "va_account_number, va_customer_name, va_due_date, va_secret) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (provider_tx_id) DO NOTHING";
constexpr std::string_view kInsertEnrollment =
    "INSERT INTO enrollments (payment_key, user_id, course_id, status, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (payment_key) DO NOTHING";
constexpr std::string_view kAttemptDone =
    "UPDATE confirm_attempts SET state = 'DONE', http_status = ?, error_code = NULL, response = ?, "
    "toss_calls = ?, lease_until = ?, updated_at = ? WHERE payment_key = ?";
constexpr std::string_view kAttemptFailed =
    "UPDATE confirm_attempts SET state = 'FAILED', coupon_reserved = FALSE, http_status = ?, "
    "error_code = ?, response = ?, toss_calls = ?, lease_until = ?, updated_at = ? "
    "WHERE payment_key = ? AND state = 'IN_PROGRESS'";
#define PAYEDGE_PAYMENT_COLUMNS                                                                \
  "SELECT provider_tx_id, order_id, user_id, course_id, amount, coupon_code, status, method, " \
  "approved_at, source, va_bank_code, va_account_number, va_customer_name, va_due_date, "      \
  "va_secret, balance_amount FROM payments "
constexpr std::string_view kSelectPayment = PAYEDGE_PAYMENT_COLUMNS "WHERE provider_tx_id = ?";
constexpr std::string_view kSelectPaymentByOrder = PAYEDGE_PAYMENT_COLUMNS "WHERE order_id = ?";
constexpr std::string_view kListWaitingDeposits = PAYEDGE_PAYMENT_COLUMNS
    "WHERE status = 'WAITING_FOR_DEPOSIT' ORDER BY va_due_date, provider_tx_id LIMIT ?";
constexpr std::string_view kSelectEnrollment =
    "SELECT payment_key, user_id, course_id, status FROM enrollments WHERE payment_key = ?";
// Rows written before payment keys were masked name the key itself; newer ones its mask and,
// in details, its SHA-256.
constexpr std::string_view kForcedInjection =
    "SELECT 1 FROM audit_log WHERE action = 'payment.inject.force' AND (target = ? OR "
    "(target = ? AND details LIKE ?))";

Payment read_payment(const Query& q);

std::optional<std::string> opt_text_of(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional(s);
}

// kInsertPayment's parameters after the amount.
void bind_payment_tail(Query& q, const Payment& p, const std::string& at) {
  q.bind(p.coupon_code).bind(p.status).bind(p.method).bind(p.approved_at).bind(p.source);
  q.bind(at).bind(at);
  q.bind(opt_text_of(p.va_bank_code)).bind(opt_text_of(p.va_account_number));
  q.bind(opt_text_of(p.va_customer_name)).bind(opt_text_of(p.va_due_date));
  q.bind(opt_text_of(p.va_secret));
}

const std::string kListAttempts = fmt::format(
    "SELECT {} FROM confirm_attempts WHERE state = ? AND updated_at < ? ORDER BY updated_at LIMIT "
    "?",
    kAttemptColumns);
constexpr std::string_view kListPayments = PAYEDGE_PAYMENT_COLUMNS "ORDER BY created_at LIMIT ?";
#undef PAYEDGE_PAYMENT_COLUMNS

struct LocalCheck {
  std::string_view kind;
  std::string_view sql;  // returns (payment_key, detail)
};
constexpr LocalCheck kLocalChecks[] = {
    {"missing_enrollment",
     "SELECT p.provider_tx_id, 'DONE payment has ' || (SELECT COUNT(*) FROM enrollments e WHERE "
     "e.payment_key = p.provider_tx_id AND e.status = 'ACTIVE') || ' ACTIVE enrollments' FROM "
     "payments p "
     "WHERE p.status = 'DONE' AND (SELECT COUNT(*) FROM enrollments e WHERE e.payment_key = "
     "p.provider_tx_id AND e.status = 'ACTIVE') <> 1"},
    {"enrollment_without_payment",
     "SELECT e.payment_key, 'ACTIVE enrollment, payment ' || COALESCE(p.status, 'missing') FROM "
     "enrollments e LEFT JOIN payments p ON p.provider_tx_id = e.payment_key WHERE e.status = "
     "'ACTIVE' "
     "AND (p.provider_tx_id IS NULL OR p.status IN ('CANCELED', 'EXPIRED'))"},
    // A partial refund keeps the course (SPEC 6): exactly one ACTIVE enrollment, as for DONE.
    {"partial_refund_without_enrollment",
     "SELECT p.provider_tx_id, 'PARTIAL_CANCELED payment has ' || (SELECT COUNT(*) FROM "
     "enrollments e WHERE e.payment_key = p.provider_tx_id AND e.status = 'ACTIVE') || ' ACTIVE "
     "enrollments' FROM payments p WHERE p.status = 'PARTIAL_CANCELED' AND (SELECT COUNT(*) FROM "
     "enrollments e WHERE e.payment_key = p.provider_tx_id AND e.status = 'ACTIVE') <> 1"},
    {"pending_enrollment_without_waiting_payment",
     "SELECT e.payment_key, 'PENDING enrollment, payment ' || COALESCE(p.status, 'missing') FROM "
     "enrollments e LEFT JOIN payments p ON p.provider_tx_id = e.payment_key WHERE e.status = "
     "'PENDING' AND (p.provider_tx_id IS NULL OR p.status <> 'WAITING_FOR_DEPOSIT')"},
    {"waiting_payment_without_pending_enrollment",
     "SELECT p.provider_tx_id, 'WAITING_FOR_DEPOSIT payment without a PENDING enrollment' FROM "
     "payments p WHERE p.status = 'WAITING_FOR_DEPOSIT' AND NOT EXISTS (SELECT 1 FROM "
     "enrollments e WHERE e.payment_key = p.provider_tx_id AND e.status = 'PENDING')"},
    // A virtual account closed before its deposit gives its coupon redemption back (SPEC 6).
    {"closed_deposit_keeps_coupon",
     "SELECT p.provider_tx_id, 'virtual account ' || p.status || ' before its deposit, coupon ' "
     "|| a.coupon_code || ' still reserved' FROM payments p JOIN confirm_attempts a ON "
     "a.payment_key = p.provider_tx_id WHERE p.status IN ('EXPIRED', 'CANCELED') AND "
     "p.va_bank_code IS NOT NULL AND (p.approved_at IS NULL OR p.approved_at = '') AND "
     "a.coupon_reserved = TRUE"},
    {"done_attempt_without_payment",
     "SELECT a.payment_key, 'attempt DONE but no payment row' FROM confirm_attempts a WHERE "
     "a.state = "
     "'DONE' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.provider_tx_id = a.payment_key)"},
    {"coupon_over_redeemed",
     "SELECT code, 'redemptions ' || redemptions || ' > max ' || max_redemptions FROM coupons "
     "WHERE "
     "max_redemptions IS NOT NULL AND redemptions > max_redemptions"},
    {"coupon_redemptions_drift",
     "SELECT c.code, 'redemptions ' || c.redemptions || ' but ' || (SELECT COUNT(*) FROM "
     "confirm_attempts a "
     "WHERE a.coupon_code = c.code AND a.coupon_reserved = TRUE) || ' reserving attempts' FROM "
     "coupons c "
     "WHERE c.redemptions < (SELECT COUNT(*) FROM confirm_attempts a WHERE a.coupon_code = c.code "
     "AND "
     "a.coupon_reserved = TRUE)"},
};

std::optional<EpochMs> opt_time(const Query& q, int col) {
  auto t = q.opt_text(col);
  return t ? parse_rfc3339(*t) : std::nullopt;
}

EpochMs time_or_zero(const Query& q, int col) { return opt_time(q, col).value_or(0); }

// The one row `q` yields, read by `read`; nullopt when it yields none.
template <class Read>
auto query_one(Query& q, Read read)
    -> Result<std::optional<std::invoke_result_t<Read, const Query&>>> {
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::nullopt;
  return read(q);
}

// Every remaining row of `q`, each read by `read`.
template <class T, class Read>
Result<std::vector<T>> collect(Query& q, Read read) {
  std::vector<T> out;
  while (true) {
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read(q));
  }
}

std::optional<std::string> opt_format(const std::optional<EpochMs>& t) {
  return t ? std::optional(format_utc(*t)) : std::nullopt;
}

ConfirmAttempt read_attempt(const Query& q) {
  ConfirmAttempt a;
  a.payment_key = q.text(0);
  a.order_id = q.text(1);
  a.user_id = q.text(2);
  a.course_id = q.text(3);
  a.amount = q.int64(4);
  a.coupon_code = q.opt_text(5);
  a.fingerprint = q.text(6);
  a.idempotency_key = q.text(7);
  const auto state = q.text(8);
  a.state = state == "DONE"     ? AttemptState::kDone
            : state == "FAILED" ? AttemptState::kFailed
                                : AttemptState::kInProgress;
  a.coupon_reserved = q.boolean(9);
  a.http_status = static_cast<int>(q.opt_int64(10).value_or(0));
  a.error_code = q.opt_text(11).value_or("");
  a.response = q.opt_text(12).value_or("");
  a.toss_calls = static_cast<int>(q.int64(13));
  a.lease_until = time_or_zero(q, 14);
  a.created_at = time_or_zero(q, 15);
  a.updated_at = time_or_zero(q, 16);
  a.expires_at = time_or_zero(q, 17);
  a.key_seq = static_cast<int>(q.int64(18));
  a.owner = q.opt_text(19).value_or("");
  return a;
}

Result<std::optional<ConfirmAttempt>> select_attempt(Connection& c, const std::string& sql,
                                                     const std::string& key) {
  Query q(c, sql);
  q.bind(key);
  return query_one(q, read_attempt);
}

// Runs `body` inside the dialect's BEGIN … COMMIT; rolls back when it fails.
template <class F>
auto in_write_transaction(Connection& c, const SqlDialect& dialect, F&& body) -> decltype(body()) {
  if (auto st = c.exec(std::string(dialect.begin_write)); !st) return std::unexpected(st.error());
  auto result = body();
  if (!result) {
    (void)c.exec("ROLLBACK");
    return result;
  }
  if (auto st = c.exec("COMMIT"); !st) {
    (void)c.exec("ROLLBACK");
    return std::unexpected(st.error());
  }
  return result;
}

bool is_payment_key_name(const std::string& k) {
  return k == "payment_key" || k == "paymentKey" || k == "provider_tx_id";
}

void mask_payment_keys(nlohmann::json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it->is_string() && is_payment_key_name(it.key())) {
        *it = mask_payment_key(it->get_ref<const std::string&>());
      } else {
        mask_payment_keys(*it);
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) mask_payment_keys(v);
  }
}

// SPEC 11: the audit table masks payment keys as the log does — the target of a payment
// action (its key) and any payment-key field in the details. The key's SHA-256 stays in
// details so that the row can still be found by the key (forced_injection).
AuditEntry mask_audit(const AuditEntry& e) {
  AuditEntry m = e;
  const bool keyed = e.action.starts_with("payment.") || e.action.starts_with("reconcile.") ||
                     e.action.starts_with("enrollment.");
  auto details = nlohmann::json::parse(e.details.empty() ? "{}" : e.details, nullptr, false);
  if (details.is_discarded()) details = nlohmann::json::object();  // ours: always JSON
  mask_payment_keys(details);
  if (keyed && !e.target.empty()) {
    m.target = mask_payment_key(e.target);
    if (details.is_object()) details["target_sha256"] = sha256_hex(e.target);
  }
  m.details = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return m;
}

Status insert_audit(Connection& c, const AuditEntry& raw, EpochMs now) {
  const AuditEntry e = mask_audit(raw);
  Query q(c, kInsertAudit);
  q.bind(format_utc(now))
      .bind(e.actor)
      .bind(e.action)
      .bind(e.target)
      .bind(e.reason)
      .bind(e.details);
  return q.run();
}

// id, at, actor, action, target, reason, details
AuditRow read_audit(const Query& q) {
  AuditRow a;
  a.id = q.int64(0);
  a.at = parse_rfc3339(q.text(1)).value_or(0);
  a.entry = AuditEntry{q.text(2), q.text(3), q.text(4), q.text(5), q.text(6)};
  return a;
}

}  // namespace

std::string_view to_string(AttemptState s) {
  switch (s) {
    case AttemptState::kInProgress:
      return "IN_PROGRESS";
    case AttemptState::kDone:
      return "DONE";
    case AttemptState::kFailed:
      return "FAILED";
  }
  return "?";
}

class SqlStore::Lease {
 public:
  Lease(SqlStore& store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~Lease() { store_.give_back(std::move(conn_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Connection& operator*() { return *conn_; }

 private:
  SqlStore& store_;
  std::unique_ptr<Connection> conn_;
};

SqlStore::SqlStore(SqlDialect dialect, std::vector<std::unique_ptr<SqlConnection>> connections)
    : dialect_(dialect), idle_(std::move(connections)), group_(dialect, dialect.max_batch) {}

SqlStore::Lease SqlStore::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty(); });
  auto conn = std::move(idle_.back());
  idle_.pop_back();
  return Lease(*this, std::move(conn));
}

void SqlStore::give_back(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

// Every write but the migration goes through the group commit (group_commit.h): `body` runs
// in the next batch, on the leader's connection, inside its own savepoint.
template <class F>
auto SqlStore::write(F&& body) -> std::invoke_result_t<F&, SqlConnection&> {
  using R = std::invoke_result_t<F&, SqlConnection&>;
  std::optional<R> out;
  GroupCommit::Member member;
  member.body = [&](Connection& c) -> Status {
    out.emplace(body(c));
    if (!*out) return std::unexpected(out->error());
    return {};
  };
  group_.run(member, [this](const std::function<void(Connection&)>& fn) {
    auto lease = acquire();
    fn(*lease);
  });
  if (!member.result) return std::unexpected(member.result.error());
  return std::move(*out);
}

Status SqlStore::migrate() {
  auto lease = acquire();
  Connection& c = *lease;
  return in_write_transaction(c, dialect_, [&]() -> Status {
    // Several instances may start at once: one migrates, the others wait and find it done.
    if (!dialect_.migration_lock.empty()) {
      if (auto st = c.exec(std::string(dialect_.migration_lock)); !st) return st;
    }
    if (auto st =
            c.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                   "name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        !st) {
      return st;
    }
    Query q(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    const auto current = q.int64(0);
    if (auto st = check_newer_schema(c, static_cast<int>(current)); !st) return st;
    for (const auto& m : all_migrations()) {
      if (m.version <= current) continue;
      std::string sql(m.sql);
      for (size_t pos; (pos = sql.find("{{ID}}")) != std::string::npos;) {
        sql.replace(pos, 6, dialect_.id_column);
      }
      if (auto st = c.exec(sql); !st) return st;
      const bool kinds = m.version >= kExpandColumnVersion;  // the column exists from then on
      Query ins(c, kinds ? "INSERT INTO schema_migrations (version, name, applied_at, expand) "
                           "VALUES (?, ?, ?, ?)"
                         : "INSERT INTO schema_migrations (version, name, applied_at) "
                           "VALUES (?, ?, ?)");
      ins.bind(m.version).bind(m.name).bind(format_utc(SystemClock::instance().now_ms()));
      if (kinds) ins.bind(m.expand);
      if (auto st = ins.run(); !st) return st;
    }
    return {};
  });
}

Result<int> SqlStore::schema_version() {
  auto lease = acquire();
  // Read-only: whether the bookkeeping table exists, then its newest row.
  Query exists(*lease, dialect_.name == "sqlite"
                           ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                             "name = 'schema_migrations'"
                           : "SELECT COUNT(*) FROM information_schema.tables WHERE "
                             "table_schema = current_schema() AND table_name = "
                             "'schema_migrations'");
  auto row = exists.step();
  if (!row) return std::unexpected(row.error());
  if (exists.int64(0) == 0) return 0;
  Query q(*lease, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  row = q.step();
  if (!row) return std::unexpected(row.error());
  return static_cast<int>(q.int64(0));
}

Status SqlStore::check_schema() {
  auto lease = acquire();
  Query q(*lease, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  auto row = q.step();
  if (!row) {
    return fail(ErrorCode::kInternal,
                "not a payedge store (no schema_migrations): " + row.error().detail);
  }
  const auto current = q.int64(0);
  const int latest = latest_schema_version();
  if (current < latest) {
    return fail(ErrorCode::kInternal,
                fmt::format("store schema is version {}, this payedge reads version {}: run "
                            "payedge migrate first",
                            current, latest));
  }
  return check_newer_schema(*lease, static_cast<int>(current));
}

Status SqlStore::check_newer_schema(SqlConnection& c, int current) {
  const int latest = latest_schema_version();
  if (current <= latest) return {};
  // Newer than this binary: fine while every newer migration only added (expand/contract),
  // as recorded since kExpandColumnVersion. Without that column (a store whose newer part
  // predates it) nothing is known to be expand-only.
  Query q(c, "SELECT COUNT(*) FROM schema_migrations WHERE version > ? AND NOT expand");
  q.bind(latest);
  auto row = q.step();
  const bool expand_only = row && *row && q.int64(0) == 0;
  return check_schema_version(current, expand_only);
}

Status SqlStore::check_schema_compatible() {
  auto version = schema_version();
  if (!version) return std::unexpected(version.error());
  auto lease = acquire();
  return check_newer_schema(*lease, *version);
}

std::string SqlStore::owner_id() {
  std::lock_guard lock(self_mu_);
  return self_ ? self_->instance_id : std::string();
}

Status SqlStore::register_instance(const InstanceRecord& self, EpochMs stale_after_ms) {
  {
    std::lock_guard lock(self_mu_);
    self_ = self;
    stale_after_ms_ = stale_after_ms;
  }
  const EpochMs now = self.heartbeat_at;
  return write([&](Connection& c) -> Status {
    // Rows of instances dead for over a week tell nobody anything any more.
    Query prune(c, "DELETE FROM instances WHERE heartbeat_at < ?");
    prune.bind(format_utc(now - 7 * 24 * 3600 * 1000LL));
    if (auto st = prune.run(); !st) return st;
    Query q(c, kUpsertInstance);
    q.bind(self.instance_id).bind(self.host).bind(static_cast<std::int64_t>(self.pid));
    q.bind(format_utc(self.started_at))
        .bind(format_utc(now))
        .bind(format_utc(now + stale_after_ms));
    q.bind(self.version);
    return q.run();
  });
}

Status SqlStore::ping() {
  std::optional<InstanceRecord> self;
  EpochMs stale_after = 0;
  {
    std::lock_guard lock(self_mu_);
    self = self_;
    stale_after = stale_after_ms_;
  }
  const EpochMs now = SystemClock::instance().now_ms();
  if (!self) {
    // A store nobody registered (the readiness probe of an embedded service): an anonymous
    // instance of this process.
    InstanceRecord anon;
    anon.instance_id = random_hex(8);
    char buf[256] = {};
    anon.host = ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : "unknown";
    anon.pid = ::getpid();
    anon.started_at = now;
    anon.heartbeat_at = now;
    return register_instance(anon, stale_after);
  }
  return write([&](Connection& c) -> Status {
    Query q(c, kUpsertInstance);
    q.bind(self->instance_id).bind(self->host).bind(static_cast<std::int64_t>(self->pid));
    q.bind(format_utc(self->started_at)).bind(format_utc(now)).bind(format_utc(now + stale_after));
    q.bind(self->version);
    return q.run();
  });
}

Status SqlStore::deregister_instance(EpochMs now) {
  const std::string id = owner_id();
  if (id.empty()) return {};
  return write([&](Connection& c) -> Status {
    Query q(c, "UPDATE instances SET stopped_at = ? WHERE instance_id = ?");
    q.bind(format_utc(now)).bind(id);
    return q.run();
  });
}

Result<std::vector<InstanceRecord>> SqlStore::list_instances() {
  auto lease = acquire();
  Query q(*lease, kListInstances);
  return collect<InstanceRecord>(q, [](const Query& r) {
    InstanceRecord i;
    i.instance_id = r.text(0);
    i.host = r.text(1);
    i.pid = r.int64(2);
    i.started_at = time_or_zero(r, 3);
    i.heartbeat_at = time_or_zero(r, 4);
    i.alive_until = time_or_zero(r, 5);  // a row of a build before owners: never alive here
    i.stopped_at = opt_time(r, 6);
    i.version = r.opt_text(7).value_or("");
    return i;
  });
}

Result<std::vector<ConfirmAttempt>> SqlStore::list_orphaned_attempts(EpochMs now, int limit) {
  auto lease = acquire();
  Query q(*lease, kListOrphanedAttempts);
  q.bind(format_utc(now)).bind(limit);
  return collect<ConfirmAttempt>(q, read_attempt);
}

namespace {
// The columns of kSelectCourse and kListCourses, in order.
Course read_course(const Query& q) {
  Course c;
  c.id = q.text(0);
  c.title = q.text(1);
  c.list_price = q.int64(2);
  c.sale_price = q.opt_int64(3);
  c.sale_starts_at = opt_time(q, 4);
  c.sale_ends_at = opt_time(q, 5);
  c.active = q.boolean(6);
  return c;
}
}  // namespace

Result<std::optional<Course>> SqlStore::find_course(const std::string& id) {
  auto lease = acquire();
  Query q(*lease, kSelectCourse);
  q.bind(id);
  return query_one(q, read_course);
}

Result<std::vector<Course>> SqlStore::list_courses() {
  auto lease = acquire();
  Query q(*lease, kListCourses);
  return collect<Course>(q, read_course);
}

namespace {
Coupon read_coupon(const Query& q) {
  Coupon c;
  c.code = q.text(0);
  c.kind = q.text(1) == "PERCENT" ? CouponKind::kPercent : CouponKind::kFixed;
  c.value = q.int64(2);
  c.max_discount = q.opt_int64(3);
  c.min_amount = q.opt_int64(4);
  c.course_id = q.opt_text(5);
  c.starts_at = opt_time(q, 6);
  c.ends_at = opt_time(q, 7);
  c.max_redemptions = q.opt_int64(8);
  c.redemptions = q.int64(9);
  c.active = q.boolean(10);
  return c;
}
}  // namespace

Result<std::optional<Coupon>> SqlStore::find_coupon(const std::string& code) {
  auto lease = acquire();
  Query q(*lease, kSelectCoupon);
  q.bind(code);
  return query_one(q, read_coupon);
}

namespace {

Status upsert_course_on(Connection& c, const Course& course);
Status upsert_coupon_on(Connection& c, const Coupon& coupon);

}  // namespace

Status SqlStore::apply_catalog(const std::vector<Course>& courses,
                               const std::vector<Coupon>& coupons,
                               const std::optional<AuditEntry>& audit) {
  return write([&](Connection& c) -> Status {
    for (size_t i = 0; i < courses.size(); ++i) {
      if (auto st = upsert_course_on(c, courses[i]); !st) {
        return fail(st.error().code,
                    fmt::format("courses[{}] ({}): {}", i, courses[i].id, st.error().detail));
      }
    }
    for (size_t i = 0; i < coupons.size(); ++i) {
      if (auto st = upsert_coupon_on(c, coupons[i]); !st) {
        return fail(st.error().code,
                    fmt::format("coupons[{}] ({}): {}", i, coupons[i].code, st.error().detail));
      }
    }
    if (!audit) return Status{};
    return insert_audit(c, *audit, SystemClock::instance().now_ms());
  });
}

Status SqlStore::upsert_course(const Course& c) {
  return write([&](Connection& conn) -> Status { return upsert_course_on(conn, c); });
}

Status SqlStore::upsert_coupon(const Coupon& c) {
  return write([&](Connection& conn) -> Status { return upsert_coupon_on(conn, c); });
}

namespace {

Status upsert_course_on(Connection& lease, const Course& c) {
  Query q(lease, kUpsertCourse);
  q.bind(c.id)
      .bind(c.title)
      .bind(c.list_price)
      .bind(c.sale_price)
      .bind(opt_format(c.sale_starts_at));
  q.bind(opt_format(c.sale_ends_at))
      .bind(c.active)
      .bind(format_utc(SystemClock::instance().now_ms()));
  return q.run();
}

Status upsert_coupon_on(Connection& lease, const Coupon& c) {
  Query q(lease, kUpsertCoupon);
  q.bind(c.code).bind(c.kind == CouponKind::kPercent ? "PERCENT" : "FIXED").bind(c.value);
  q.bind(c.max_discount).bind(c.min_amount).bind(c.course_id).bind(opt_format(c.starts_at));
  q.bind(opt_format(c.ends_at)).bind(c.max_redemptions).bind(c.active);
  q.bind(format_utc(SystemClock::instance().now_ms()));
  return q.run();
}

}  // namespace

namespace {
Result<std::optional<Flag>> select_flag(Connection& c, const std::string& name) {
  Query q(c, kSelectFlag);
  q.bind(name);
  return query_one(q, [](const Query& r) {
    return Flag{r.text(0), r.text(1), r.opt_text(2).value_or(""), r.opt_text(3).value_or(""),
                time_or_zero(r, 4)};
  });
}
}  // namespace

Result<std::optional<Flag>> SqlStore::find_flag(const std::string& name) {
  auto lease = acquire();
  return select_flag(*lease, name);
}

Status SqlStore::set_flag(const Flag& flag, const AuditEntry& audit) {
  return write([&](Connection& c) -> Status {
    Query q(c, kUpsertFlag);
    q.bind(flag.name)
        .bind(flag.value)
        .bind(flag.reason)
        .bind(flag.actor)
        .bind(format_utc(flag.updated_at));
    if (auto st = q.run(); !st) return st;
    return insert_audit(c, audit, flag.updated_at);
  });
}

Status SqlStore::set_course_active(const std::string& id, bool active, const AuditEntry& audit) {
  const EpochMs now = SystemClock::instance().now_ms();
  return write([&](Connection& c) -> Status {
    Query q(c, kSetCourseActive);
    q.bind(active).bind(format_utc(now)).bind(id);
    if (auto st = q.run(); !st) return st;
    if (q.changes() == 0) return fail(ErrorCode::kCourseNotFound, id);
    return insert_audit(c, audit, now);
  });
}

Result<std::optional<ConfirmAttempt>> SqlStore::find_attempt(const std::string& payment_key) {
  auto lease = acquire();
  return select_attempt(*lease, kSelectAttemptByKey, payment_key);
}

Result<std::optional<ConfirmAttempt>> SqlStore::find_attempt_by_order(const std::string& order_id) {
  auto lease = acquire();
  return select_attempt(*lease, kSelectAttemptByOrder, order_id);
}

namespace {
// confirm_context's look-ups, in order, stopping where the confirm would.
Status read_confirm_context(Connection& c, ConfirmContext& ctx, const std::string& payment_key,
                            const std::string& order_id, const std::string& course_id,
                            const std::optional<std::string>& coupon_code) {
  auto by_key = select_attempt(c, kSelectAttemptByKey, payment_key);
  if (!by_key) return std::unexpected(by_key.error());
  if ((ctx.attempt = std::move(*by_key))) return {};
  auto by_order = select_attempt(c, kSelectAttemptByOrder, order_id);
  if (!by_order) return std::unexpected(by_order.error());
  if ((ctx.attempt_by_order = std::move(*by_order))) return {};
  auto flag = select_flag(c, "payments_enabled");
  if (!flag) return std::unexpected(flag.error());
  ctx.payments_flag = std::move(*flag);
  if (ctx.payments_flag && ctx.payments_flag->value == "off") return {};
  {
    Query q(c, kSelectCourse);
    q.bind(course_id);
    auto course = query_one(q, read_course);
    if (!course) return std::unexpected(course.error());
    ctx.course = std::move(*course);
  }
  if (!ctx.course || !ctx.course->active || !coupon_code) return {};
  Query q(c, kSelectCoupon);
  q.bind(*coupon_code);
  auto coupon = query_one(q, read_coupon);
  if (!coupon) return std::unexpected(coupon.error());
  ctx.coupon = std::move(*coupon);
  return {};
}
}  // namespace

Result<ConfirmContext> SqlStore::confirm_context(const std::string& payment_key,
                                                 const std::string& order_id,
                                                 const std::string& course_id,
                                                 const std::optional<std::string>& coupon_code) {
  auto lease = acquire();
  Connection& c = *lease;
  // One snapshot for all of them (SQLite: one WAL read mark; PostgreSQL: REPEATABLE READ).
  if (auto st = c.exec(std::string(dialect_.begin_read)); !st) return std::unexpected(st.error());
  ConfirmContext ctx;
  if (auto st = read_confirm_context(c, ctx, payment_key, order_id, course_id, coupon_code); !st) {
    (void)c.exec("ROLLBACK");
    return std::unexpected(st.error());
  }
  if (auto st = c.exec("COMMIT"); !st) {
    (void)c.exec("ROLLBACK");
    return std::unexpected(st.error());
  }
  return ctx;
}

Result<bool> SqlStore::has_active_enrollment(const std::string& user_id,
                                             const std::string& course_id) {
  auto lease = acquire();
  Query q(*lease, kActiveEnrollment);
  q.bind(user_id).bind(course_id);
  return q.step();
}

Result<BeginResult> SqlStore::begin_attempt(const ConfirmAttempt& a) {
  // PostgreSQL lets two transactions pass the look-ups at once; the loser's INSERT hits a
  // unique constraint, and a second pass sees the winner's row. SQLite's write lock makes
  // the first pass final.
  for (int pass = 0;; ++pass) {
    auto r = begin_attempt_once(a);
    if (r || pass == 2 || !r.error().detail.starts_with(kUniqueViolation)) return r;
  }
}

Result<BeginResult> SqlStore::begin_attempt_once(const ConfirmAttempt& a) {
  return write([&](Connection& c) -> Result<BeginResult> {
    auto existing = select_attempt(c, kSelectAttemptByKey, a.payment_key);
    if (!existing) return std::unexpected(existing.error());
    if (*existing) return BeginResult{BeginOutcome::kExisting, std::move(*existing)};

    auto by_order = select_attempt(c, kSelectAttemptByOrder, a.order_id);
    if (!by_order) return std::unexpected(by_order.error());
    if (*by_order) {
      // Under PostgreSQL a concurrent duplicate can commit between the two look-ups.
      const bool same = (*by_order)->payment_key == a.payment_key;
      return BeginResult{same ? BeginOutcome::kExisting : BeginOutcome::kOrderTaken,
                         std::move(*by_order)};
    }
    {
      Query q(c, kPaymentByOrder);
      q.bind(a.order_id);
      auto row = q.step();
      if (!row) return std::unexpected(row.error());
      if (*row) return BeginResult{BeginOutcome::kOrderTaken, std::nullopt};
    }
    {
      Query q(c, kLiveEnrollment);
      q.bind(a.user_id).bind(a.course_id);
      auto row = q.step();
      if (!row) return std::unexpected(row.error());
      if (*row) {
        return BeginResult{
            q.text(0) == "PENDING" ? BeginOutcome::kDepositPending : BeginOutcome::kAlreadyEnrolled,
            std::nullopt};
      }
    }
    {
      Query q(c, kOpenAttemptForUser);
      q.bind(a.user_id).bind(a.course_id);
      auto row = q.step();
      if (!row) return std::unexpected(row.error());
      if (*row) {
        if (q.text(0) == a.payment_key) {
          auto same = select_attempt(c, kSelectAttemptByKey, a.payment_key);
          if (!same) return std::unexpected(same.error());
          if (*same) return BeginResult{BeginOutcome::kExisting, std::move(*same)};
        }
        return BeginResult{BeginOutcome::kUserBusy, std::nullopt};
      }
    }
    if (a.coupon_code) {
      Query q(c, kReserveCoupon);
      q.bind(*a.coupon_code);
      if (auto st = q.run(); !st) return std::unexpected(st.error());
      if (q.changes() == 0) return BeginResult{BeginOutcome::kCouponExhausted, std::nullopt};
    }
    Query q(c, kInsertAttempt);
    q.bind(a.payment_key).bind(a.order_id).bind(a.user_id).bind(a.course_id).bind(a.amount);
    q.bind(a.coupon_code)
        .bind(a.fingerprint)
        .bind(a.idempotency_key)
        .bind(a.coupon_code.has_value());
    q.bind(format_utc(a.lease_until)).bind(format_utc(a.created_at)).bind(format_utc(a.created_at));
    const std::string owner = owner_id();
    q.bind(format_utc(a.expires_at)).bind(opt_text_of(owner));
    if (auto st = q.run(); !st) return std::unexpected(st.error());
    return BeginResult{BeginOutcome::kStarted, std::nullopt};
  });
}

Result<bool> SqlStore::claim_attempt(const std::string& payment_key, EpochMs now,
                                     EpochMs lease_until, bool break_lease) {
  return write([&](Connection& c) -> Result<bool> {
    Query q(c, kClaimAttempt);
    // A broken lease compares against the end of time, so any holder loses it.
    const std::string cutoff =
        break_lease ? std::string("9999-12-31T23:59:59.999Z") : format_utc(now);
    q.bind(format_utc(lease_until)).bind(format_utc(now)).bind(opt_text_of(owner_id()));
    q.bind(payment_key).bind(cutoff).bind(format_utc(now));
    if (auto st = q.run(); !st) return std::unexpected(st.error());
    return q.changes() == 1;
  });
}

Status SqlStore::release_attempt(const std::string& payment_key, int toss_calls) {
  return write([&](Connection& c) -> Status {
    Query q(c, kReleaseAttempt);
    q.bind(format_utc(0)).bind(toss_calls).bind(payment_key);
    return q.run();
  });
}

Status SqlStore::complete_attempt(const std::string& payment_key, const Payment& p, int http_status,
                                  const std::string& response, EpochMs now, int toss_calls) {
  const std::string at = format_utc(now);
  return write([&](Connection& c) -> Status {
    {
      Query q(c, kInsertPayment);
      q.bind(p.provider_tx_id).bind(p.order_id).bind(p.user_id).bind(p.course_id).bind(p.amount);
      bind_payment_tail(q, p, at);
      if (auto st = q.run(); !st) return st;
    }
    {
      Query q(c, kInsertEnrollment);
      q.bind(p.provider_tx_id).bind(p.user_id).bind(p.course_id);
      q.bind(p.status == "WAITING_FOR_DEPOSIT" ? "PENDING" : "ACTIVE").bind(at).bind(at);
      if (auto st = q.run(); !st) return st;
    }
    Query q(c, kAttemptDone);
    q.bind(http_status).bind(response).bind(toss_calls).bind(at).bind(at).bind(payment_key);
    return q.run();
  });
}

Status SqlStore::fail_attempt(const std::string& payment_key, const std::string& error_code,
                              int http_status, const std::string& response, EpochMs now,
                              int toss_calls) {
  const std::string at = format_utc(now);
  return write([&](Connection& c) -> Status {
    auto attempt = select_attempt(c, kSelectAttemptByKey, payment_key);
    if (!attempt) return std::unexpected(attempt.error());
    if (!*attempt || (*attempt)->state != AttemptState::kInProgress) return {};
    if ((*attempt)->coupon_reserved && (*attempt)->coupon_code) {
      Query q(c, kReleaseCoupon);
      q.bind(*(*attempt)->coupon_code);
      if (auto st = q.run(); !st) return st;
    }
    Query q(c, kAttemptFailed);
    q.bind(http_status).bind(error_code).bind(response).bind(toss_calls).bind(at).bind(at);
    q.bind(payment_key);
    return q.run();
  });
}

Result<std::optional<Payment>> SqlStore::find_payment(const std::string& payment_key) {
  auto lease = acquire();
  Query q(*lease, kSelectPayment);
  q.bind(payment_key);
  return query_one(q, read_payment);
}

namespace {
Payment read_payment(const Query& q) {
  Payment p;
  p.provider_tx_id = q.text(0);
  p.order_id = q.text(1);
  p.user_id = q.text(2);
  p.course_id = q.text(3);
  p.amount = q.int64(4);
  p.coupon_code = q.opt_text(5);
  p.status = q.text(6);
  p.method = q.opt_text(7).value_or("");
  p.approved_at = q.opt_text(8).value_or("");
  p.source = q.text(9);
  p.va_bank_code = q.opt_text(10).value_or("");
  p.va_account_number = q.opt_text(11).value_or("");
  p.va_customer_name = q.opt_text(12).value_or("");
  p.va_due_date = q.opt_text(13).value_or("");
  p.va_secret = q.opt_text(14).value_or("");
  p.balance_amount = q.opt_int64(15);
  return p;
}
}  // namespace

Result<std::optional<Payment>> SqlStore::find_payment_by_order(const std::string& order_id) {
  auto lease = acquire();
  Query q(*lease, kSelectPaymentByOrder);
  q.bind(order_id);
  return query_one(q, read_payment);
}

Result<std::optional<Enrollment>> SqlStore::find_enrollment(const std::string& payment_key) {
  auto lease = acquire();
  Query q(*lease, kSelectEnrollment);
  q.bind(payment_key);
  return query_one(q, [](const Query& r) {
    return Enrollment{r.text(0), r.text(1), r.text(2), r.text(3)};
  });
}

Result<InjectOutcome> SqlStore::inject_payment(const Payment& p, EpochMs now,
                                               const AuditEntry& audit) {
  const std::string at = format_utc(now);
  return write([&](Connection& c) -> Result<InjectOutcome> {
    auto exists = [&](std::string_view sql, auto&&... args) -> Result<bool> {
      Query q(c, sql);
      (q.bind(args), ...);
      return q.step();
    };
    struct Rule {
      std::string_view sql;
      std::string a, b;
      InjectOutcome outcome;
    };
    const Rule rules[] = {
        {"SELECT 1 FROM payments WHERE provider_tx_id = ?", p.provider_tx_id, "",
         InjectOutcome::kKeyTaken},
        {"SELECT 1 FROM payments WHERE order_id = ?", p.order_id, "", InjectOutcome::kOrderTaken},
        {"SELECT 1 FROM confirm_attempts WHERE (payment_key = ? OR order_id = ?) AND state = "
         "'IN_PROGRESS'",
         p.provider_tx_id, p.order_id, InjectOutcome::kAttemptOpen},
        {kLiveEnrollment, p.user_id, p.course_id, InjectOutcome::kAlreadyEnrolled},
    };
    for (const Rule& r : rules) {
      auto hit = r.b.empty() ? exists(r.sql, r.a) : exists(r.sql, r.a, r.b);
      if (!hit) return std::unexpected(hit.error());
      if (*hit) return r.outcome;
    }
    {
      Query q(c, kInsertPayment);
      q.bind(p.provider_tx_id).bind(p.order_id).bind(p.user_id).bind(p.course_id).bind(p.amount);
      bind_payment_tail(q, p, at);
      if (auto st = q.run(); !st) return std::unexpected(st.error());
      if (q.changes() != 1) return InjectOutcome::kKeyTaken;
    }
    {
      Query q(c, kInsertEnrollment);
      q.bind(p.provider_tx_id).bind(p.user_id).bind(p.course_id);
      q.bind(p.status == "WAITING_FOR_DEPOSIT" ? "PENDING" : "ACTIVE").bind(at).bind(at);
      if (auto st = q.run(); !st) return std::unexpected(st.error());
    }
    if (auto st = insert_audit(c, audit, now); !st) return std::unexpected(st.error());
    return InjectOutcome::kInjected;
  });
}

Result<bool> SqlStore::forced_injection(const std::string& payment_key) {
  auto lease = acquire();
  Query q(*lease, kForcedInjection);
  q.bind(payment_key)
      .bind(mask_payment_key(payment_key))
      .bind("%\"target_sha256\":\"" + sha256_hex(payment_key) + "\"%");
  return q.step();
}

Status SqlStore::append_audit(const AuditEntry& entry, EpochMs now) {
  return write([&](Connection& c) -> Status { return insert_audit(c, entry, now); });
}

Result<std::vector<AuditRow>> SqlStore::list_audit(int limit) {
  auto lease = acquire();
  Query q(*lease, kListAudit);
  q.bind(limit);
  return collect<AuditRow>(q, read_audit);
}

Status SqlStore::record_alert(const AlertRow& row) {
  return write([&](Connection& c) -> Status {
    Query q(c, kInsertAlert);
    q.bind(format_utc(row.at)).bind(row.rule).bind(row.state).bind(row.summary).bind(row.labels);
    return q.run();
  });
}

Result<std::vector<AlertRow>> SqlStore::list_alerts(EpochMs since, int limit) {
  auto lease = acquire();
  Query q(*lease, kListAlerts);
  q.bind(format_utc(since)).bind(limit);
  return collect<AlertRow>(q, [](const Query& r) {
    return AlertRow{parse_rfc3339(r.text(0)).value_or(0), r.text(1), r.text(2), r.text(3),
                    r.text(4)};
  });
}

Result<std::vector<AuditRow>> SqlStore::audit_between(EpochMs since, EpochMs until, int limit) {
  auto lease = acquire();
  Query q(*lease, kAuditBetween);
  q.bind(format_utc(since)).bind(format_utc(until)).bind(limit);
  return collect<AuditRow>(q, read_audit);
}

Result<StoreCounts> SqlStore::counts() {
  auto lease = acquire();
  Query q(*lease,
          "SELECT (SELECT COUNT(*) FROM payments), "
          "(SELECT COUNT(*) FROM enrollments WHERE status = 'ACTIVE'), "
          "(SELECT COUNT(*) FROM confirm_attempts), "
          "(SELECT COUNT(*) FROM confirm_attempts WHERE state = 'IN_PROGRESS'), "
          "(SELECT COUNT(*) FROM payments WHERE status = 'WAITING_FOR_DEPOSIT')");
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  return StoreCounts{q.int64(0), q.int64(1), q.int64(2), q.int64(3), q.int64(4)};
}

Result<std::vector<ConfirmAttempt>> SqlStore::list_attempts(AttemptState state,
                                                            EpochMs updated_before, int limit) {
  auto lease = acquire();
  Query q(*lease, kListAttempts);
  q.bind(to_string(state)).bind(format_utc(updated_before)).bind(limit);
  return collect<ConfirmAttempt>(q, read_attempt);
}

Result<std::vector<Payment>> SqlStore::list_payments(int limit) {
  auto lease = acquire();
  Query q(*lease, kListPayments);
  q.bind(limit);
  return collect<Payment>(q, read_payment);
}

Result<std::vector<Violation>> SqlStore::local_violations() {
  auto lease = acquire();
  std::vector<Violation> out;
  for (const auto& check : kLocalChecks) {
    Query q(*lease, check.sql);
    while (true) {
      auto row = q.step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back(Violation{std::string(check.kind), q.text(0), q.text(1)});
    }
  }
  return out;
}

namespace {
#define PAYEDGE_WEBHOOK_COLUMNS                                                                 \
  "id, event_type, payment_key, order_id, transmission_time, body, request_id, ip, ua, state, " \
  "outcome, attempts, received_at, next_attempt_at"
// Query keeps a view of its SQL: these live as long as the program.
constexpr std::string_view kSelectWebhookEvent =
    "SELECT " PAYEDGE_WEBHOOK_COLUMNS " FROM webhook_events WHERE id = ?";
constexpr std::string_view kDueWebhookEvents =
    "SELECT " PAYEDGE_WEBHOOK_COLUMNS
    " FROM webhook_events WHERE state = 'pending' AND next_attempt_at <= ? "
    "ORDER BY next_attempt_at, received_at LIMIT ?";
#undef PAYEDGE_WEBHOOK_COLUMNS

std::optional<WebhookState> parse_webhook_state(std::string_view s) {
  if (s == "pending") return WebhookState::kPending;
  if (s == "done") return WebhookState::kDone;
  if (s == "failed") return WebhookState::kFailed;
  return std::nullopt;
}

WebhookEvent read_webhook_event(const Query& q) {
  WebhookEvent e;
  e.id = q.text(0);
  e.event_type = q.text(1);
  e.payment_key = q.opt_text(2).value_or("");
  e.order_id = q.opt_text(3).value_or("");
  e.transmission_time = q.opt_text(4).value_or("");
  e.body = q.text(5);
  e.request_id = q.opt_text(6).value_or("");
  e.ip = q.opt_text(7).value_or("");
  e.ua = q.opt_text(8).value_or("");
  e.state = parse_webhook_state(q.text(9)).value_or(WebhookState::kDone);
  e.outcome = q.opt_text(10).value_or("");
  e.attempts = static_cast<int>(q.int64(11));
  e.received_at = time_or_zero(q, 12);
  e.next_attempt_at = time_or_zero(q, 13);
  return e;
}
}  // namespace

std::string_view to_string(WebhookState s) {
  switch (s) {
    case WebhookState::kPending:
      return "pending";
    case WebhookState::kDone:
      return "done";
    case WebhookState::kFailed:
      return "failed";
  }
  return "?";
}

Result<WebhookInsert> SqlStore::insert_webhook_event(const WebhookEvent& e) {
  return write([&](Connection& c) -> Result<WebhookInsert> {
    Query ins(c,
              "INSERT INTO webhook_events (id, event_type, payment_key, order_id, "
              "transmission_time, body, request_id, ip, ua, state, outcome, attempts, "
              "received_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) "
              "ON CONFLICT (id) DO NOTHING");
    ins.bind(e.id)
        .bind(e.event_type)
        .bind(e.payment_key)
        .bind(e.order_id)
        .bind(e.transmission_time)
        .bind(e.body)
        .bind(e.request_id)
        .bind(e.ip)
        .bind(e.ua)
        .bind(to_string(e.state))
        .bind(e.outcome)
        .bind(format_utc(e.received_at))
        .bind(format_utc(e.next_attempt_at));
    if (auto st = ins.run(); !st) return std::unexpected(st.error());
    WebhookInsert out;
    out.inserted = ins.changes() > 0;
    if (!out.inserted) {
      Query q(c, kSelectWebhookEvent);
      q.bind(e.id);
      auto row = q.step();
      if (!row) return std::unexpected(row.error());
      if (*row) out.existing = read_webhook_event(q);
    }
    return out;
  });
}

Result<std::vector<WebhookEvent>> SqlStore::due_webhook_events(EpochMs now, int limit) {
  auto lease = acquire();
  Query q(*lease, kDueWebhookEvents);
  q.bind(format_utc(now)).bind(limit);
  return collect<WebhookEvent>(q, read_webhook_event);
}

Result<bool> SqlStore::claim_webhook_event(const std::string& id, EpochMs now,
                                           EpochMs lease_until) {
  return write([&](Connection& c) -> Result<bool> {
    Query q(c,
            "UPDATE webhook_events SET attempts = attempts + 1, next_attempt_at = ? "
            "WHERE id = ? AND state = 'pending' AND next_attempt_at <= ?");
    q.bind(format_utc(lease_until)).bind(id).bind(format_utc(now));
    if (auto st = q.run(); !st) return std::unexpected(st.error());
    return q.changes() > 0;
  });
}

Status SqlStore::finish_webhook_event(const std::string& id, WebhookState state,
                                      const std::string& outcome, EpochMs now) {
  return write([&](Connection& c) -> Status {
    Query q(c, "UPDATE webhook_events SET state = ?, outcome = ?, processed_at = ? WHERE id = ?");
    q.bind(to_string(state)).bind(outcome).bind(format_utc(now)).bind(id);
    return q.run();
  });
}

Status SqlStore::retry_webhook_event(const std::string& id, const std::string& outcome,
                                     EpochMs next_attempt_at) {
  return write([&](Connection& c) -> Status {
    Query q(c, "UPDATE webhook_events SET outcome = ?, next_attempt_at = ? WHERE id = ?");
    q.bind(outcome).bind(format_utc(next_attempt_at)).bind(id);
    return q.run();
  });
}

Result<bool> SqlStore::record_partial_cancel(const std::string& payment_key, Krw balance_amount,
                                             EpochMs now, const AuditEntry& audit) {
  return write([&](Connection& c) -> Result<bool> {
    Query pay(c,
              "UPDATE payments SET status = 'PARTIAL_CANCELED', balance_amount = ?, updated_at = ? "
              "WHERE provider_tx_id = ? AND status IN ('DONE', 'PARTIAL_CANCELED') AND "
              "(balance_amount IS NULL OR balance_amount <> ?)");
    pay.bind(balance_amount).bind(format_utc(now)).bind(payment_key).bind(balance_amount);
    if (auto st = pay.run(); !st) return std::unexpected(st.error());
    const bool changed = pay.changes() > 0;
    if (changed) {
      if (auto st = insert_audit(c, audit, now); !st) return std::unexpected(st.error());
    }
    return changed;
  });
}

Result<bool> SqlStore::cancel_payment(const std::string& payment_key, const std::string& status,
                                      EpochMs now, const AuditEntry& audit) {
  const std::string at = format_utc(now);
  return write([&](Connection& c) -> Result<bool> {
    Query pay(
        c,
        "UPDATE payments SET status = ?, updated_at = ? WHERE provider_tx_id = ? AND status <> ?");
    pay.bind(status).bind(at).bind(payment_key).bind(status);
    if (auto st = pay.run(); !st) return std::unexpected(st.error());
    Query enr(
        c,
        "UPDATE enrollments SET status = 'CANCELLED', updated_at = ? WHERE payment_key = ? AND "
        "status = 'ACTIVE'");
    enr.bind(at).bind(payment_key);
    if (auto st = enr.run(); !st) return std::unexpected(st.error());
    const bool changed = pay.changes() > 0 || enr.changes() > 0;
    if (changed) {
      if (auto st = insert_audit(c, audit, now); !st) return std::unexpected(st.error());
    }
    return changed;
  });
}

Result<int> SqlStore::advance_attempt_key(const std::string& payment_key) {
  return write([&](Connection& c) -> Result<int> {
    Query up(c,
             "UPDATE confirm_attempts SET key_seq = key_seq + 1 WHERE payment_key = ? AND state = "
             "'IN_PROGRESS'");
    up.bind(payment_key);
    if (auto st = up.run(); !st) return std::unexpected(st.error());
    if (up.changes() != 1) return fail(ErrorCode::kInternal, "no open attempt to advance");
    Query q(c, "SELECT key_seq FROM confirm_attempts WHERE payment_key = ?");
    q.bind(payment_key);
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    return static_cast<int>(q.int64(0));
  });
}

Result<bool> SqlStore::settle_deposit(const std::string& payment_key,
                                      const std::string& approved_at, EpochMs now,
                                      const AuditEntry& audit) {
  const std::string at = format_utc(now);
  return write([&](Connection& c) -> Result<bool> {
    Query pay(c,
              "UPDATE payments SET status = 'DONE', approved_at = ?, updated_at = ? WHERE "
              "provider_tx_id = ? AND status = 'WAITING_FOR_DEPOSIT'");
    pay.bind(approved_at).bind(at).bind(payment_key);
    if (auto st = pay.run(); !st) return std::unexpected(st.error());
    if (pay.changes() == 0) return false;
    Query enr(c,
              "UPDATE enrollments SET status = 'ACTIVE', updated_at = ? WHERE payment_key = ? AND "
              "status = 'PENDING'");
    enr.bind(at).bind(payment_key);
    if (auto st = enr.run(); !st) return std::unexpected(st.error());
    if (enr.changes() != 1) return fail(ErrorCode::kInternal, "no PENDING enrollment to activate");
    if (auto st = insert_audit(c, audit, now); !st) return std::unexpected(st.error());
    return true;
  });
}

Result<bool> SqlStore::close_deposit(const std::string& payment_key, const std::string& status,
                                     EpochMs now, const AuditEntry& audit) {
  if (status != "EXPIRED" && status != "CANCELED")
    return fail(ErrorCode::kInternal, "close_deposit: status must be EXPIRED or CANCELED");
  const std::string at = format_utc(now);
  return write([&](Connection& c) -> Result<bool> {
    Query pay(c,
              "UPDATE payments SET status = ?, updated_at = ? WHERE provider_tx_id = ? AND status "
              "= 'WAITING_FOR_DEPOSIT'");
    pay.bind(status).bind(at).bind(payment_key);
    if (auto st = pay.run(); !st) return std::unexpected(st.error());
    if (pay.changes() == 0) return false;
    Query enr(c,
              "UPDATE enrollments SET status = 'CANCELLED', updated_at = ? WHERE payment_key = ? "
              "AND status = 'PENDING'");
    enr.bind(at).bind(payment_key);
    if (auto st = enr.run(); !st) return std::unexpected(st.error());
    // The coupon redemption the attempt reserved goes back, once.
    auto attempt = select_attempt(c, kSelectAttemptByKey, payment_key);
    if (!attempt) return std::unexpected(attempt.error());
    if (*attempt && (*attempt)->coupon_reserved && (*attempt)->coupon_code) {
      Query rel(c, kReleaseCoupon);
      rel.bind(*(*attempt)->coupon_code);
      if (auto st = rel.run(); !st) return std::unexpected(st.error());
      Query unreserve(c,
                      "UPDATE confirm_attempts SET coupon_reserved = FALSE, updated_at = ? WHERE "
                      "payment_key = ?");
      unreserve.bind(at).bind(payment_key);
      if (auto st = unreserve.run(); !st) return std::unexpected(st.error());
    }
    if (auto st = insert_audit(c, audit, now); !st) return std::unexpected(st.error());
    return true;
  });
}

Result<std::vector<Payment>> SqlStore::list_waiting_deposits(int limit) {
  auto lease = acquire();
  Query q(*lease, kListWaitingDeposits);
  q.bind(limit);
  return collect<Payment>(q, read_payment);
}

std::string mask_account_number(std::string_view number) {
  // Enough to recognise the account on a support call, not enough to pay into it.
  std::string out(number);
  const size_t keep_head = std::min<size_t>(4, out.size() / 3);
  const size_t keep_tail = std::min<size_t>(2, out.size() / 4);
  for (size_t i = keep_head; i + keep_tail < out.size(); ++i) out[i] = '*';
  return out;
}

namespace {

// PAYEDGE_SECRETS_KEY, read once: nullopt when unset; an error when set but not a key.
const Result<std::optional<std::string>>& secrets_key() {
  static const Result<std::optional<std::string>> key = []() -> Result<std::optional<std::string>> {
    const char* env = std::getenv("PAYEDGE_SECRETS_KEY");
    if (!env || !*env) return std::nullopt;
    auto parsed = parse_secrets_key(env);
    if (!parsed) return std::unexpected(parsed.error());
    return std::optional<std::string>(*parsed);
  }();
  return key;
}

}  // namespace

Result<std::vector<StoredSecret>> SqlStore::webhook_secrets(int limit) {
  const auto& key = secrets_key();
  auto lease = acquire();
  Query q(*lease,
          "SELECT secret, created_at, retire_at FROM webhook_secrets ORDER BY id DESC LIMIT ?");
  q.bind(limit);
  std::vector<StoredSecret> out;
  while (true) {
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    std::string secret = q.text(0);
    if (is_sealed(secret)) {  // encrypted at rest: needs the key (older rows may be plain)
      if (!key) return std::unexpected(key.error());
      if (!*key) {
        return fail(ErrorCode::kInternal,
                    "webhook secrets are encrypted at rest: set PAYEDGE_SECRETS_KEY");
      }
      auto opened = open_secret(**key, secret);
      if (!opened) return std::unexpected(opened.error());
      secret = std::move(*opened);
    }
    out.push_back(StoredSecret{std::move(secret), time_or_zero(q, 1), opt_time(q, 2)});
  }
}

Status SqlStore::add_webhook_secret(const std::string& secret, EpochMs now,
                                    EpochMs previous_retire_at, const AuditEntry& audit) {
  const auto& key = secrets_key();
  if (!key) return std::unexpected(key.error());
  // Sealed when a key is set; without one (development) stored as it is — DEPLOY.md says why
  // production sets the key.
  const std::string stored = *key ? seal_secret(**key, secret) : secret;
  return write([&](Connection& c) -> Status {
    Query retire(c, "UPDATE webhook_secrets SET retire_at = ? WHERE retire_at IS NULL");
    retire.bind(format_utc(previous_retire_at));
    if (auto st = retire.run(); !st) return st;
    Query add(c, "INSERT INTO webhook_secrets (secret, created_at, retire_at) VALUES (?, ?, NULL)");
    add.bind(stored).bind(format_utc(now));
    if (auto st = add.run(); !st) return st;
    return insert_audit(c, audit, now);
  });
}

std::string store_url_problem(const std::string& url) {
  for (std::string_view scheme : {"sqlite://", "postgresql://", "postgres://"}) {
    if (url.starts_with(scheme)) {
      if (url.size() == scheme.size()) return "--store " + url + ": nothing after the scheme";
      return {};
    }
  }
  if (url.empty()) return "--store is empty: give sqlite:///path/payedge.db or postgresql://…";
  return "--store must be a URL with a scheme (sqlite:///path/payedge.db or postgresql://…), "
         "not \"" +
         url + "\"";
}

Result<std::unique_ptr<Store>> open_store(const std::string& url, int pool_size,
                                          int busy_timeout_ms, const std::string& schema,
                                          bool read_only) {
  std::vector<std::unique_ptr<SqlConnection>> connections;
  const int n = std::max(1, pool_size);
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    for (int i = 0; i < n; ++i) {
      auto conn = PgConnection::open(url, schema);
      if (!conn) return std::unexpected(conn.error());
      connections.push_back(std::move(*conn));
    }
    return std::unique_ptr<Store>(new SqlStore(kPostgresDialect, std::move(connections)));
  }
  if (schema != "public") {
    return fail(ErrorCode::kInvalidRequest,
                "[store] schema = \"" + schema + "\" needs PostgreSQL; SQLite has no schemas");
  }
  std::string path = url;
  if (url.starts_with("sqlite://"))
    path = url.substr(9);  // sqlite:///abs → /abs; sqlite://rel → rel
  if (path.empty()) return fail(ErrorCode::kInternal, "empty store path");
  if (read_only && !std::filesystem::exists(path)) {
    return fail(ErrorCode::kInternal, "no store at " + path + " (nothing was created)");
  }
  for (int i = 0; i < n; ++i) {
    auto conn = sqlite::SqliteConnection::open(path, busy_timeout_ms, read_only);
    if (!conn) return std::unexpected(conn.error());
    connections.push_back(std::move(*conn));
  }
  return std::unique_ptr<Store>(new SqlStore(kSqliteDialect, std::move(connections)));
}

}  // namespace payedge
