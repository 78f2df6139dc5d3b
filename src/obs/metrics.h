// Prometheus metrics of the service, rendered in the text exposition format for /metrics.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace payedge {

// What the process counted since it started, for the ops dashboard (/metrics has the same).
struct MetricsSnapshot {
  struct Requests {
    std::string fn, status, error_code;
    unsigned long long count = 0;
  };
  struct Latency {
    std::string fn;
    unsigned long long count = 0;
    double mean_ms = 0;
    double p95_ms = 0;  // estimated from the buckets, as Prometheus' histogram_quantile does
  };
  std::vector<Requests> requests;
  std::vector<Latency> latency;
};

class Metrics {
 public:
  void observe_request(const std::string& fn, bool success, const std::string& error_code,
                       int latency_ms);
  void observe_toss(int http_status, bool timed_out, int latency_ms);
  std::string render() const;
  MetricsSnapshot snapshot() const;

 private:
  static constexpr std::array<double, 12> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5,   1.0,  1.5,   2.5,  5.0, 10.0};
  struct Histogram {
    std::array<unsigned long long, kBuckets.size()> counts{};
    unsigned long long count = 0;
    double sum = 0;
    void observe(double seconds);
    // Linear interpolation inside the bucket holding rank q·count; the last finite bound
    // when the rank falls in +Inf.
    double quantile(double q) const;
  };

  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, unsigned long long> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, unsigned long long> toss_calls_;  // by outcome class
  Histogram toss_latency_;
};

}  // namespace payedge
