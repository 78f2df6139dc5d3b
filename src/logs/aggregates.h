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
#include <vector>

namespace payedge::logs {

// Occurrences per distinct key: an open-addressing table of (hash, count, key) slots over
// one arena of key bytes. A lookup touches one slot and, on a hash match, the key once;
// std::unordered_map<std::string, …> chases three pointers per lookup, which made
// `top --by user_id` over 200k users twice as slow as the scan itself.
class KeyCounter {
 public:
  void add(std::string_view key, std::uint64_t n = 1);
  void merge(const KeyCounter& other);
  std::size_t size() const { return size_; }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& s : slots_) {
      if (s.count) f(std::string_view(arena_.data() + s.offset, s.length), s.count);
    }
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t count = 0;  // 0: empty
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };
  void grow();
  std::vector<Slot> slots_;  // a power of two, at most 3/4 full
  std::string arena_;
  std::size_t size_ = 0;
};

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

TopResult top_rows(std::string by, const KeyCounter& counts, std::uint64_t total,
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

// Whose failure an error line is. The runbook's "30분 오류율 < 1%" (4.2) is the server side's:
// Toss errors and timeouts (TOSS_API_ERROR), E_INTERNAL, payments switched off, any other 5xx
// answer — what the success SLO counts as bad. Client outcomes are the rest: bad input, auth,
// amount mismatch, an inactive course, a used-up coupon, a declined card, conflicts, limits.
enum class ErrorSide { kServer, kClient, kAll };
bool server_side_failure(std::optional<std::int64_t> http_status, std::string_view error_code);

struct WindowCounts {
  std::uint64_t total = 0;
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t, std::less<>> by_code;

  void merge(const WindowCounts& o);
};

using WindowMap = std::map<std::int64_t, WindowCounts>;  // window start (epoch ms) → counts

}  // namespace payedge::logs
