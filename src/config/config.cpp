#include "config/config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace payedge {
namespace {

// systemd's LoadCredential=NAME:… puts the secret in $CREDENTIALS_DIRECTORY/NAME
// (https://systemd.io/CREDENTIALS/); the environment wins when both are set.
std::string credential(const char* name) {
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (!dir || !*dir) return "";
  std::ifstream in(std::string(dir) + "/" + name, std::ios::binary);
  std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

std::string env_or(const char* name, const std::string& fallback, bool& used_fallback) {
  const char* v = std::getenv(name);
  if (v && *v) return v;
  if (auto c = credential(name); !c.empty()) return c;
  if (!fallback.empty()) used_fallback = true;
  return fallback;
}

template <class T>
void read(const toml::table& t, std::string_view section, std::string_view key, T& out) {
  if (auto v = t[section][key].value<T>()) out = *v;
}

}  // namespace

Secrets secrets_from_env() {
  Secrets s;
  bool dev = false;
  s.toss_secret_key = env_or("TOSS_SECRET_KEY", kDevTossSecretKey, dev);
  s.jwt_secret = env_or("SUPABASE_JWT_SECRET", kDevJwtSecret, dev);
  bool unused = false;
  s.webhook_secret = env_or("WEBHOOK_SECRET", kDevWebhookSecret, dev);
  s.webhook_secret_previous = env_or("WEBHOOK_SECRET_PREVIOUS", "", unused);
  s.admin_token = env_or("PAYEDGE_ADMIN_TOKEN", "", unused);
  s.slack_webhook_url = env_or("SLACK_WEBHOOK_URL", "", unused);
  s.using_dev_defaults = dev;
  return s;
}

Result<Config> load_config(const std::string& path) {
  Config c;
  if (!path.empty()) {
    toml::table t;
    try {
      t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return fail(ErrorCode::kInvalidRequest,
                  std::string("config ") + path + ": " + std::string(e.description()));
    }
    read(t, "server", "listen", c.server.listen);
    read(t, "server", "io_threads", c.server.io_threads);
    read(t, "server", "store_threads", c.server.store_threads);
    read(t, "server", "max_body_bytes", c.server.max_body_bytes);
    read(t, "server", "read_timeout_ms", c.server.read_timeout_ms);
    read(t, "server", "idle_timeout_ms", c.server.idle_timeout_ms);
    read(t, "server", "max_connections", c.server.max_connections);
    read(t, "server", "confirm_rate_per_s", c.server.confirm_rate_per_s);
    read(t, "server", "confirm_burst", c.server.confirm_burst);
    read(t, "server", "webhook_rate_per_s", c.server.webhook_rate_per_s);
    read(t, "server", "webhook_burst", c.server.webhook_burst);
    read(t, "server", "trust_forwarded_for", c.server.trust_forwarded_for);
    read(t, "store", "url", c.store.url);
    read(t, "store", "pool_size", c.store.pool_size);
    read(t, "store", "busy_timeout_ms", c.store.busy_timeout_ms);
    read(t, "store", "auto_migrate", c.store.auto_migrate);
    read(t, "toss", "base_url", c.toss.base_url);
    read(t, "toss", "attempt_timeout_ms", c.toss.attempt_timeout_ms);
    read(t, "toss", "deadline_ms", c.toss.deadline_ms);
    read(t, "toss", "max_attempts", c.toss.max_attempts);
    read(t, "toss", "backoff_base_ms", c.toss.backoff_base_ms);
    read(t, "toss", "backoff_max_ms", c.toss.backoff_max_ms);
    read(t, "auth", "clock_skew_s", c.auth.clock_skew_s);
    read(t, "webhook", "tolerance_s", c.webhook.tolerance_s);
    read(t, "webhook", "rotation_grace_h", c.webhook.rotation_grace_h);
    read(t, "webhook", "rotation_period_days", c.webhook.rotation_period_days);
    read(t, "idempotency", "result_ttl_days", c.idempotency.result_ttl_days);
    read(t, "idempotency", "wait_ms", c.idempotency.wait_ms);
    read(t, "idempotency", "lease_ms", c.idempotency.lease_ms);
    read(t, "idempotency", "reconcile_interval_s", c.idempotency.reconcile_interval_s);
    read(t, "idempotency", "reconcile_older_than_s", c.idempotency.reconcile_older_than_s);
    read(t, "log", "file", c.log.file);
    read(t, "alerts", "enabled", c.alerts.enabled);
    read(t, "alerts", "pending_for_s", c.alerts.pending_for_s);
    read(t, "alerts", "repeat_interval_s", c.alerts.repeat_interval_s);
    read(t, "alerts", "resolve_after_s", c.alerts.resolve_after_s);
    read(t, "alerts", "toss_5xx_count", c.alerts.toss_5xx_count);
    read(t, "alerts", "toss_5xx_window_s", c.alerts.toss_5xx_window_s);
    read(t, "alerts", "webhook_invalid_sig_ratio", c.alerts.webhook_invalid_sig_ratio);
    read(t, "alerts", "webhook_window_s", c.alerts.webhook_window_s);
    read(t, "alerts", "webhook_min_requests", c.alerts.webhook_min_requests);
    read(t, "alerts", "latency_p95_ms", c.alerts.latency_p95_ms);
    read(t, "alerts", "latency_window_s", c.alerts.latency_window_s);
    read(t, "alerts", "latency_min_requests", c.alerts.latency_min_requests);
    read(t, "alerts", "mismatch_ratio", c.alerts.mismatch_ratio);
    read(t, "alerts", "mismatch_min_count", c.alerts.mismatch_min_count);
    read(t, "alerts", "mismatch_window_s", c.alerts.mismatch_window_s);
    read(t, "alerts", "mismatch_course_share", c.alerts.mismatch_course_share);
    read(t, "alerts", "auto_toggle", c.alerts.auto_toggle);
    read(t, "alerts", "idempotency_min_count", c.alerts.idempotency_min_count);
    read(t, "alerts", "idempotency_factor", c.alerts.idempotency_factor);
    read(t, "alerts", "idempotency_window_s", c.alerts.idempotency_window_s);
    read(t, "alerts", "idempotency_baseline_s", c.alerts.idempotency_baseline_s);
    read(t, "alerts", "recovery_window_s", c.alerts.recovery_window_s);
    read(t, "alerts", "recovery_error_rate", c.alerts.recovery_error_rate);

    read(t, "alerts", "burn_fast", c.alerts.burn_fast);
    read(t, "alerts", "burn_slow", c.alerts.burn_slow);
    read(t, "alerts", "burn_min_requests", c.alerts.burn_min_requests);
    read(t, "alerts", "alertmanager_url", c.alerts.alertmanager_url);
    read(t, "alerts", "slack_url", c.alerts.slack_url);
    read(t, "alerts", "slack_min_interval_ms", c.alerts.slack_min_interval_ms);
    read(t, "slo", "success_rate", c.slo.success_rate);
    read(t, "slo", "mean_confirm_ms", c.slo.mean_confirm_ms);
    read(t, "slo", "p95_confirm_ms", c.slo.p95_confirm_ms);
    read(t, "slo", "mismatch_rate", c.slo.mismatch_rate);
    // A typo here would make every report pass or fail: refuse it instead.
    auto rate_ok = [](double v) { return v >= 0 && v <= 1; };
    if (!rate_ok(c.slo.success_rate) || !rate_ok(c.slo.mismatch_rate)) {
      return fail(ErrorCode::kInvalidRequest,
                  "config " + path + ": [slo] success_rate and mismatch_rate are fractions 0..1");
    }
    if (!(c.slo.mean_confirm_ms > 0) || !(c.slo.p95_confirm_ms > 0)) {
      return fail(ErrorCode::kInvalidRequest,
                  "config " + path + ": [slo] mean_confirm_ms and p95_confirm_ms must be above 0");
    }
  }
  c.secrets = secrets_from_env();
  if (c.alerts.slack_url.empty()) c.alerts.slack_url = c.secrets.slack_webhook_url;
  c.alerts.slo_objective = c.slo.success_rate;  // the burn rates are of the one success SLO
  return c;
}

}  // namespace payedge
