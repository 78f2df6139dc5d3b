#include "obs/timeseries.h"

#include <cmath>

#include "core/error.h"

namespace payedge {
namespace {

constexpr int kHourStepS = 10;
constexpr int kHourBuckets = 3600 / kHourStepS;
constexpr int kDayStepS = 300;
constexpr int kDayBuckets = 24 * 3600 / kDayStepS;

std::int64_t slot_of(EpochMs t, int step_s) {
  const std::int64_t step = std::int64_t{step_s} * 1000;
  return t >= 0 ? t / step : (t - step + 1) / step;
}

}  // namespace

SeriesOutcome classify_series_outcome(bool success, std::string_view error_code) {
  if (success) return SeriesOutcome::kSuccess;
  const auto code = parse_error_code(error_code);
  // The same line as slo::classify_confirm: every code that answers 5xx is ours (or Toss's).
  if (!code || info(*code).http_status >= 500) return SeriesOutcome::kServer;
  return SeriesOutcome::kClient;
}

TimeSeries::TimeSeries()
    : hour_{kHourStepS, std::vector<Bucket>(kHourBuckets)},
      day_{kDayStepS, std::vector<Bucket>(kDayBuckets)} {}

TimeSeries::Bucket& TimeSeries::Ring::at(EpochMs now) {
  const std::int64_t slot = slot_of(now, step_s);
  const auto n = static_cast<std::int64_t>(buckets.size());
  Bucket& b = buckets[static_cast<std::size_t>(((slot % n) + n) % n)];
  if (b.slot != slot) {
    b = Bucket{};
    b.slot = slot;
  }
  return b;
}

void TimeSeries::observe_confirm(EpochMs now, SeriesOutcome outcome, int latency_ms) {
  std::size_t bin = kLatencyBoundsMs.size();
  for (std::size_t i = 0; i < kLatencyBoundsMs.size(); ++i) {
    if (latency_ms <= kLatencyBoundsMs[i]) {
      bin = i;
      break;
    }
  }
  std::lock_guard lock(mu_);
  for (Ring* ring : {&hour_, &day_}) {
    Bucket& b = ring->at(now);
    switch (outcome) {
      case SeriesOutcome::kSuccess:
        ++b.success;
        ++b.latency[bin];
        break;
      case SeriesOutcome::kServer:
        ++b.server;
        break;
      case SeriesOutcome::kClient:
        ++b.client;
        break;
    }
  }
}

void TimeSeries::observe_toss(EpochMs now, int http_status, bool timed_out) {
  std::lock_guard lock(mu_);
  for (Ring* ring : {&hour_, &day_}) {
    Bucket& b = ring->at(now);
    ++b.toss_calls;
    if (timed_out) ++b.toss_timeouts;
    if (http_status >= 500 && http_status <= 599) ++b.toss_5xx;
  }
}

// Nearest rank (index ceil(0.95·n)−1) located in the histogram, then placed linearly inside
// its bin; the open last bin answers its lower bound.
std::optional<double> TimeSeries::p95(const Bucket& b) {
  std::uint64_t n = 0;
  for (auto c : b.latency) n += c;
  if (n == 0) return std::nullopt;
  const std::uint64_t rank = (95 * n + 99) / 100;  // ceil(0.95·n), in integers
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < b.latency.size(); ++i) {
    if (below + b.latency[i] >= rank) {
      const double lower = i == 0 ? 0.0 : kLatencyBoundsMs[i - 1];
      if (i == kLatencyBoundsMs.size()) return lower;
      const double upper = kLatencyBoundsMs[i];
      return lower + (upper - lower) * static_cast<double>(rank - below) /
                         static_cast<double>(b.latency[i]);
    }
    below += b.latency[i];
  }
  return kLatencyBoundsMs.back();
}

TimeSeries& confirm_series() {
  static TimeSeries series;
  return series;
}

SeriesView TimeSeries::view(SeriesWindow window, EpochMs now) const {
  std::lock_guard lock(mu_);
  const Ring& ring = window == SeriesWindow::kHour ? hour_ : day_;
  const auto n = static_cast<std::int64_t>(ring.buckets.size());
  const std::int64_t last = slot_of(now, ring.step_s);
  SeriesView v;
  v.window = window;
  v.step_s = ring.step_s;
  v.start = (last - n + 1) * ring.step_s * 1000LL;
  for (std::int64_t slot = last - n + 1; slot <= last; ++slot) {
    const Bucket& b = ring.buckets[static_cast<std::size_t>(((slot % n) + n) % n)];
    const bool live = b.slot == slot;
    v.success.push_back(live ? b.success : 0);
    v.server.push_back(live ? b.server : 0);
    v.client.push_back(live ? b.client : 0);
    v.p95_ms.push_back(live ? p95(b) : std::nullopt);
    v.toss_calls.push_back(live ? b.toss_calls : 0);
    v.toss_5xx.push_back(live ? b.toss_5xx : 0);
    v.toss_timeouts.push_back(live ? b.toss_timeouts : 0);
  }
  return v;
}

}  // namespace payedge
