#include "store/migrations.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

namespace payedge {
namespace {

constexpr std::string_view kInitial = R"SQL(
CREATE TABLE courses (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  list_price BIGINT NOT NULL CHECK (list_price >= 0),
  sale_price BIGINT NULL CHECK (sale_price IS NULL OR sale_price >= 0),
  sale_starts_at TEXT NULL,
  sale_ends_at TEXT NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  updated_at TEXT NOT NULL
);
CREATE TABLE coupons (
  code TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('PERCENT', 'FIXED')),
  value BIGINT NOT NULL CHECK (value >= 0),
  max_discount BIGINT NULL,
  min_amount BIGINT NULL,
  course_id TEXT NULL,
  starts_at TEXT NULL,
  ends_at TEXT NULL,
  max_redemptions BIGINT NULL,
  redemptions BIGINT NOT NULL DEFAULT 0 CHECK (redemptions >= 0),
  active BOOLEAN NOT NULL DEFAULT TRUE,
  updated_at TEXT NOT NULL,
  CHECK (max_redemptions IS NULL OR redemptions <= max_redemptions)
);
CREATE TABLE payments (
  provider_tx_id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  course_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  coupon_code TEXT NULL,
  status TEXT NOT NULL CHECK (status IN ('DONE', 'CANCELED', 'PARTIAL_CANCELED')),
  method TEXT NULL,
  approved_at TEXT NULL,
  source TEXT NOT NULL CHECK (source IN ('confirm', 'webhook', 'reconcile', 'manual')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX payments_user_course ON payments (user_id, course_id);
CREATE TABLE enrollments (
  payment_key TEXT PRIMARY KEY REFERENCES payments (provider_tx_id),
  user_id TEXT NOT NULL,
  course_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'CANCELLED')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX enrollments_one_active ON enrollments (user_id, course_id) WHERE status = 'ACTIVE';
CREATE TABLE confirm_attempts (
  payment_key TEXT PRIMARY KEY,
  order_id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  course_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  coupon_code TEXT NULL,
  fingerprint TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('IN_PROGRESS', 'DONE', 'FAILED')),
  coupon_reserved BOOLEAN NOT NULL DEFAULT FALSE,
  http_status INTEGER NULL,
  error_code TEXT NULL,
  response TEXT NULL,
  toss_calls INTEGER NOT NULL DEFAULT 0,
  lease_until TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE UNIQUE INDEX confirm_attempts_one_open ON confirm_attempts (user_id, course_id) WHERE state = 'IN_PROGRESS';
CREATE INDEX confirm_attempts_state ON confirm_attempts (state, updated_at);
CREATE TABLE flags (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  reason TEXT NULL,
  actor TEXT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE audit_log (
  id {{ID}},
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NULL,
  reason TEXT NULL,
  details TEXT NULL
);
CREATE TABLE webhook_events (
  id TEXT PRIMARY KEY,
  event_type TEXT NOT NULL,
  payment_key TEXT NULL,
  received_at TEXT NOT NULL,
  transmission_time TEXT NULL,
  body TEXT NOT NULL,
  outcome TEXT NULL
);
CREATE TABLE alerts (
  id {{ID}},
  at TEXT NOT NULL,
  rule TEXT NOT NULL,
  state TEXT NOT NULL,
  summary TEXT NULL,
  labels TEXT NULL
);
INSERT INTO flags (name, value, reason, actor, updated_at)
  VALUES ('payments_enabled', 'on', 'initial', 'migrate', '1970-01-01T00:00:00.000Z')
)SQL";

constexpr std::string_view kWebhookSecrets = R"SQL(
CREATE TABLE webhook_secrets (
  id {{ID}},
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  retire_at TEXT NULL
);
CREATE INDEX webhook_events_payment ON webhook_events (payment_key, received_at)
)SQL";

// Virtual accounts (SPEC 2 and 6): payments may wait for a deposit or expire, an enrollment may
// be PENDING, and at most one ACTIVE or PENDING enrollment per (user, course). Neither SQLite
// nor a portable ALTER can change a CHECK, so both tables are rebuilt: copy into new tables,
// drop the old ones (child first), rename. SQLite ≥ 3.26 rewrites the enrollments' foreign key
// on the rename; PostgreSQL keeps it by table identity. The attempt gets its Idempotency-Key
// counter (`key_seq`: 0 is the first key, n the key "<first>-n").
constexpr std::string_view kVirtualAccounts = R"SQL(
CREATE TABLE payments_v3 (
  provider_tx_id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  course_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  coupon_code TEXT NULL,
  status TEXT NOT NULL CHECK (status IN ('WAITING_FOR_DEPOSIT', 'DONE', 'CANCELED', 'PARTIAL_CANCELED', 'EXPIRED')),
  method TEXT NULL,
  approved_at TEXT NULL,
  source TEXT NOT NULL CHECK (source IN ('confirm', 'webhook', 'reconcile', 'manual')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  va_bank_code TEXT NULL,
  va_account_number TEXT NULL,
  va_customer_name TEXT NULL,
  va_due_date TEXT NULL,
  va_secret TEXT NULL
);
INSERT INTO payments_v3 (provider_tx_id, order_id, user_id, course_id, amount, coupon_code, status,
  method, approved_at, source, created_at, updated_at)
  SELECT provider_tx_id, order_id, user_id, course_id, amount, coupon_code, status, method,
    approved_at, source, created_at, updated_at FROM payments;
CREATE TABLE enrollments_v3 (
  payment_key TEXT PRIMARY KEY REFERENCES payments_v3 (provider_tx_id),
  user_id TEXT NOT NULL,
  course_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'CANCELLED')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
INSERT INTO enrollments_v3 (payment_key, user_id, course_id, status, created_at, updated_at)
  SELECT payment_key, user_id, course_id, status, created_at, updated_at FROM enrollments;
DROP TABLE enrollments;
DROP TABLE payments;
ALTER TABLE payments_v3 RENAME TO payments;
ALTER TABLE enrollments_v3 RENAME TO enrollments;
CREATE INDEX payments_user_course ON payments (user_id, course_id);
CREATE INDEX payments_waiting ON payments (status, va_due_date);
CREATE UNIQUE INDEX enrollments_one_live ON enrollments (user_id, course_id) WHERE status IN ('ACTIVE', 'PENDING');
ALTER TABLE confirm_attempts ADD COLUMN key_seq INTEGER NOT NULL DEFAULT 0
)SQL";

// Webhooks are answered once stored and processed afterwards (SPEC 6): each event keeps its
// processing state, its retry schedule and who sent it (for the forged-webhook alert's top
// IPs/UAs when a refusal is only known after the re-fetch). A partial refund keeps the
// payment and records what is left of it.
constexpr std::string_view kWebhookProcessing = R"SQL(
ALTER TABLE webhook_events ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
ALTER TABLE webhook_events ADD COLUMN order_id TEXT NULL;
ALTER TABLE webhook_events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN next_attempt_at TEXT NULL;
ALTER TABLE webhook_events ADD COLUMN processed_at TEXT NULL;
ALTER TABLE webhook_events ADD COLUMN request_id TEXT NULL;
ALTER TABLE webhook_events ADD COLUMN ip TEXT NULL;
ALTER TABLE webhook_events ADD COLUMN ua TEXT NULL;
CREATE INDEX webhook_events_due ON webhook_events (state, next_attempt_at);
ALTER TABLE payments ADD COLUMN balance_amount BIGINT NULL
)SQL";

// Each serving process, with the heartbeat /readyz writes (a real committed write: a full
// disk, a corrupt page or a missing table makes it fail, and the instance unready).
constexpr std::string_view kInstances = R"SQL(
CREATE TABLE instances (
  instance_id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
)
)SQL";

// Leases of dead instances (issue 14): an attempt names the instance that holds its lease, and
// an instance says until when it counts as alive (its last heartbeat plus its own staleness
// limit) and when it stopped cleanly. Additive only: an older binary writes no owner (its
// leases run out the old way) and no alive_until.
constexpr std::string_view kAttemptOwners = R"SQL(
ALTER TABLE confirm_attempts ADD COLUMN owner TEXT NULL;
ALTER TABLE instances ADD COLUMN alive_until TEXT NULL;
ALTER TABLE instances ADD COLUMN stopped_at TEXT NULL;
ALTER TABLE instances ADD COLUMN version TEXT NULL;
CREATE INDEX confirm_attempts_owner ON confirm_attempts (owner) WHERE state = 'IN_PROGRESS'
)SQL";

// Expand/contract bookkeeping: whether each migration only added (see migrations.h), so that
// an older build can tell whether it may run against a newer schema.
constexpr std::string_view kMigrationKinds = R"SQL(
ALTER TABLE schema_migrations ADD COLUMN expand BOOLEAN NOT NULL DEFAULT FALSE
)SQL";

constexpr std::array<Migration, 7> kMigrations{{
    {1, "initial", kInitial, false},
    {2, "webhook_secrets", kWebhookSecrets, true},
    {3, "virtual_accounts", kVirtualAccounts, false},  // rebuilds payments and enrollments
    {4, "webhook_processing", kWebhookProcessing, true},
    {5, "instances", kInstances, true},
    {6, "attempt_owners", kAttemptOwners, true},
    {7, "migration_kinds", kMigrationKinds, true},
}};

// PAYEDGE_SCHEMA_VERSION=N: how many of kMigrations this process knows (all without it).
std::size_t known_migrations() {
  const char* v = std::getenv("PAYEDGE_SCHEMA_VERSION");
  if (!v || !*v) return kMigrations.size();
  int n = 0;
  const auto [end, ec] = std::from_chars(v, v + std::strlen(v), n);
  if (ec != std::errc() || *end != '\0' || n < 1) return kMigrations.size();
  std::size_t count = 0;
  while (count < kMigrations.size() && kMigrations[count].version <= n) ++count;
  return count;
}

}  // namespace

std::span<const Migration> all_migrations() {
  static const std::size_t known = known_migrations();
  return std::span<const Migration>(kMigrations).first(known);
}

int latest_schema_version() {
  int latest = 0;
  for (const auto& m : all_migrations()) latest = std::max(latest, m.version);
  return latest;
}

Status check_schema_version(int store_version, bool newer_are_expand) {
  const int latest = latest_schema_version();
  if (store_version <= latest || newer_are_expand) return {};
  return fail(ErrorCode::kInternal,
              "the store is at schema version " + std::to_string(store_version) +
                  ", newer than this binary's " + std::to_string(latest) +
                  ", and not every newer migration is expand-only: it was migrated by a newer "
                  "payedge; run that version or a newer one (migrations are forward-only)");
}

}  // namespace payedge
