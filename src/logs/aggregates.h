// The counting behind `logs top`, `logs latency` and `logs errors`: per-thread accumulators
// that merge, with memory bounded by the number of distinct keys, latency values and windows
// (never by the number of lines).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace payedge::logs {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using CountMap = std::unordered_map<std::string, std::uint64_t, StringHash, std::equal_to<>>;

inline void count_key(CountMap& m, std::string_view key, std::uint64_t n = 1) {
  if (auto it = m.find(key); it != m.end()) {
    it->second += n;
  } else {
    m.emplace(std::string(key), n);
  }
}

// --- top ---

struct TopRow {
  std::string key;
  std::uint64_t count = 0;
  double share = 0;  // of TopResult::total
};

struct TopResult {
  std::string by;
  std::uint64_t total = 0;    // records that passed the filters
  std::uint64_t missing = 0;  // of those, records without the field (absent or null)
  std::uint64_t distinct = 0;
  std::vector<TopRow> rows;  // count descending, then key ascending (byte order)
};

TopResult top_rows(std::string by, const CountMap& counts, std::uint64_t total,
                   std::uint64_t missing, std::size_t n);

// --- latency ---

struct LatencySummary {
  std::uint64_t count = 0;
  double mean = 0;
  double p50 = 0, p95 = 0, p99 = 0, max = 0;
};

// Exact nearest-rank percentiles of SPEC section 8 (the value at index ceil(p/100·n)−1 of the
// sorted values), kept as a histogram of distinct values.
class LatencyHistogram {
 public:
  void add(double v) {
    ++count_;
    sum_ += v;
    if (v >= 0 && v < kDense && v == static_cast<double>(static_cast<std::uint32_t>(v))) {
      const auto i = static_cast<std::uint32_t>(v);
      if (i >= dense_.size()) dense_.resize(std::max<std::size_t>(i + 1, dense_.size() * 2));
      ++dense_[i];
    } else {
      ++sparse_[v];
    }
  }
  void merge(const LatencyHistogram& o);
  std::uint64_t count() const { return count_; }
  LatencySummary summary() const;

 private:
  static constexpr std::uint32_t kDense = 4096;  // integer milliseconds below this: a vector
  std::vector<std::uint64_t> dense_;
  std::map<double, std::uint64_t> sparse_;
  std::uint64_t count_ = 0;
  long double sum_ = 0;
};

// The index into the sorted values of the nearest-rank percentile `p` (1..100) of `n` values.
std::uint64_t nearest_rank_index(unsigned p, std::uint64_t n);

// --- errors per window ---

struct WindowCounts {
  std::uint64_t total = 0;
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t, std::less<>> by_code;

  void merge(const WindowCounts& o);
};

using WindowMap = std::map<std::int64_t, WindowCounts>;  // window start (epoch ms) → counts

}  // namespace payedge::logs
