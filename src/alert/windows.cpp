#include "alert/windows.h"

#include <algorithm>
#include <cmath>

namespace payedge::alert {

SlidingCounter::SlidingCounter(EpochMs window_ms, std::size_t series)
    : window_ms_(window_ms), totals_(series, 0) {}

void SlidingCounter::add(EpochMs ts, std::size_t series, std::uint64_t n) {
  advance(ts);
  const EpochMs second = std::max(ts, now_) / 1000;
  if (buckets_.empty() || buckets_.back().second < second) {
    buckets_.push_back({second, std::vector<std::uint64_t>(totals_.size(), 0)});
  }
  // A late event goes into the newest bucket: windows never reach back in time.
  buckets_.back().counts[series] += n;
  totals_[series] += n;
}

void SlidingCounter::advance(EpochMs now) {
  now_ = std::max(now_, now);
  // A bucket of second s holds [s, s+1) s; it leaves once all of it is older than the window.
  while (!buckets_.empty() && (buckets_.front().second + 1) * 1000 <= now_ - window_ms_) {
    for (std::size_t i = 0; i < totals_.size(); ++i) totals_[i] -= buckets_.front().counts[i];
    buckets_.pop_front();
  }
}

LatencyWindow::LatencyWindow(EpochMs window_ms)
    : window_ms_(window_ms), tree_(static_cast<std::size_t>(kMaxMs) + 2, 0) {}

void LatencyWindow::update(int ms, int delta) {
  for (std::size_t i = static_cast<std::size_t>(ms) + 1; i < tree_.size(); i += i & (~i + 1)) {
    tree_[i] += delta;
  }
}

void LatencyWindow::add(EpochMs ts, double latency_ms) {
  advance(ts);
  if (!(latency_ms >= 0)) return;  // negative or NaN: not a latency
  const int ms = static_cast<int>(std::min<double>(std::ceil(latency_ms), kMaxMs));
  values_.emplace_back(std::max(ts, now_), ms);
  update(ms, 1);
  ++count_;
}

void LatencyWindow::advance(EpochMs now) {
  now_ = std::max(now_, now);
  while (!values_.empty() && values_.front().first <= now_ - window_ms_) {
    update(values_.front().second, -1);
    values_.pop_front();
    --count_;
  }
}

int LatencyWindow::percentile(int p) const {
  if (count_ == 0) return 0;
  // Nearest rank: the value at 1-based rank ceil(p/100 · n).
  const std::uint64_t rank = (static_cast<std::uint64_t>(p) * count_ + 99) / 100;
  // The smallest value whose cumulative count reaches `rank` (Fenwick descent).
  std::size_t pos = 0;
  std::int64_t left = static_cast<std::int64_t>(std::max<std::uint64_t>(rank, 1));
  std::size_t step = 1;
  while (step * 2 < tree_.size()) step *= 2;
  for (; step > 0; step /= 2) {
    if (pos + step < tree_.size() && tree_[pos + step] < left) {
      pos += step;
      left -= tree_[pos];
    }
  }
  return static_cast<int>(pos);  // 1-based index pos + 1 is value pos
}

}  // namespace payedge::alert
