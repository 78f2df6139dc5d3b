#include "obs/metrics.h"

#include <fmt/format.h>

#include "obs/timeseries.h"

namespace payedge {

void Metrics::Histogram::observe(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++counts[i];
  }
  ++count;
  sum += seconds;
}

double Metrics::Histogram::quantile(double q) const {
  if (count == 0) return 0;
  const double rank = q * static_cast<double>(count);
  double lower = 0;
  unsigned long long below = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (static_cast<double>(counts[i]) >= rank) {
      const auto in_bucket = counts[i] - below;
      if (in_bucket == 0) return kBuckets[i];
      return lower + (kBuckets[i] - lower) * (rank - static_cast<double>(below)) /
                         static_cast<double>(in_bucket);
    }
    lower = kBuckets[i];
    below = counts[i];
  }
  return kBuckets.back();
}

void Metrics::observe_request(const std::string& fn, bool success, const std::string& error_code,
                              int latency_ms) {
  std::lock_guard lock(mu_);
  ++requests_[{fn, success ? "success" : "error", error_code}];
  latency_[fn].observe(latency_ms / 1000.0);
  if (fn == "confirm-payment") {
    confirm_series().observe_confirm(SystemClock::instance().now_ms(),
                                     classify_series_outcome(success, error_code), latency_ms);
  }
}

void Metrics::observe_toss(int http_status, bool timed_out, int latency_ms) {
  std::lock_guard lock(mu_);
  std::string outcome = timed_out          ? "timeout"
                        : http_status == 0 ? "network_error"
                                           : fmt::format("{}xx", http_status / 100);
  ++toss_calls_[outcome];
  toss_latency_.observe(latency_ms / 1000.0);
  confirm_series().observe_toss(SystemClock::instance().now_ms(), http_status, timed_out);
}

void Metrics::observe_toss_auth_failure() {
  std::lock_guard lock(mu_);
  ++toss_auth_failures_;
}

MetricsSnapshot Metrics::snapshot() const {
  std::lock_guard lock(mu_);
  MetricsSnapshot out;
  for (const auto& [key, n] : requests_) {
    const auto& [fn, status, code] = key;
    out.requests.push_back({fn, status, code, n});
  }
  for (const auto& [fn, h] : latency_) {
    const double mean = h.count ? h.sum / static_cast<double>(h.count) : 0;
    out.latency.push_back({fn, h.count, mean * 1000, h.quantile(0.95) * 1000});
  }
  return out;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  auto histogram = [&out](const std::string& name, const std::string& labels, const Histogram& h) {
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBuckets[i],
                         h.counts[i]);
    }
    out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, h.count);
    const std::string braces = labels.empty() ? "" : "{" + labels + "}";
    out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, h.sum, name, braces, h.count);
  };
  out += "# HELP payedge_requests_total Requests handled, by function, status and error code.\n";
  out += "# TYPE payedge_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [fn, status, code] = key;
    out += fmt::format("payedge_requests_total{{fn=\"{}\",status=\"{}\",error_code=\"{}\"}} {}\n",
                       fn, status, code, n);
  }
  out += "# HELP payedge_request_duration_seconds Request latency, by function.\n";
  out += "# TYPE payedge_request_duration_seconds histogram\n";
  for (const auto& [fn, h] : latency_)
    histogram("payedge_request_duration_seconds", fmt::format("fn=\"{}\"", fn), h);
  out += "# HELP payedge_toss_calls_total HTTP calls to the Toss API, by outcome.\n";
  out += "# TYPE payedge_toss_calls_total counter\n";
  for (const auto& [outcome, n] : toss_calls_) {
    out += fmt::format("payedge_toss_calls_total{{outcome=\"{}\"}} {}\n", outcome, n);
  }
  out += "# HELP payedge_toss_call_duration_seconds Latency of one Toss API call.\n";
  out += "# TYPE payedge_toss_call_duration_seconds histogram\n";
  histogram("payedge_toss_call_duration_seconds", "", toss_latency_);
  out +=
      "# HELP payedge_toss_auth_failures_total Toss answers that say our keys or request are "
      "wrong (merchant misconfiguration).\n";
  out += "# TYPE payedge_toss_auth_failures_total counter\n";
  out += fmt::format("payedge_toss_auth_failures_total {}\n", toss_auth_failures_);
  return out + lines.render() + render_build_info();
}

}  // namespace payedge
