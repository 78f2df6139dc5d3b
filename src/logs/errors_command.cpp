// `logs errors --window`: error rates per window, server side or client side.
#include <algorithm>

#include "logs/command_output.h"
#include "logs/commands.h"
#include "logs/table.h"

namespace payedge::logs {

using namespace detail;  // NOLINT(google-build-using-namespace): the logs commands' own helpers

namespace {

EpochMs window_start(EpochMs ts, EpochMs window, const TimeZone& tz) {
  const EpochMs off = tz.offset_seconds(ts) * 1000LL;
  EpochMs local = ts + off;
  EpochMs q = local / window;
  if (local % window < 0) --q;
  return q * window - off;
}

class ErrorsSink final : public RecordSink {
 public:
  ErrorsSink(EpochMs window, const TimeZone& tz, ErrorSide side)
      : window_(window), tz_(tz), side_(side) {}
  void add(const LogRecord& r, RecordPosition) override {
    if (!current_ || r.ts < start_ || r.ts >= start_ + window_) {
      start_ = window_start(r.ts, window_, tz_);
      current_ = &windows[start_];
    }
    ++current_->total;
    if (r.get_or(Field::kStatus) == "error" && on_side(r)) {
      ++current_->errors;
      if (const auto& code = r.get(Field::kErrorCode)) {
        if (auto it = current_->by_code.find(*code); it != current_->by_code.end()) {
          ++it->second;
        } else {
          current_->by_code.emplace(std::string(*code), 1);
        }
      }
    }
  }
  WindowMap windows;

 private:
  bool on_side(const LogRecord& r) const {
    if (side_ == ErrorSide::kAll) return true;
    const bool server = server_side_failure(r.http_status, r.get_or(Field::kErrorCode));
    return server == (side_ == ErrorSide::kServer);
  }
  EpochMs window_;
  const TimeZone& tz_;
  ErrorSide side_;
  WindowCounts* current_ = nullptr;
  EpochMs start_ = 0;
};

}  // namespace

// --- errors ---

ErrorsOutcome compute_errors(const LogsOptions& o, EpochMs window, const TimeZone& tz,
                             ErrorSide side) {
  std::vector<std::unique_ptr<ErrorsSink>> sinks;
  FieldSet wanted;
  wanted.add(Field::kStatus).add(Field::kErrorCode);
  wanted.http = true;
  ErrorsOutcome out;
  out.stats = scan_into(o, o.filter, wanted, sinks,
                        [&] { return std::make_unique<ErrorsSink>(window, tz, side); });
  out.windows = std::move(sinks.front()->windows);
  for (std::size_t i = 1; i < sinks.size(); ++i) {
    for (const auto& [start, w] : sinks[i]->windows) out.windows[start].merge(w);
  }
  return out;
}

namespace {

// Windows from the first to the last, the empty ones between included (up to a limit, past
// which only windows with lines are listed).
std::vector<std::pair<EpochMs, WindowCounts>> window_rows(const WindowMap& windows, EpochMs window,
                                                          const TimeZone& tz) {
  std::vector<std::pair<EpochMs, WindowCounts>> rows;
  if (windows.empty()) return rows;
  const EpochMs first = windows.begin()->first, last = windows.rbegin()->first;
  if ((last - first) / window > 100'000) {
    for (const auto& [start, w] : windows) rows.emplace_back(start, w);
    return rows;
  }
  for (EpochMs t = first; t <= last;) {
    auto it = windows.find(t);
    rows.emplace_back(t, it == windows.end() ? WindowCounts{} : it->second);
    // The next window start after t (local alignment may shift at an offset change).
    EpochMs next = window_start(t + window, window, tz);
    if (next <= t) next = t + window;
    if (auto nx = windows.upper_bound(t); nx != windows.end() && nx->first < next) next = nx->first;
    t = next;
  }
  return rows;
}

double rate(const WindowCounts& w) {
  return w.total ? static_cast<double>(w.errors) / static_cast<double>(w.total) : 0.0;
}

std::string top_codes(const WindowCounts& w, std::size_t n) {
  std::vector<std::pair<std::string, std::uint64_t>> codes(w.by_code.begin(), w.by_code.end());
  std::stable_sort(codes.begin(), codes.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (std::size_t i = 0; i < codes.size() && i < n; ++i) {
    if (i) out += ", ";
    out += fmt::format("{} {}", codes[i].first, codes[i].second);
  }
  if (codes.size() > n) out += ", …";
  return out;
}

}  // namespace

std::string_view side_name(ErrorSide side) {
  return side == ErrorSide::kServer ? "server" : side == ErrorSide::kClient ? "client" : "all";
}

ojson errors_json(const WindowMap& windows, EpochMs window, const TimeZone& tz, ErrorSide side) {
  ojson rows = ojson::array();
  for (const auto& [start, w] : window_rows(windows, window, tz)) {
    ojson codes = ojson::object();
    for (const auto& [code, n] : w.by_code) codes[code] = n;
    rows.push_back({{"window_start", tz.format(start)},
                    {"total", w.total},
                    {"errors", w.errors},
                    {"error_rate", rate(w)},
                    {"by_code", codes}});
  }
  return {{"rows", rows}, {"window_ms", window}, {"side", side_name(side)}};
}

int run_errors(const LogsOptions& o, EpochMs window, const TimeZone& tz, ErrorSide side) {
  const ErrorsOutcome e = compute_errors(o, window, tz, side);
  if (!e.stats.problems.empty()) return finish(o, e.stats);
  if (o.format == OutputFormat::kJson) {
    print(o.out, dump(errors_json(e.windows, window, tz, side)) + "\n");
    return finish(o, e.stats);
  }
  const auto rows = window_rows(e.windows, window, tz);
  if (o.format == OutputFormat::kCsv) {
    print(o.out, csv_line({"window_start", "total", "errors", "error_rate", "by_code"}));
    for (const auto& [start, w] : rows) {
      std::string codes;
      for (const auto& [code, n] : w.by_code) {
        codes += fmt::format("{}{}={}", codes.empty() ? "" : ";", code, n);
      }
      print(o.out, csv_line({tz.format(start), std::to_string(w.total), std::to_string(w.errors),
                             fmt::format("{}", rate(w)), codes}));
    }
    return finish(o, e.stats);
  }
  double max_rate = 0;
  std::vector<double> rates;
  std::uint64_t total = 0, errors = 0;
  for (const auto& [start, w] : rows) {
    max_rate = std::max(max_rate, rate(w));
    rates.push_back(rate(w));
    total += w.total;
    errors += w.errors;
  }
  TextTable table({"window_start", "total", "errors", "rate", "chart", "codes"});
  table.align_right(1);
  table.align_right(2);
  table.align_right(3);
  for (const auto& [start, w] : rows) {
    table.add_row({tz.format(start), std::to_string(w.total), std::to_string(w.errors),
                   percent(rate(w)), bar(rate(w), max_rate, 24), top_codes(w, 3)});
  }
  std::string text = table.render();
  if (rows.size() > 1 && rows.size() <= 400) {
    text += fmt::format("error rate  {}  (max {})\n", sparkline(rates), percent(max_rate));
  }
  const char* what = side == ErrorSide::kServer   ? "server-side errors"
                     : side == ErrorSide::kClient ? "client outcomes"
                                                  : "errors";
  text += fmt::format(
      "{} windows of {}, {} lines, {} {} ({})\n", rows.size(), format_span(window), total, errors,
      what, percent(total ? static_cast<double>(errors) / static_cast<double>(total) : 0));
  if (side == ErrorSide::kServer) {
    text += "(Toss errors, timeouts, E_INTERNAL, 5xx; --client for the client outcomes)\n";
  }
  print(o.out, text);
  return finish(o, e.stats);
}

}  // namespace payedge::logs
