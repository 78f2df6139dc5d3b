// A small in-process time series of what the dashboard charts: confirm-payment outcomes, the
// p95 of successful confirms, and Toss calls (5xx, timeouts), over the last hour (10-second
// buckets) and the last day (5-minute buckets). Fed where the metrics are recorded
// (obs/metrics, into confirm_series()); read by the admin API (GET /admin/api/series). Memory is
// fixed: two rings of buckets, each bucket a handful of counters and a small latency histogram.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace payedge {

// How a confirm counts on the charts, as the success SLO counts it (slo/slo_class.h): a
// success; a failure on our side or Toss's (its error code answers with HTTP 5xx:
// TOSS_API_ERROR, E_INTERNAL, E_PAYMENTS_DISABLED; an unknown code too); or the client's own
// error (mismatch, inactive course, used-up coupon, auth, ...).
enum class SeriesOutcome { kSuccess, kServer, kClient };
SeriesOutcome classify_series_outcome(bool success, std::string_view error_code);

enum class SeriesWindow { kHour, kDay };

struct SeriesView {
  SeriesWindow window = SeriesWindow::kHour;
  int step_s = 0;
  EpochMs start = 0;  // the first bucket's start; bucket i covers [start + i·step, +step)
  std::vector<std::uint32_t> success, server, client;  // confirms per bucket, by outcome
  std::vector<std::optional<double>> p95_ms;  // of successful confirms; nullopt: none in bucket
  std::vector<std::uint32_t> toss_calls, toss_5xx, toss_timeouts;
};

class TimeSeries {
 public:
  TimeSeries();
  void observe_confirm(EpochMs now, SeriesOutcome outcome, int latency_ms);
  void observe_toss(EpochMs now, int http_status, bool timed_out);
  // The window ending with the bucket that holds `now`; buckets nobody wrote are zeros.
  SeriesView view(SeriesWindow window, EpochMs now) const;

  // Latency bins (upper bounds, ms) of a bucket's histogram; the last bin is open.
  static constexpr std::array<int, 22> kLatencyBoundsMs{
      10,   25,   50,   75,   100,  150,  200,  300,  400,  500,   750,
      1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000, 20000};

 private:
  struct Bucket {
    std::int64_t slot = -1;  // (time / step); -1: never written
    std::uint32_t success = 0, server = 0, client = 0;
    std::uint32_t toss_calls = 0, toss_5xx = 0, toss_timeouts = 0;
    std::array<std::uint32_t, kLatencyBoundsMs.size() + 1> latency{};
  };
  struct Ring {
    int step_s;
    std::vector<Bucket> buckets;
    Bucket& at(EpochMs now);  // the bucket of `now`, reset when it held an older slot
  };
  static std::optional<double> p95(const Bucket& b);

  mutable std::mutex mu_;
  Ring hour_, day_;
};

// The process's series: `Metrics` feeds it where it records a confirm or a Toss call (one
// service per process), the admin API reads it.
TimeSeries& confirm_series();

}  // namespace payedge
