#include "logs/command_output.h"

#include <algorithm>
#include <cmath>

#include "logs/json_masker.h"
#include "logs/table.h"

namespace payedge::logs {
namespace detail {
namespace {

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

}  // namespace

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

int finish(const LogsOptions& o, const ScanStats& stats) {
  std::fflush(o.out);
  return report_scan(stats, o.verbose, o.err) ? 0 : 1;
}

void print(std::FILE* out, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out);
}

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

}  // namespace detail

std::optional<OutputFormat> parse_format(std::string_view text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "csv") return OutputFormat::kCsv;
  return std::nullopt;
}

}  // namespace payedge::logs
