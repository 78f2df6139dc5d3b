#include "logs/aggregates.h"

#include <algorithm>

namespace payedge::logs {

TopResult top_rows(std::string by, const CountMap& counts, std::uint64_t total,
                   std::uint64_t missing, std::size_t n) {
  TopResult r;
  r.by = std::move(by);
  r.total = total;
  r.missing = missing;
  r.distinct = counts.size();
  std::vector<std::pair<std::string_view, std::uint64_t>> all(counts.begin(), counts.end());
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
