#include "logs/commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <queue>

#include "core/error.h"
#include "logs/json_masker.h"
#include "logs/table.h"
#include "store/store.h"

namespace payedge::logs {
namespace {

using ojson = nlohmann::ordered_json;

// The SPEC section 7 fields, in order: the columns of CSV output.
constexpr std::string_view kColumns[] = {
    "ts",        "level",           "fn",          "request_id",
    "status",    "error_code",      "latency_ms",  "http_status",
    "user_id",   "course_id",       "order_id",    "payment_key",
    "amount",    "expected_amount", "coupon_code", "toss_http_status",
    "toss_code", "toss_latency_ms", "replayed",    "ip",
    "ua"};
constexpr std::size_t kColumnCount = std::size(kColumns);

// The columns a human reads in a table, with their widths (negative: right-aligned).
struct TableColumn {
  std::size_t column;
  int width;
};
constexpr TableColumn kTableColumns[] = {{0, 24}, {2, 15}, {4, 7},   {5, 22}, {6, -10},
                                         {8, 36}, {9, 14}, {10, 22}, {12, -8}};

std::string number_text(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) {
    return fmt::format("{}", static_cast<long long>(v));
  }
  return fmt::format("{}", v);
}

ojson number_json(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) {
    return static_cast<long long>(v);
  }
  return v;
}

template <class T>
std::string opt_text(const std::optional<T>& v) {
  if (!v) return {};
  if constexpr (std::is_same_v<T, double>) {
    return number_text(*v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return *v ? "true" : "false";
  } else {
    return fmt::format("{}", *v);
  }
}

std::vector<std::string> record_cells(const LogRecord& r) {
  auto s = [&](Field f) { return std::string(r.get_or(f)); };
  return {format_utc(r.ts),       s(Field::kLevel),
          s(Field::kFn),          s(Field::kRequestId),
          s(Field::kStatus),      s(Field::kErrorCode),
          opt_text(r.latency_ms), opt_text(r.http_status),
          s(Field::kUserId),      s(Field::kCourseId),
          s(Field::kOrderId),     s(Field::kPaymentKey),
          opt_text(r.amount),     opt_text(r.expected_amount),
          s(Field::kCouponCode),  opt_text(r.toss_http_status),
          s(Field::kTossCode),    opt_text(r.toss_latency_ms),
          opt_text(r.replayed),   s(Field::kIp),
          s(Field::kUa)};
}

std::vector<std::string> json_cells(const ojson& j) {
  std::vector<std::string> cells;
  for (auto name : kColumns) {
    auto it = j.find(std::string(name));
    if (it == j.end() || it->is_null()) {
      cells.emplace_back();
    } else if (it->is_string()) {
      cells.push_back(it->get<std::string>());
    } else if (it->is_number_float()) {
      cells.push_back(number_text(it->get<double>()));
    } else {
      cells.push_back(it->dump());
    }
  }
  return cells;
}

std::string table_line(const std::vector<std::string>& cells) {
  std::string out;
  for (const auto& c : kTableColumns) {
    if (!out.empty()) out += "  ";
    out += fit(cells[c.column], static_cast<std::size_t>(std::abs(c.width)), c.width < 0);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "\n";
}

std::string table_header() {
  std::vector<std::string> names(kColumns, kColumns + kColumnCount);
  std::string out = table_line(names);
  std::vector<std::string> rule;
  for (std::size_t i = 0; i < kColumnCount; ++i) rule.emplace_back();
  for (const auto& c : kTableColumns) rule[c.column] = std::string(std::abs(c.width), '-');
  return out + table_line(rule);
}

std::string csv_header() {
  return csv_line(std::vector<std::string>(kColumns, kColumns + kColumnCount));
}

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

// Runs the scan with one sink per thread (made by `make`); the sinks stay for the caller.
template <class Sink, class Make>
ScanStats scan_into(const LogsOptions& o, const FilterSpec& filter_spec, FieldSet wanted,
                    std::vector<std::unique_ptr<Sink>>& sinks, Make make) {
  const unsigned n = resolve_threads(o.scan.threads);
  for (unsigned i = 0; i < n; ++i) sinks.push_back(make());
  std::vector<RecordSink*> raw;
  for (auto& s : sinks) raw.push_back(s.get());
  const RecordFilter filter(filter_spec);
  ScanOptions so = o.scan;
  so.out = o.out;
  return scan_logs(o.inputs, wanted, filter, raw, so);
}

int finish(const LogsOptions& o, const ScanStats& stats) {
  std::fflush(o.out);
  return report_scan(stats, o.verbose, o.err) ? 0 : 1;
}

void print(std::FILE* out, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out);
}

// --- sinks ---

class QuerySink final : public RecordSink {
 public:
  QuerySink(OutputFormat format, bool count_only) : format_(format), count_only_(count_only) {}
  void add(const LogRecord& r, RecordPosition) override {
    if (count_only_) return;
    switch (format_) {
      case OutputFormat::kJson:
        buf_.text.append(r.json);
        buf_.text.push_back('\n');
        break;
      case OutputFormat::kCsv:
        buf_.text += csv_line(record_cells(r));
        break;
      case OutputFormat::kTable:
        buf_.text += table_line(record_cells(r));
        break;
    }
    buf_.end_piece();
  }
  void take_output(OrderedOutput& out) override { std::swap(out, buf_); }

 private:
  OutputFormat format_;
  bool count_only_;
  OrderedOutput buf_;
};

class TopSink final : public RecordSink {
 public:
  explicit TopSink(TopBy by) : by_(by) {}
  void add(const LogRecord& r, RecordPosition) override {
    ++total;
    if (!by_.field) {
      if (r.replayed) {
        counts.add(*r.replayed ? "true" : "false");
      } else {
        ++missing;
      }
    } else if (const auto& v = r.get(*by_.field)) {
      counts.add(*v);
    } else {
      ++missing;
    }
  }
  KeyCounter counts;
  std::uint64_t total = 0, missing = 0;

 private:
  TopBy by_;
};

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

class MismatchSink final : public RecordSink {
 public:
  void add(const LogRecord& r, RecordPosition pos) override {
    MismatchLine m;
    m.ts = r.ts;
    m.request_id = r.get_or(Field::kRequestId);
    m.order_id = r.get_or(Field::kOrderId);
    m.user_id = r.get_or(Field::kUserId);
    m.course_id = r.get_or(Field::kCourseId);
    if (const auto& c = r.get(Field::kCouponCode); c && !c->empty())
      m.coupon_code = std::string(*c);
    m.amount = r.amount;
    m.expected_amount = r.expected_amount;
    m.pos = pos;
    lines.push_back(std::move(m));
  }
  std::vector<MismatchLine> lines;
};

class ExportSink final : public RecordSink {
 public:
  ExportSink(OutputFormat format, bool mask) : format_(format), mask_(mask) {}
  void add(const LogRecord& r, RecordPosition) override {
    auto j = masker_.convert(r.json, mask_);
    if (!j) return;  // cannot happen: the scanner parsed it
    switch (format_) {
      case OutputFormat::kJson:
        buf_.text += dump(*j);
        buf_.text.push_back('\n');
        break;
      case OutputFormat::kCsv:
        buf_.text += csv_line(json_cells(*j));
        break;
      case OutputFormat::kTable:
        buf_.text += table_line(json_cells(*j));
        break;
    }
    buf_.end_piece();
  }
  void take_output(OrderedOutput& out) override { std::swap(out, buf_); }

 private:
  OutputFormat format_;
  bool mask_;
  JsonMasker masker_;
  OrderedOutput buf_;
};

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

struct SampleItem {
  std::uint64_t rank;
  RecordPosition pos;
  std::string json;
  bool operator<(const SampleItem& o) const { return rank != o.rank ? rank < o.rank : pos < o.pos; }
};

// Bottom-n by rank: a uniform sample without replacement, independent of the scan's order.
class SampleSink final : public RecordSink {
 public:
  SampleSink(std::size_t n, std::uint64_t seed) : n_(n), seed_(splitmix64(seed)) {}
  void add(const LogRecord& r, RecordPosition pos) override {
    if (n_ == 0) return;
    const std::uint64_t rank = splitmix64(splitmix64(seed_ ^ pos.input) ^ pos.offset);
    if (heap.size() == n_ && !(SampleItem{rank, pos, {}} < heap.top())) return;
    heap.push({rank, pos, std::string(r.json)});
    if (heap.size() > n_) heap.pop();
  }
  std::priority_queue<SampleItem> heap;  // the largest rank on top

 private:
  std::size_t n_;
  std::uint64_t seed_;
};

FieldSet fields_for_output(OutputFormat f) {
  FieldSet s = f == OutputFormat::kJson ? FieldSet{} : FieldSet::all();
  s.json = true;
  return s;
}

void print_masked(const LogsOptions& o, const std::vector<std::string>& lines) {
  JsonMasker masker;
  if (o.format == OutputFormat::kCsv) print(o.out, csv_header());
  if (o.format == OutputFormat::kTable) print(o.out, table_header());
  for (const auto& line : lines) {
    auto j = masker.convert(line, true);
    if (!j) continue;
    if (o.format == OutputFormat::kJson) print(o.out, dump(*j) + "\n");
    if (o.format == OutputFormat::kCsv) print(o.out, csv_line(json_cells(*j)));
    if (o.format == OutputFormat::kTable) print(o.out, table_line(json_cells(*j)));
  }
}

std::string percent(double share) { return fmt::format("{:.2f}%", share * 100); }

// A bar of `width` cells for `value` of `max`, in eighths.
std::string bar(double value, double max, int width) {
  static const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  if (max <= 0 || value <= 0) return {};
  const int eighths = static_cast<int>(std::lround(value / max * width * 8));
  std::string out;
  for (int i = 0; i < eighths / 8; ++i) out += "█";
  out += kEighths[eighths % 8];
  if (out.empty()) out = "▏";
  return out;
}

std::string sparkline(const std::vector<double>& values) {
  static const char* kLevels[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  const double max = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
  std::string out;
  for (double v : values) {
    const int level = max > 0 ? static_cast<int>(std::lround(v / max * 7)) : 0;
    out += kLevels[std::clamp(level, 0, 7)];
  }
  return out;
}

}  // namespace

std::optional<OutputFormat> parse_format(std::string_view text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "csv") return OutputFormat::kCsv;
  return std::nullopt;
}

// --- query ---

int run_query(const LogsOptions& o, bool count_only) {
  std::vector<std::unique_ptr<QuerySink>> sinks;
  FieldSet wanted = count_only ? FieldSet{} : fields_for_output(o.format);
  if (!count_only && o.format == OutputFormat::kCsv) print(o.out, csv_header());
  if (!count_only && o.format == OutputFormat::kTable) print(o.out, table_header());
  std::fflush(o.out);
  const ScanStats stats = scan_into(o, o.filter, wanted, sinks, [&] {
    return std::make_unique<QuerySink>(o.format, count_only);
  });
  // A count of a partly unreadable input would be a wrong number: nothing on stdout then.
  if (count_only && stats.problems.empty()) {
    std::fprintf(o.out, "%llu\n", static_cast<unsigned long long>(stats.matched));
  }
  return finish(o, stats);
}

// --- top ---

std::optional<TopBy> TopBy::parse(std::string_view name) {
  if (name == "replayed") return replayed();
  if (const auto f = parse_field(name)) return TopBy(*f);
  return std::nullopt;
}

std::string TopBy::name() const {
  return field ? std::string(field_name(*field)) : std::string("replayed");
}

TopOutcome compute_top(const LogsOptions& o, TopBy by, std::size_t n) {
  std::vector<std::unique_ptr<TopSink>> sinks;
  FieldSet wanted;
  if (by.field) {
    wanted.add(*by.field);
  } else {
    wanted.toss = true;  // replayed
  }
  TopOutcome out;
  out.stats = scan_into(o, o.filter, wanted, sinks, [&] { return std::make_unique<TopSink>(by); });
  TopSink& first = *sinks.front();
  for (std::size_t i = 1; i < sinks.size(); ++i) {
    first.counts.merge(sinks[i]->counts);
    first.total += sinks[i]->total;
    first.missing += sinks[i]->missing;
  }
  out.result = top_rows(by.name(), first.counts, first.total, first.missing, n);
  return out;
}

ojson top_json(const TopResult& r) {
  ojson rows = ojson::array();
  for (const auto& row : r.rows) {
    rows.push_back({{"key", row.key}, {"count", row.count}, {"share", row.share}});
  }
  return {{"by", r.by},
          {"total", r.total},
          {"rows", rows},
          {"missing", r.missing},
          {"distinct", r.distinct}};
}

int run_top(const LogsOptions& o, TopBy by, std::size_t n) {
  const TopOutcome t = compute_top(o, by, n);
  if (!t.stats.problems.empty()) return finish(o, t.stats);  // no figures from half the input
  const TopResult& r = t.result;
  if (o.format == OutputFormat::kJson) {
    print(o.out, dump(top_json(r)) + "\n");
  } else if (o.format == OutputFormat::kCsv) {
    print(o.out, csv_line({"key", "count", "share"}));
    for (const auto& row : r.rows) {
      print(o.out, csv_line({row.key, std::to_string(row.count), fmt::format("{}", row.share)}));
    }
  } else {
    TextTable table({"#", r.by, "count", "share", ""});
    table.align_right(0);
    table.align_right(2);
    table.align_right(3);
    const double max = r.rows.empty() ? 0 : static_cast<double>(r.rows.front().count);
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
      const auto& row = r.rows[i];
      table.add_row({std::to_string(i + 1), row.key, std::to_string(row.count), percent(row.share),
                     bar(static_cast<double>(row.count), max, 20)});
    }
    std::string text = table.render();
    text += fmt::format("{} matching lines, {} distinct {}", r.total, r.distinct, r.by);
    if (r.missing) text += fmt::format(", {} without {}", r.missing, r.by);
    print(o.out, text + "\n");
  }
  return finish(o, t.stats);
}

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

// --- mismatches ---

MismatchOutcome compute_mismatches(const LogsOptions& o) {
  FilterSpec spec = o.filter;
  spec.error_code = {std::string(info(ErrorCode::kAmountMismatch).name)};
  std::vector<std::unique_ptr<MismatchSink>> sinks;
  FieldSet wanted;
  wanted.add(Field::kRequestId).add(Field::kOrderId).add(Field::kUserId).add(Field::kCourseId);
  wanted.add(Field::kCouponCode);
  wanted.amounts = true;
  MismatchOutcome out;
  out.stats = scan_into(o, spec, wanted, sinks, [] { return std::make_unique<MismatchSink>(); });
  for (auto& s : sinks) {
    for (auto& m : s->lines) out.lines.push_back(std::move(m));
  }
  std::sort(out.lines.begin(), out.lines.end(), [](const auto& a, const auto& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.pos < b.pos;
  });
  return out;
}

namespace {

ojson quote_json(const PriceQuote& q) {
  auto opt = [](const auto& v) { return v ? ojson(*v) : ojson(nullptr); };
  ojson j = {{"list_price", q.list_price},
             {"sale_price", opt(q.sale_price)},
             {"sale_active", q.sale_active},
             {"base", q.base},
             {"coupon_code", opt(q.coupon_code)},
             {"coupon_applied", q.coupon_applied},
             {"discount", q.discount},
             {"expected", q.expected}};
  if (q.coupon_code && !q.coupon_applied) j["coupon_error"] = q.coupon_error;
  return j;
}

std::string quote_text(const PriceQuote& q) {
  std::string s = fmt::format("list {}", q.list_price);
  if (q.sale_price) {
    s += fmt::format(", sale {}{}", *q.sale_price, q.sale_active ? "" : " (not active)");
  }
  if (q.coupon_code) {
    s += q.coupon_applied
             ? fmt::format(", coupon {} -{}", *q.coupon_code, q.discount)
             : fmt::format(", coupon {} not applied ({})", *q.coupon_code, q.coupon_error);
  }
  return s + fmt::format(" → {}", q.expected);
}

template <class T>
std::string opt_or_dash(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : std::string("-");
}

}  // namespace

int run_mismatches(const LogsOptions& o, Store* store, EpochMs now) {
  const MismatchOutcome m = compute_mismatches(o);
  if (!m.stats.problems.empty()) return finish(o, m.stats);
  std::map<std::string, std::optional<Course>> courses;
  std::map<std::string, std::optional<Coupon>> coupons;
  std::vector<std::optional<MismatchExplanation>> explained(m.lines.size());
  int code = 0;
  if (store) {
    for (std::size_t i = 0; i < m.lines.size(); ++i) {
      const auto& line = m.lines[i];
      if (!courses.count(line.course_id)) {
        auto c = store->find_course(line.course_id);
        if (!c) {
          std::fprintf(o.err, "error: store: %s\n", c.error().detail.c_str());
          code = 1;
          break;
        }
        courses[line.course_id] = *c;
      }
      std::optional<Coupon> coupon;
      if (line.coupon_code) {
        if (!coupons.count(*line.coupon_code)) {
          auto c = store->find_coupon(*line.coupon_code);
          if (!c) {
            std::fprintf(o.err, "error: store: %s\n", c.error().detail.c_str());
            code = 1;
            break;
          }
          coupons[*line.coupon_code] = *c;
        }
        coupon = coupons[*line.coupon_code];
      }
      explained[i] = explain_mismatch(line, courses[line.course_id], coupon, now);
    }
  }
  if (o.format == OutputFormat::kJson) {
    ojson rows = ojson::array();
    std::map<std::string, std::uint64_t> by_course;
    for (std::size_t i = 0; i < m.lines.size(); ++i) {
      const auto& l = m.lines[i];
      auto opt = [](const auto& v) { return v ? ojson(*v) : ojson(nullptr); };
      auto text = [](const std::string& v) { return v.empty() ? ojson(nullptr) : ojson(v); };
      ojson j = {{"ts", format_utc(l.ts)},         {"request_id", text(l.request_id)},
                 {"order_id", text(l.order_id)},   {"user_id", text(l.user_id)},
                 {"course_id", text(l.course_id)}, {"coupon_code", opt(l.coupon_code)},
                 {"amount", opt(l.amount)},        {"expected_amount", opt(l.expected_amount)}};
      if (explained[i]) {
        const auto& x = *explained[i];
        j["course_found"] = x.course_found;
        if (x.course_found) {
          j["today"] = quote_json(x.now);
          j["at_request"] = quote_json(x.at_request);
        }
        j["reason"] = x.reason;
        j["reason_ko"] = x.reason_ko;
      }
      ++by_course[l.course_id];
      rows.push_back(std::move(j));
    }
    ojson counts = ojson::object();
    for (const auto& [course, n] : by_course) counts[course] = n;
    print(o.out,
          dump(ojson{{"count", m.lines.size()}, {"by_course", counts}, {"rows", rows}}) + "\n");
    const int rc = finish(o, m.stats);
    return code ? code : rc;
  }
  if (o.format == OutputFormat::kCsv) {
    std::vector<std::string> headers = {"ts",          "order_id", "user_id",        "course_id",
                                        "coupon_code", "amount",   "expected_amount"};
    if (store) {
      headers.insert(headers.end(), {"today_list_price", "today_sale_price", "today_sale_active",
                                     "today_discount", "today_expected", "reason"});
    }
    print(o.out, csv_line(headers));
    for (std::size_t i = 0; i < m.lines.size(); ++i) {
      const auto& l = m.lines[i];
      std::vector<std::string> row = {format_utc(l.ts),
                                      l.order_id,
                                      l.user_id,
                                      l.course_id,
                                      l.coupon_code.value_or(""),
                                      opt_text(l.amount),
                                      opt_text(l.expected_amount)};
      if (explained[i]) {
        const auto& x = *explained[i];
        if (x.course_found) {
          row.insert(row.end(), {std::to_string(x.now.list_price), opt_text(x.now.sale_price),
                                 x.now.sale_active ? "true" : "false",
                                 std::to_string(x.now.discount), std::to_string(x.now.expected)});
        } else {
          row.insert(row.end(), 5, "");
        }
        row.push_back(o.english ? x.reason : x.reason_ko);
      }
      print(o.out, csv_line(row));
    }
    const int rc = finish(o, m.stats);
    return code ? code : rc;
  }
  std::string text;
  for (std::size_t i = 0; i < m.lines.size(); ++i) {
    const auto& l = m.lines[i];
    text += fmt::format("{}  order {}  user {}  course {}  coupon {}\n", format_utc(l.ts),
                        l.order_id.empty() ? "-" : l.order_id, l.user_id.empty() ? "-" : l.user_id,
                        l.course_id.empty() ? "-" : l.course_id, l.coupon_code.value_or("-"));
    text += fmt::format("  front end {}   service expected {}\n", opt_or_dash(l.amount),
                        opt_or_dash(l.expected_amount));
    if (explained[i]) {
      const auto& x = *explained[i];
      if (x.course_found) {
        text += fmt::format("  today:             {}\n", quote_text(x.now));
        text += fmt::format("  at request time:   {}\n", quote_text(x.at_request));
      }
      text += fmt::format("  {}: {}\n", o.english ? "reason" : "이유",
                          o.english ? x.reason : x.reason_ko);
    }
  }
  text += fmt::format("{} amount mismatch{}\n", m.lines.size(), m.lines.size() == 1 ? "" : "es");
  print(o.out, text);
  const int rc = finish(o, m.stats);
  return code ? code : rc;
}

// --- export, sample ---

int run_export(const LogsOptions& o, bool mask) {
  std::vector<std::unique_ptr<ExportSink>> sinks;
  if (o.format == OutputFormat::kCsv) print(o.out, csv_header());
  if (o.format == OutputFormat::kTable) print(o.out, table_header());
  std::fflush(o.out);
  FieldSet wanted;
  wanted.json = true;
  const ScanStats stats = scan_into(o, o.filter, wanted, sinks,
                                    [&] { return std::make_unique<ExportSink>(o.format, mask); });
  return finish(o, stats);
}

SampleOutcome compute_sample(const LogsOptions& o, std::size_t n, std::uint64_t seed) {
  std::vector<std::unique_ptr<SampleSink>> sinks;
  FieldSet wanted;
  wanted.json = true;
  SampleOutcome out;
  out.stats =
      scan_into(o, o.filter, wanted, sinks, [&] { return std::make_unique<SampleSink>(n, seed); });
  std::vector<SampleItem> all;
  for (auto& s : sinks) {
    while (!s->heap.empty()) {
      all.push_back(std::move(const_cast<SampleItem&>(s->heap.top())));
      s->heap.pop();
    }
  }
  std::sort(all.begin(), all.end());
  if (all.size() > n) all.resize(n);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.pos < b.pos; });
  for (auto& item : all) out.lines.push_back(std::move(item.json));
  return out;
}

int run_sample(const LogsOptions& o, std::size_t n, std::uint64_t seed) {
  const SampleOutcome s = compute_sample(o, n, seed);
  if (!s.stats.problems.empty()) return finish(o, s.stats);
  print_masked(o, s.lines);
  return finish(o, s.stats);
}

}  // namespace payedge::logs
