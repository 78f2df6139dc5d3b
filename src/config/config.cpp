#include "config/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <type_traits>
#include <vector>

#include "core/client_address.h"

namespace payedge {
namespace {

// SPEC 10: an unknown key, a value of the wrong type or out of range is an error naming the
// key — a typo must not silently fall back to a default. read() records every key it is asked
// for; what is left in the file afterwards is unknown.
struct KeyCheck {
  std::set<std::string> known;
  std::vector<std::string> problems;
};
thread_local KeyCheck* g_check = nullptr;

// Keys read by other code than read() below (they are checked there).
constexpr std::string_view kReadElsewhere[] = {"server.cors_origins", "server.trusted_proxies"};

void problem(std::string_view section, std::string_view key, const std::string& what) {
  if (g_check) g_check->problems.push_back(fmt::format("[{}] {}: {}", section, key, what));
}

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
  if (g_check) g_check->known.insert(fmt::format("{}.{}", section, key));
  const auto node = t[section][key];
  if (!node) return;
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = node.template value_exact<bool>()) return void(out = *v);
    problem(section, key, "expected true or false");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = node.template value_exact<std::string>()) return void(out = *v);
    problem(section, key, "expected a string");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (node.is_number()) return void(out = static_cast<T>(*node.template value<double>()));
    problem(section, key, "expected a number");
  } else {
    static_assert(std::is_integral_v<T>);
    const auto v = node.template value_exact<std::int64_t>();
    if (!v) return problem(section, key, "expected an integer");
    const bool too_small =
        *v < 0 &&
        (std::is_unsigned_v<T> || *v < static_cast<std::int64_t>(std::numeric_limits<T>::min()));
    const bool too_big = *v > 0 && static_cast<std::uint64_t>(*v) >
                                       static_cast<std::uint64_t>(std::numeric_limits<T>::max());
    if (too_small || too_big) {
      return problem(section, key, fmt::format("{} is out of range", *v));
    }
    out = static_cast<T>(*v);
  }
}

// Ranges, checked after every key is read.
template <class T>
void within(std::string_view section, std::string_view key, T value, T lo, T hi) {
  if (!(value >= lo && value <= hi)) {
    problem(section, key, fmt::format("{} is out of range {}..{}", value, lo, hi));
  }
}

void check_ranges(const Config& c) {
  constexpr int kBig = std::numeric_limits<int>::max();
  const auto& s = c.server;
  if (s.environment != "development" && s.environment != "production") {
    problem("server", "environment", "must be \"development\" or \"production\"");
  }
  within("server", "io_threads", s.io_threads, 1, 256);
  within("server", "store_threads", s.store_threads, 1, 256);
  within<size_t>("server", "max_body_bytes", s.max_body_bytes, 1, 16 * 1024 * 1024);
  within("server", "read_timeout_ms", s.read_timeout_ms, 1, kBig);
  within("server", "idle_timeout_ms", s.idle_timeout_ms, 1, kBig);
  within("server", "max_connections", s.max_connections, 1, kBig);
  within("server", "confirm_rate_per_s", s.confirm_rate_per_s, 0.0, 1e6);
  within("server", "confirm_burst", s.confirm_burst, 1, kBig);
  within("server", "webhook_rate_per_s", s.webhook_rate_per_s, 0.0, 1e6);
  within("server", "webhook_burst", s.webhook_burst, 1, kBig);
  within("server", "heartbeat_interval_ms", s.heartbeat_interval_ms, 10, 3'600'000);
  within("server", "heartbeat_stale_ms", s.heartbeat_stale_ms, 20, 86'400'000);
  if (s.heartbeat_stale_ms < 2 * s.heartbeat_interval_ms) {
    // One late heartbeat must not make a live instance look dead.
    problem("server", "heartbeat_stale_ms",
            fmt::format("{} is under twice heartbeat_interval_ms ({})", s.heartbeat_stale_ms,
                        s.heartbeat_interval_ms));
  }
  within("server", "shutdown_delay_ms", s.shutdown_delay_ms, 0, 600'000);
  within("server", "drain_timeout_ms", s.drain_timeout_ms, 0, 600'000);
  within("store", "pool_size", c.store.pool_size, 1, 256);
  within("store", "busy_timeout_ms", c.store.busy_timeout_ms, 0, kBig);
  if (!c.store.url.starts_with("sqlite://") && !c.store.url.starts_with("postgresql://") &&
      !c.store.url.starts_with("postgres://")) {
    problem("store", "url", "must be sqlite://PATH or postgresql://…");
  }
  if (!c.toss.base_url.starts_with("http://") && !c.toss.base_url.starts_with("https://")) {
    problem("toss", "base_url", "must be an http:// or https:// URL");
  }
  within("toss", "attempt_timeout_ms", c.toss.attempt_timeout_ms, 1, kBig);
  within("toss", "deadline_ms", c.toss.deadline_ms, 1, kBig);
  within("toss", "max_attempts", c.toss.max_attempts, 1, 100);
  within("toss", "backoff_base_ms", c.toss.backoff_base_ms, 0, kBig);
  within("toss", "backoff_max_ms", c.toss.backoff_max_ms, 0, kBig);
  within("auth", "clock_skew_s", c.auth.clock_skew_s, 0, 3600);
  within("webhook", "tolerance_s", c.webhook.tolerance_s, 1, 86400);
  within("webhook", "rotation_grace_h", c.webhook.rotation_grace_h, 0, 24 * 365);
  within("webhook", "rotation_period_days", c.webhook.rotation_period_days, 1, 3650);
  const auto& i = c.idempotency;
  within("idempotency", "result_ttl_days", i.result_ttl_days, 1, 3650);
  within("idempotency", "wait_ms", i.wait_ms, 0, kBig);
  within("idempotency", "lease_ms", i.lease_ms, 1, kBig);
  within("idempotency", "reconcile_interval_s", i.reconcile_interval_s, 0, kBig);
  within("idempotency", "reconcile_older_than_s", i.reconcile_older_than_s, 0, kBig);
  const auto& a = c.alerts;
  using IntKey = std::pair<const char*, int>;
  using RateKey = std::pair<const char*, double>;
  for (auto [key, v] : std::initializer_list<IntKey>{{"pending_for_s", a.pending_for_s},
                                                     {"repeat_interval_s", a.repeat_interval_s},
                                                     {"resolve_after_s", a.resolve_after_s}}) {
    within("alerts", key, v, 0, kBig);
  }
  for (auto [key, v] :
       std::initializer_list<IntKey>{{"toss_5xx_count", a.toss_5xx_count},
                                     {"toss_5xx_window_s", a.toss_5xx_window_s},
                                     {"webhook_window_s", a.webhook_window_s},
                                     {"webhook_min_requests", a.webhook_min_requests},
                                     {"latency_window_s", a.latency_window_s},
                                     {"latency_min_requests", a.latency_min_requests},
                                     {"mismatch_min_count", a.mismatch_min_count},
                                     {"mismatch_min_users", a.mismatch_min_users},
                                     {"mismatch_window_s", a.mismatch_window_s},
                                     {"idempotency_min_count", a.idempotency_min_count},
                                     {"idempotency_window_s", a.idempotency_window_s},
                                     {"idempotency_baseline_s", a.idempotency_baseline_s},
                                     {"recovery_window_s", a.recovery_window_s},
                                     {"burn_min_requests", a.burn_min_requests},
                                     {"slack_min_interval_ms", a.slack_min_interval_ms}}) {
    within("alerts", key, v, key == std::string_view("slack_min_interval_ms") ? 0 : 1, kBig);
  }
  for (auto [key, v] :
       std::initializer_list<RateKey>{{"webhook_invalid_sig_ratio", a.webhook_invalid_sig_ratio},
                                      {"mismatch_ratio", a.mismatch_ratio},
                                      {"mismatch_course_share", a.mismatch_course_share},
                                      {"recovery_error_rate", a.recovery_error_rate}}) {
    within("alerts", key, v, 0.0, 1.0);
  }
  within("alerts", "latency_p95_ms", a.latency_p95_ms, 1.0, 1e7);
  within("alerts", "idempotency_factor", a.idempotency_factor, 0.0, 1e6);
  within("alerts", "burn_fast", a.burn_fast, 0.0, 1e6);
  within("alerts", "burn_slow", a.burn_slow, 0.0, 1e6);
}

// What is in the file but was never read: a typo or a key of another version.
void check_unknown(const toml::table& t) {
  std::set<std::string> sections;
  for (const auto& k : g_check->known) sections.insert(k.substr(0, k.find('.')));
  for (auto&& [section, node] : t) {
    const std::string name(section.str());
    if (!sections.contains(name)) {
      g_check->problems.push_back(fmt::format("[{}]: unknown section", name));
      continue;
    }
    if (!node.is_table()) {
      g_check->problems.push_back(fmt::format("{}: expected a [{}] table", name, name));
      continue;
    }
    for (auto&& [key, value] : *node.as_table()) {
      const std::string full = name + "." + std::string(key.str());
      const bool elsewhere = std::find(std::begin(kReadElsewhere), std::end(kReadElsewhere),
                                       full) != std::end(kReadElsewhere);
      if (!g_check->known.contains(full) && !elsewhere) {
        g_check->problems.push_back(fmt::format("[{}] {}: unknown key", name, key.str()));
      }
    }
  }
}

// An array of strings; a value of another type is an error that names the key.
Status read_strings(const toml::table& t, std::string_view section, std::string_view key,
                    std::vector<std::string>& out) {
  if (g_check) g_check->known.insert(fmt::format("{}.{}", section, key));
  auto node = t[section][key];
  if (!node) return {};
  const auto* arr = node.as_array();
  std::vector<std::string> values;
  bool ok = arr != nullptr;
  if (arr) {
    for (const auto& v : *arr) {
      auto s = v.value<std::string>();
      ok = ok && s.has_value();
      if (s) values.push_back(*s);
    }
  }
  if (!ok) {
    return fail(ErrorCode::kInvalidRequest, "[" + std::string(section) + "] " + std::string(key) +
                                                " must be an array of strings");
  }
  out = std::move(values);
  return {};
}

Status check_auth_config(const AuthConfig& a) {
  if (a.algorithms.empty()) return fail(ErrorCode::kInvalidRequest, "[auth] algorithms is empty");
  for (const auto& alg : a.algorithms) {
    if (alg != "HS256" && alg != "ES256" && alg != "RS256") {
      return fail(ErrorCode::kInvalidRequest,
                  "[auth] algorithms: " + alg + " is not one of HS256, ES256, RS256");
    }
  }
  if (!a.jwks_url.empty() && !a.jwks_file.empty()) {
    return fail(ErrorCode::kInvalidRequest, "[auth] jwks_url and jwks_file: set one, not both");
  }
  if (!a.jwks_url.empty() && !a.jwks_url.starts_with("https://") &&
      !a.jwks_url.starts_with("http://")) {
    return fail(ErrorCode::kInvalidRequest, "[auth] jwks_url must be an https:// URL");
  }
  if (a.jwks_refresh_s < 0 || a.jwks_min_refresh_s < 1) {
    return fail(ErrorCode::kInvalidRequest,
                "[auth] jwks_refresh_s must be ≥ 0 and jwks_min_refresh_s ≥ 1");
  }
  if (a.clock_skew_s < 0 || a.clock_skew_s > 3600) {
    return fail(ErrorCode::kInvalidRequest, "[auth] clock_skew_s must be 0..3600");
  }
  return {};
}

Status check_server_lists(const ServerConfig& s) {
  if (auto proxies = TrustedProxies::parse(s.trusted_proxies); !proxies) {
    return fail(ErrorCode::kInvalidRequest, "[server] trusted_proxies: " + proxies.error().detail);
  }
  for (const auto& origin : s.cors_origins) {
    const bool ok = origin == "*"
                        ? s.cors_origins.size() == 1
                        : (origin.starts_with("https://") || origin.starts_with("http://")) &&
                              origin.find('/', 8) == std::string::npos;
    if (!ok) {
      return fail(ErrorCode::kInvalidRequest,
                  "[server] cors_origins: \"" + origin +
                      "\" must be \"*\" alone or origins like https://example.com");
    }
  }
  return {};
}

}  // namespace

Status check_schema_name(const std::string& schema) {
  // It is written into SQL as an identifier: lower-case letters, digits and '_' only.
  bool ok = !schema.empty() && schema.size() <= 63 && !(schema[0] >= '0' && schema[0] <= '9');
  for (char c : schema) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok || schema.starts_with("pg_")) {
    return fail(ErrorCode::kInvalidRequest,
                "[store] schema must be a lower-case identifier (a-z, 0-9, _), not pg_*");
  }
  return {};
}

Secrets secrets_from_env() {
  Secrets s;
  bool dev = false;
  // Which variables fell back, by name: the warning (and production's refusal) names them.
  auto secret = [&](const char* name, const char* fallback) {
    bool used = false;
    std::string v = env_or(name, fallback, used);
    if (used) s.dev_defaults.emplace_back(name), dev = true;
    return v;
  };
  s.toss_secret_key = secret("TOSS_SECRET_KEY", kDevTossSecretKey);
  s.jwt_secret = secret("SUPABASE_JWT_SECRET", kDevJwtSecret);
  bool unused = false;
  s.webhook_secret = secret("WEBHOOK_SECRET", kDevWebhookSecret);
  s.webhook_secret_previous = env_or("WEBHOOK_SECRET_PREVIOUS", "", unused);
  s.admin_token = env_or("PAYEDGE_ADMIN_TOKEN", "", unused);
  s.slack_webhook_url = env_or("SLACK_WEBHOOK_URL", "", unused);
  s.using_dev_defaults = dev;
  return s;
}

Result<Config> load_config(const std::string& path) {
  Config c;
  if (!path.empty()) {
    KeyCheck check;
    g_check = &check;
    struct Reset {
      ~Reset() { g_check = nullptr; }
    } reset;
    toml::table t;
    try {
      t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return fail(ErrorCode::kInvalidRequest,
                  std::string("config ") + path + ": " + std::string(e.description()));
    }
    read(t, "server", "environment", c.server.environment);
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
    read(t, "server", "heartbeat_interval_ms", c.server.heartbeat_interval_ms);
    read(t, "server", "heartbeat_stale_ms", c.server.heartbeat_stale_ms);
    read(t, "server", "shutdown_delay_ms", c.server.shutdown_delay_ms);
    read(t, "server", "drain_timeout_ms", c.server.drain_timeout_ms);
    // Refused, not mapped: its meaning (the first, client-written entry) was the hole.
    if (t["server"]["trust_forwarded_for"]) {
      return fail(ErrorCode::kInvalidRequest,
                  "config " + path +
                      ": [server] trust_forwarded_for was removed (it believed the client-written "
                      "first X-Forwarded-For entry); list your load balancers instead: [server] "
                      "trusted_proxies = [\"10.0.0.0/8\"]");
    }
    for (auto [key, out] : {std::pair{"trusted_proxies", &c.server.trusted_proxies},
                            std::pair{"cors_origins", &c.server.cors_origins}}) {
      if (auto st = read_strings(t, "server", key, *out); !st) {
        return fail(ErrorCode::kInvalidRequest, "config " + path + ": " + st.error().detail);
      }
    }
    read(t, "store", "url", c.store.url);
    read(t, "store", "pool_size", c.store.pool_size);
    read(t, "store", "busy_timeout_ms", c.store.busy_timeout_ms);
    read(t, "store", "auto_migrate", c.store.auto_migrate);
    read(t, "store", "schema", c.store.schema);
    read(t, "toss", "base_url", c.toss.base_url);
    read(t, "toss", "ca_file", c.toss.ca_file);
    read(t, "toss", "attempt_timeout_ms", c.toss.attempt_timeout_ms);
    read(t, "toss", "deadline_ms", c.toss.deadline_ms);
    read(t, "toss", "max_attempts", c.toss.max_attempts);
    read(t, "toss", "backoff_base_ms", c.toss.backoff_base_ms);
    read(t, "toss", "backoff_max_ms", c.toss.backoff_max_ms);
    read(t, "toss", "allow_test_keys", c.toss.allow_test_keys);
    if (c.server.environment != "development" && c.server.environment != "production") {
      return fail(ErrorCode::kInvalidRequest,
                  "config " + path +
                      ": [server] environment: must be \"development\" or "
                      "\"production\"");
    }
    read(t, "auth", "clock_skew_s", c.auth.clock_skew_s);
    read(t, "auth", "jwks_url", c.auth.jwks_url);
    read(t, "auth", "jwks_file", c.auth.jwks_file);
    read(t, "auth", "jwks_refresh_s", c.auth.jwks_refresh_s);
    read(t, "auth", "jwks_min_refresh_s", c.auth.jwks_min_refresh_s);
    read(t, "auth", "issuer", c.auth.issuer);
    read(t, "auth", "allow_anonymous", c.auth.allow_anonymous);
    for (auto [key, out] :
         {std::pair{"algorithms", &c.auth.algorithms}, std::pair{"audiences", &c.auth.audiences},
          std::pair{"roles", &c.auth.roles}}) {
      if (auto st = read_strings(t, "auth", key, *out); !st) {
        return fail(ErrorCode::kInvalidRequest, "config " + path + ": " + st.error().detail);
      }
    }
    if (auto st = check_auth_config(c.auth); !st) {
      return fail(ErrorCode::kInvalidRequest, "config " + path + ": " + st.error().detail);
    }
    if (auto st = check_server_lists(c.server); !st) {
      return fail(ErrorCode::kInvalidRequest, "config " + path + ": " + st.error().detail);
    }
    if (auto st = check_schema_name(c.store.schema); !st) {
      return fail(ErrorCode::kInvalidRequest, "config " + path + ": " + st.error().detail);
    }
    read(t, "webhook", "tolerance_s", c.webhook.tolerance_s);
    read(t, "webhook", "rotation_grace_h", c.webhook.rotation_grace_h);
    read(t, "webhook", "rotation_period_days", c.webhook.rotation_period_days);
    read(t, "webhook", "max_attempts", c.webhook.max_attempts);
    read(t, "webhook", "retry_base_ms", c.webhook.retry_base_ms);
    read(t, "webhook", "retry_max_ms", c.webhook.retry_max_ms);
    read(t, "webhook", "poll_interval_ms", c.webhook.poll_interval_ms);
    read(t, "idempotency", "result_ttl_days", c.idempotency.result_ttl_days);
    read(t, "idempotency", "wait_ms", c.idempotency.wait_ms);
    read(t, "idempotency", "lease_ms", c.idempotency.lease_ms);
    read(t, "idempotency", "reconcile_interval_s", c.idempotency.reconcile_interval_s);
    read(t, "idempotency", "reconcile_older_than_s", c.idempotency.reconcile_older_than_s);
    read(t, "log", "file", c.log.file);
    read(t, "log", "tz", c.log.tz);
    read(t, "alerts", "enabled", c.alerts.enabled);
    read(t, "alerts", "pending_for_s", c.alerts.pending_for_s);
    read(t, "alerts", "repeat_interval_s", c.alerts.repeat_interval_s);
    read(t, "alerts", "resolve_after_s", c.alerts.resolve_after_s);
    read(t, "alerts", "toss_5xx_count", c.alerts.toss_5xx_count);
    read(t, "alerts", "toss_5xx_window_s", c.alerts.toss_5xx_window_s);
    read(t, "alerts", "toss_auth_window_s", c.alerts.toss_auth_window_s);
    read(t, "alerts", "webhook_invalid_sig_ratio", c.alerts.webhook_invalid_sig_ratio);
    read(t, "alerts", "webhook_window_s", c.alerts.webhook_window_s);
    read(t, "alerts", "webhook_min_requests", c.alerts.webhook_min_requests);
    read(t, "alerts", "latency_p95_ms", c.alerts.latency_p95_ms);
    read(t, "alerts", "latency_window_s", c.alerts.latency_window_s);
    read(t, "alerts", "latency_min_requests", c.alerts.latency_min_requests);
    read(t, "alerts", "mismatch_ratio", c.alerts.mismatch_ratio);
    read(t, "alerts", "mismatch_min_count", c.alerts.mismatch_min_count);
    read(t, "alerts", "mismatch_min_users", c.alerts.mismatch_min_users);
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
    read(t, "alerts", "ca_file", c.alerts.ca_file);
    read(t, "alerts", "slack_min_interval_ms", c.alerts.slack_min_interval_ms);
    read(t, "alerts", "lang", c.alerts.lang);
    if (c.alerts.lang != "ko" && c.alerts.lang != "en") {
      return fail(ErrorCode::kInvalidRequest,
                  "config " + path + ": [alerts] lang: must be \"ko\" or \"en\"");
    }
    read(t, "slo", "success_rate", c.slo.success_rate);
    read(t, "slo", "mean_confirm_ms", c.slo.mean_confirm_ms);
    read(t, "slo", "p95_confirm_ms", c.slo.p95_confirm_ms);
    read(t, "slo", "mismatch_rate", c.slo.mismatch_rate);
    check_ranges(c);
    check_unknown(t);
    if (!check.problems.empty()) {
      std::string all;
      for (const auto& p : check.problems) all += (all.empty() ? "" : "; ") + p;
      return fail(ErrorCode::kInvalidRequest, "config " + path + ": " + all);
    }
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

std::string toss_key_mode(std::string_view key) {
  // https://docs.tosspayments.com/reference/using-api/authorization: test_ck_/test_sk_ and
  // live_ck_/live_sk_ (API keys), test_gck_/test_gsk_ and live_gck_/live_gsk_ (widget keys).
  if (key.starts_with("test_")) return "test";
  if (key.starts_with("live_")) return "live";
  return "unknown";
}

std::string toss_key_refusal(const Config& c) {
  const std::string_view key = c.secrets.toss_secret_key;
  if (key.starts_with("test_ck_") || key.starts_with("live_ck_") || key.starts_with("test_gck_") ||
      key.starts_with("live_gck_")) {
    return "TOSS_SECRET_KEY is a client key (…_ck_/…_gck_): the confirm API needs the secret "
           "key (…_sk_, or …_gsk_ for payment-widget payments)";
  }
  if (c.server.environment == "production" && toss_key_mode(key) == "test" &&
      !c.toss.allow_test_keys) {
    return "[server] environment = \"production\" with a test_ Toss key: set a live_ key, or "
           "[toss] allow_test_keys = true for a rehearsal";
  }
  return {};
}

std::string dev_secret_refusal(const Config& c) {
  if (c.server.environment != "production" || c.secrets.dev_defaults.empty()) return {};
  std::string names;
  for (const auto& n : c.secrets.dev_defaults) names += (names.empty() ? "" : ", ") + n;
  return "[server] environment = \"production\" with development default secrets: set " + names +
         " in the environment";
}

}  // namespace payedge
