// payedge.toml (SPEC section 10): every setting has a default that works for `demo`;
// secrets come only from the environment.
#pragma once

#include <string>

#include "core/error.h"

namespace payedge {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  int io_threads = 1;
  int store_threads = 2;
  size_t max_body_bytes = 16 * 1024;
  int read_timeout_ms = 10'000;  // per request: header and body
  int idle_timeout_ms = 30'000;  // keep-alive between requests
  int max_connections = 2048;
  // Per-client token buckets (0 disables): confirms and webhooks counted apart.
  double confirm_rate_per_s = 5;
  int confirm_burst = 20;
  double webhook_rate_per_s = 50;
  int webhook_burst = 200;
  bool trust_forwarded_for =
      false;  // behind a load balancer: the client is X-Forwarded-For's first
};

struct StoreConfig {
  std::string url = "sqlite://payedge.db";
  int pool_size = 4;
  int busy_timeout_ms = 5000;
  bool auto_migrate = true;
};

struct TossConfig {
  std::string base_url = "http://127.0.0.1:8081";
  int attempt_timeout_ms = 3000;  // one HTTP exchange with Toss
  int deadline_ms = 8000;         // all tries of one confirm together
  int max_attempts = 4;
  int backoff_base_ms = 100;
  int backoff_max_ms = 2000;
};

struct AuthConfig {
  int clock_skew_s = 30;
};

struct WebhookConfig {
  int tolerance_s = 300;
  int rotation_grace_h = 24;      // how long the previous secret is accepted after a rotation
  int rotation_period_days = 90;  // when `check weekly` says the next rotation is due
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
  bool using_dev_defaults = false;  // some secret fell back to the development default
};

struct Config {
  ServerConfig server;
  StoreConfig store;
  TossConfig toss;
  AuthConfig auth;
  WebhookConfig webhook;
  IdempotencyConfig idempotency;
  LogConfig log;
  SloConfig slo;
  Secrets secrets;
};

inline constexpr const char* kDevTossSecretKey = "test_sk_payedge_dev_0000";
inline constexpr const char* kDevJwtSecret = "payedge-dev-jwt-secret-change-me";
inline constexpr const char* kDevWebhookSecret = "payedge-dev-webhook-secret";

// Reads `path` when non-empty (a missing file is an error), then the environment's secrets.
// An [slo] target out of range (a rate outside 0..1, a latency not above 0) is an error.
Result<Config> load_config(const std::string& path);
Secrets secrets_from_env();

}  // namespace payedge
