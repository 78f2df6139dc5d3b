// payedge.toml (SPEC section 10): every setting has a default that works for `demo`;
// secrets come only from the environment.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace payedge {

struct ServerConfig {
  std::string environment = "development";  // or "production" (SPEC 10)
  std::string listen = "127.0.0.1:8080";
  int io_threads = 1;
  int store_threads = 16;  // blocked store calls: as many writes as may share one commit
  size_t max_body_bytes = 16 * 1024;
  int read_timeout_ms = 10'000;  // per request: header and body
  int idle_timeout_ms = 30'000;  // keep-alive between requests
  int max_connections = 2048;
  // Per-client token buckets (0 disables): confirms and webhooks counted apart.
  double confirm_rate_per_s = 5;
  int confirm_burst = 20;
  double webhook_rate_per_s = 50;
  int webhook_burst = 200;
  // Behind load balancers: their addresses (CIDRs). The client is the rightmost
  // X-Forwarded-For address that is not one of them; empty: X-Forwarded-For is ignored.
  // (Replaces trust_forwarded_for, which believed the client-written first entry.)
  std::vector<std::string> trusted_proxies;
  // Access-Control-Allow-Origin of /functions/v1/*: "*" or the front end's origins.
  std::vector<std::string> cors_origins = {"*"};
  // Several instances on one store (issue 14): each writes a heartbeat into `instances` this
  // often, from its own timer; one whose heartbeat is older than heartbeat_stale_ms is dead,
  // and the confirm attempts it held are taken over without waiting out their lease.
  int heartbeat_interval_ms = 5'000;
  int heartbeat_stale_ms = 15'000;  // 3x the interval: two lost heartbeats are not a death
  // SIGTERM: /readyz answers 503 at once; requests are still served for this long, so that a
  // load balancer sees it and stops sending; then accepting stops and in-flight requests
  // finish (bounded by drain_timeout_ms).
  int shutdown_delay_ms = 0;
  int drain_timeout_ms = 10'000;
};

struct StoreConfig {
  std::string url = "sqlite://payedge.db";
  int pool_size = 4;
  int busy_timeout_ms = 5000;
  bool auto_migrate = true;
  // PostgreSQL: payedge's tables live in this schema (created by migrate), beside Supabase's
  // own tables in `public`. SQLite has no schemas: anything but "public" is refused there.
  std::string schema = "public";
};

struct TossConfig {
  // https:// (the real Toss: https://api.tosspayments.com), or http:// to a loopback address only.
  std::string base_url = "http://127.0.0.1:8081";
  std::string ca_file;  // PEM CAs to trust instead of the system store (the simulator's ca.pem)
  int attempt_timeout_ms = 3000;  // one HTTP exchange with Toss
  int deadline_ms = 8000;         // all tries of one confirm together
  int max_attempts = 4;
  int backoff_base_ms = 100;
  int backoff_max_ms = 2000;
  bool allow_test_keys = false;  // production may run with a test_ key only when set
};

// Supabase user tokens (SPEC 4): HS256 with SUPABASE_JWT_SECRET, ES256/RS256 with the
// project's JWKS (https://supabase.com/docs/guides/auth/signing-keys).
struct AuthConfig {
  int clock_skew_s = 30;
  std::string jwks_url;         // https://<ref>.supabase.co/auth/v1/.well-known/jwks.json
  std::string jwks_file;        // or the same document from a file
  int jwks_refresh_s = 600;     // the cached keys are fetched again this often
  int jwks_min_refresh_s = 30;  // a token with an unknown kid fetches at most this often
  std::vector<std::string> algorithms = {"HS256", "ES256", "RS256"};
  std::vector<std::string> audiences = {"authenticated"};
  std::vector<std::string> roles = {"authenticated"};
  std::string issuer;            // empty: not checked; e.g. https://<ref>.supabase.co/auth/v1
  bool allow_anonymous = false;  // anonymous sign-ins (is_anonymous: true) may not pay
};

struct WebhookConfig {
  int tolerance_s = 300;
  int rotation_grace_h = 24;      // how long the previous secret is accepted after a rotation
  int rotation_period_days = 90;  // when `check weekly` says the next rotation is due
  // Processing of stored events (re-fetch and apply) after the 200: bounded retries.
  int max_attempts = 10;
  int retry_base_ms = 1000;     // 1 s, 2 s, 4 s, … between attempts
  int retry_max_ms = 600'000;   // capped at 10 min
  int poll_interval_ms = 1000;  // how often due events are looked for without a wake-up
};

struct IdempotencyConfig {
  int result_ttl_days = 15;         // Toss keeps its Idempotency-Keys 15 days
  int wait_ms = 3000;               // how long a duplicate waits for the first confirm in-process
  int lease_ms = 30'000;            // an owner's hold on an attempt; past it, a retry may take over
  int reconcile_interval_s = 30;    // how often `serve` settles open attempts (0: never)
  int reconcile_older_than_s = 60;  // an attempt this long untouched is the reconciler's
};

struct LogConfig {
  std::string file;  // empty: stdout
  // The time zone every command prints and buckets in unless --tz says otherwise (the
  // runbook's zone); a name of the tz database or a fixed offset like "+09:00".
  std::string tz = "Asia/Seoul";
};

// The alert rules of SPEC section 9 (thresholds and windows) and where alerts go. Windows are
// in event time.
struct AlertsConfig {
  bool enabled = true;           // `serve` runs the engine in process
  int pending_for_s = 0;         // a condition must hold this long before firing
  int repeat_interval_s = 3600;  // reminders while firing (Slack, Alertmanager)
  int resolve_after_s = 120;     // a firing rule resolves once its condition stays false this long
  int toss_5xx_count = 3;        // ≥ this many Toss 5xx/timeouts ...
  int toss_5xx_window_s = 300;   // ... within this window
  int toss_auth_window_s = 300;  // toss_auth_failure stays firing while one is this recent
  double webhook_invalid_sig_ratio = 0.02;  // > this share of webhook requests ...
  int webhook_window_s = 300;
  int webhook_min_requests = 20;  // ... once there are at least this many
  double latency_p95_ms = 1500;   // p95 of confirm latency_ms above this ...
  int latency_window_s = 300;
  int latency_min_requests = 20;
  double mismatch_ratio = 0.05;        // E_AMOUNT_MISMATCH share of confirms above this ...
  int mismatch_min_count = 10;         // ... with at least this many mismatches ...
  int mismatch_min_users = 5;          // ... from at least this many users (else: one tamperer)
  int mismatch_window_s = 600;         // ... within this window
  double mismatch_course_share = 0.8;  // one course this share of them: that course alone
  bool auto_toggle = true;             // flip the switch (else report only)
  int idempotency_min_count = 10;      // conflicts in the window at least this many ...
  double idempotency_factor = 3;       // ... and this many times the baseline's rate
  int idempotency_window_s = 600;
  int idempotency_baseline_s = 3600;  // the window before, for the baseline
  int recovery_window_s = 1800;       // after a Toss 5xx alert resolves ...
  double recovery_error_rate = 0.01;  // ... this long below this 5xx rate: "recovered"
  double slo_objective = 0.99;        // not read from [alerts]: [slo] success_rate
  double burn_fast = 14.4;            // over 1 h and 5 min
  double burn_slow = 6;               // over 6 h and 30 min
  int burn_min_requests = 20;         // valid confirms in the long window
  std::string alertmanager_url;       // e.g. http://127.0.0.1:9093 (empty: off)
  std::string slack_url;              // default: SLACK_WEBHOOK_URL from the environment
  std::string ca_file;                // PEM CAs for the two sinks instead of the system store
  int slack_min_interval_ms = 1000;   // at most one Slack message a second
  std::string lang = "ko";            // the words of Slack messages: "ko" | "en"
};

// The runbook's SLOs (section 7); `payedge slo report` checks the logs against them.
struct SloConfig {
  double success_rate = 0.99;    // monthly: good / valid confirms at least this
  double mean_confirm_ms = 900;  // daily: mean confirm latency below this
  double p95_confirm_ms = 1500;  // daily: p95 confirm latency below this
  double mismatch_rate = 0.001;  // weekly: E_AMOUNT_MISMATCH / confirms below this
};

struct Secrets {
  std::string toss_secret_key;
  std::string jwt_secret;
  std::string webhook_secret;
  std::string webhook_secret_previous;
  std::string admin_token;
  std::string slack_webhook_url;
  bool using_dev_defaults = false;        // some secret fell back to the development default
  std::vector<std::string> dev_defaults;  // the variables that did, by name
};

struct Config {
  ServerConfig server;
  StoreConfig store;
  TossConfig toss;
  AuthConfig auth;
  WebhookConfig webhook;
  IdempotencyConfig idempotency;
  LogConfig log;
  AlertsConfig alerts;
  SloConfig slo;
  Secrets secrets;
};

inline constexpr const char* kDevTossSecretKey = "test_sk_payedge_dev_0000";
inline constexpr const char* kDevJwtSecret = "payedge-dev-jwt-secret-change-me";
inline constexpr const char* kDevWebhookSecret = "payedge-dev-webhook-secret";

// Reads `path` when non-empty (a missing file is an error), then the environment's secrets.
// An [slo] target out of range (a rate outside 0..1, a latency not above 0) is an error.
Result<Config> load_config(const std::string& path);
// "test" or "live" from the secret key's prefix (test_sk_/test_gsk_ vs live_sk_/live_gsk_);
// "unknown" for anything else. Never the key itself.
std::string toss_key_mode(std::string_view secret_key);
// Empty when the key may be used; else why `serve` refuses to start (never the key).
std::string toss_key_refusal(const Config& config);
Secrets secrets_from_env();
// [store] schema: a lower-case SQL identifier (it is written into statements).
Status check_schema_name(const std::string& schema);
// Empty when serve may start; else why not: production with a development default secret
// (names the variables, never a value).
std::string dev_secret_refusal(const Config& config);

}  // namespace payedge
