#include "logs/aggregates.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace payedge::logs {

bool server_side_failure(std::optional<std::int64_t> http_status, std::string_view code) {
  // The success SLO's "bad" (slo/slo_class) and the dashboard's "server": payments switched
  // off fail every buyer, so they count here too (a course switched off is one course's answer).
  const auto known = parse_error_code(code);
  if (known == ErrorCode::kTossApiError || known == ErrorCode::kInternal ||
      known == ErrorCode::kPaymentsDisabled) {
    return true;
  }
  if (http_status && *http_status > 0) return *http_status >= 500;
  // No status on the line (the original Edge Function's): the code's own status, and a line
  // that says nothing is not hidden as the client's.
  return !known || info(*known).http_status >= 500;
}

void KeyCounter::add(std::string_view key, std::uint64_t n) {
  if (n == 0) return;
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();
  const std::uint64_t hash = std::hash<std::string_view>{}(key);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.count == 0) {
      s = {hash, n, arena_.size(), key.size()};
      arena_.append(key);
      ++size_;
      return;
    }
    if (s.hash == hash && s.length == key.size() &&
        std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
      s.count += n;
      return;
    }
  }
}

void KeyCounter::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.count == 0) continue;
    std::size_t i = s.hash & mask;
    while (slots_[i].count) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void KeyCounter::merge(const KeyCounter& other) {
  other.for_each([&](std::string_view key, std::uint64_t n) { add(key, n); });
}

TopResult top_rows(std::string by, const KeyCounter& counts, std::uint64_t total,
                   std::uint64_t missing, std::size_t n) {
  TopResult r;
  r.by = std::move(by);
  r.total = total;
  r.missing = missing;
  r.distinct = counts.size();
  std::vector<std::pair<std::string_view, std::uint64_t>> all;
  all.reserve(counts.size());
  counts.for_each([&](std::string_view k, std::uint64_t c) { all.emplace_back(k, c); });
  auto order = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  const std::size_t keep = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), order);
  for (std::size_t i = 0; i < keep; ++i) {
    r.rows.push_back(
        {std::string(all[i].first), all[i].second,
         total ? static_cast<double>(all[i].second) / static_cast<double>(total) : 0.0});
  }
  return r;
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  if (o.dense_.size() > dense_.size()) dense_.resize(o.dense_.size());
  for (std::size_t i = 0; i < o.dense_.size(); ++i) dense_[i] += o.dense_[i];
  for (const auto& [v, n] : o.sparse_) sparse_[v] += n;
  count_ += o.count_;
  sum_ += o.sum_;
}

std::uint64_t nearest_rank_index(unsigned p, std::uint64_t n) {
  if (n == 0) return 0;
  const std::uint64_t rank = (static_cast<std::uint64_t>(p) * n + 99) / 100;  // ceil(p·n/100)
  return rank == 0 ? 0 : rank - 1;
}

LatencySummary LatencyHistogram::summary() const {
  LatencySummary s;
  s.count = count_;
  if (count_ == 0) return s;
  s.mean = static_cast<double>(sum_ / static_cast<long double>(count_));
  const std::uint64_t want[3] = {nearest_rank_index(50, count_), nearest_rank_index(95, count_),
                                 nearest_rank_index(99, count_)};
  double* out[3] = {&s.p50, &s.p95, &s.p99};
  int next = 0;
  std::uint64_t seen = 0;  // values before the current one
  // Walk the distinct values in ascending order: the dense integers merged with the sparse map.
  auto visit = [&](double v, std::uint64_t n) {
    while (next < 3 && want[next] < seen + n) *out[next++] = v;
    seen += n;
    s.max = v;
  };
  auto it = sparse_.begin();
  for (std::size_t i = 0; i < dense_.size(); ++i) {
    if (dense_[i] == 0) continue;
    const double v = static_cast<double>(i);
    for (; it != sparse_.end() && it->first < v; ++it) visit(it->first, it->second);
    visit(v, dense_[i]);
  }
  for (; it != sparse_.end(); ++it) visit(it->first, it->second);
  return s;
}

void WindowCounts::merge(const WindowCounts& o) {
  total += o.total;
  errors += o.errors;
  for (const auto& [code, n] : o.by_code) by_code[code] += n;
}

}  // namespace payedge::logs
