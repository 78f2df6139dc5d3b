// Sliding windows over event time for the alert rules: counts in one-second buckets, and the
// latencies of the last few minutes with their percentiles. Time only moves forward; an event
// older than the window's end is counted in the newest bucket it can still be in.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "core/time.h"

namespace payedge::alert {

// Counts of a few series (e.g. requests and errors) over the last `window_ms`.
class SlidingCounter {
 public:
  SlidingCounter(EpochMs window_ms, std::size_t series);

  void add(EpochMs ts, std::size_t series, std::uint64_t n = 1);
  void advance(EpochMs now);  // drops what is older than now - window
  std::uint64_t total(std::size_t series) const { return totals_[series]; }

 private:
  struct Bucket {
    EpochMs second = 0;
    std::vector<std::uint64_t> counts;
  };
  EpochMs window_ms_;
  EpochMs now_ = 0;
  std::deque<Bucket> buckets_;
  std::vector<std::uint64_t> totals_;
};

// Latencies (whole milliseconds, rounded up; capped at kMaxMs) of the last `window_ms`, with
// exact nearest-rank percentiles from a Fenwick tree.
class LatencyWindow {
 public:
  static constexpr int kMaxMs = 120'000;
  explicit LatencyWindow(EpochMs window_ms);

  void add(EpochMs ts, double latency_ms);
  void advance(EpochMs now);
  std::uint64_t count() const { return count_; }
  // The nearest-rank percentile p (1..100); 0 when empty.
  int percentile(int p) const;

 private:
  void update(int ms, int delta);
  EpochMs window_ms_;
  EpochMs now_ = 0;
  std::deque<std::pair<EpochMs, int>> values_;
  std::vector<std::int64_t> tree_;  // 1-based Fenwick tree over 0..kMaxMs
  std::uint64_t count_ = 0;
};

}  // namespace payedge::alert
