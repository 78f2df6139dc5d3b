// `logs latency [--by hour|day]`: percentiles of latency_ms.
#include <algorithm>
#include <cmath>
#include <map>

#include "logs/command_output.h"
#include "logs/commands.h"
#include "logs/table.h"

namespace payedge::logs {

using namespace detail;  // NOLINT(google-build-using-namespace): the logs commands' own helpers

namespace {

class LatencySink final : public RecordSink {
 public:
  LatencySink(LatencyBucket by, const TimeZone& tz) : by_(by), tz_(tz) {}
  void add(const LogRecord& r, RecordPosition) override {
    if (!r.latency_ms) return;
    if (by_ == LatencyBucket::kNone) {
      all.add(*r.latency_ms);
      return;
    }
    // Lines come in time order mostly: the last bucket is usually the right one.
    if (!current_ || r.ts < current_start_ || r.ts >= current_end_) {
      current_start_ = by_ == LatencyBucket::kHour ? tz_.floor_hour(r.ts) : tz_.floor_day(r.ts);
      current_end_ = by_ == LatencyBucket::kHour ? current_start_ + 3'600'000
                                                 : tz_.floor_day(current_start_ + 30 * 3'600'000);
      current_ = &buckets[current_start_];
    }
    current_->add(*r.latency_ms);
  }
  LatencyHistogram all;
  std::map<EpochMs, LatencyHistogram> buckets;

 private:
  LatencyBucket by_;
  const TimeZone& tz_;
  LatencyHistogram* current_ = nullptr;
  EpochMs current_start_ = 0, current_end_ = 0;
};

}  // namespace

// --- latency ---

LatencyOutcome compute_latency(const LogsOptions& o, LatencyBucket by, const TimeZone& tz) {
  std::vector<std::unique_ptr<LatencySink>> sinks;
  FieldSet wanted;
  wanted.latency = true;
  LatencyOutcome out;
  out.stats =
      scan_into(o, o.filter, wanted, sinks, [&] { return std::make_unique<LatencySink>(by, tz); });
  LatencySink& first = *sinks.front();
  for (std::size_t i = 1; i < sinks.size(); ++i) {
    first.all.merge(sinks[i]->all);
    for (const auto& [start, h] : sinks[i]->buckets) first.buckets[start].merge(h);
  }
  if (by == LatencyBucket::kNone) {
    out.rows.push_back({"", first.all.summary()});
  } else {
    for (const auto& [start, h] : first.buckets) {
      out.rows.push_back(
          {by == LatencyBucket::kHour ? tz.hour_label(start) : tz.day_label(start), h.summary()});
    }
  }
  return out;
}

ojson latency_json(const LatencySummary& s) {
  if (s.count == 0) {
    return {{"count", 0},     {"mean", nullptr}, {"p50", nullptr},
            {"p95", nullptr}, {"p99", nullptr},  {"max", nullptr}};
  }
  return {{"count", s.count},          {"mean", std::round(s.mean * 1000) / 1000},
          {"p50", number_json(s.p50)}, {"p95", number_json(s.p95)},
          {"p99", number_json(s.p99)}, {"max", number_json(s.max)}};
}

int run_latency(const LogsOptions& o, LatencyBucket by, const TimeZone& tz) {
  const LatencyOutcome l = compute_latency(o, by, tz);
  if (!l.stats.problems.empty()) return finish(o, l.stats);
  if (o.format == OutputFormat::kJson) {
    if (by == LatencyBucket::kNone) {
      print(o.out, dump(latency_json(l.rows.front().summary)) + "\n");
    } else {
      ojson rows = ojson::array();
      for (const auto& row : l.rows) {
        ojson j = {{"bucket", row.bucket}};
        j.update(latency_json(row.summary));
        rows.push_back(std::move(j));
      }
      print(o.out, dump(ojson{{"rows", rows}, {"tz", tz.name()}}) + "\n");
    }
    return finish(o, l.stats);
  }
  std::vector<std::string> headers = {"count", "mean", "p50", "p95", "p99", "max"};
  if (by != LatencyBucket::kNone) headers.insert(headers.begin(), "bucket");
  auto cells = [&](const LatencyRow& row) {
    const auto& s = row.summary;
    std::vector<std::string> c;
    if (by != LatencyBucket::kNone) c.push_back(row.bucket);
    c.push_back(std::to_string(s.count));
    if (s.count == 0) {
      c.insert(c.end(), 5, "-");
    } else {
      c.push_back(o.format == OutputFormat::kCsv ? number_text(std::round(s.mean * 1000) / 1000)
                                                 : fmt::format("{:.1f}", s.mean));
      for (double v : {s.p50, s.p95, s.p99, s.max}) c.push_back(number_text(v));
    }
    return c;
  };
  if (o.format == OutputFormat::kCsv) {
    print(o.out, csv_line(headers));
    for (const auto& row : l.rows) print(o.out, csv_line(cells(row)));
  } else {
    TextTable table(headers);
    for (std::size_t c = by == LatencyBucket::kNone ? 0 : 1; c < headers.size(); ++c) {
      table.align_right(c);
    }
    for (const auto& row : l.rows) table.add_row(cells(row));
    std::string text = table.render();
    if (by != LatencyBucket::kNone && l.rows.size() > 1 && l.rows.size() <= 400) {
      // As `logs errors` draws its rate: one cell per bucket (an empty bucket is the lowest).
      std::vector<double> p95;
      for (const auto& row : l.rows) p95.push_back(row.summary.count ? row.summary.p95 : 0);
      text += fmt::format("p95  {}  (max {} ms)\n", sparkline(p95),
                          number_text(*std::max_element(p95.begin(), p95.end())));
    }
    if (by != LatencyBucket::kNone) text += fmt::format("buckets in {}\n", tz.name());
    print(o.out, text);
  }
  return finish(o, l.stats);
}

}  // namespace payedge::logs
