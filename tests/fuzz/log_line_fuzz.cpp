// libFuzzer target: the log-line reader (plain lines and Supabase-wrapped ones) must never
// crash on any line, always says record, blank or malformed, and its fast path reads every
// line exactly as the simdjson path does (or leaves it to simdjson).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "logs/record_parser.h"

namespace {

using payedge::logs::LineKind;
using payedge::logs::LogRecord;

bool same(const LogRecord& a, const LogRecord& b) {
  auto same_double = [](const std::optional<double>& x, const std::optional<double>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || (*x == *y && std::signbit(*x) == std::signbit(*y));
  };
  return a.ts == b.ts && a.str == b.str && same_double(a.latency_ms, b.latency_ms) &&
         same_double(a.toss_latency_ms, b.toss_latency_ms) && a.http_status == b.http_status &&
         a.amount == b.amount && a.expected_amount == b.expected_amount &&
         a.toss_http_status == b.toss_http_status && a.replayed == b.replayed && a.json == b.json &&
         a.wrapped == b.wrapped;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using payedge::logs::FieldSet;
  using payedge::logs::ParsePath;
  using payedge::logs::RecordParser;
  static RecordParser fast(FieldSet::all(), ParsePath::kFast);
  static RecordParser slow(FieldSet::all(), ParsePath::kSimdjsonOnly);
  // The scanner guarantees kLinePadding readable bytes after every line; so does this. The
  // padding is not spaces, as it is not in the scanner (the next line follows).
  std::vector<char> buffer(size + payedge::logs::kLinePadding, '7');
  if (size) std::memcpy(buffer.data(), data, size);
  const std::string_view line(buffer.data(), size);
  LogRecord a, b;
  const auto kind = fast.parse(line, a);
  if (kind != LineKind::kRecord && kind != LineKind::kBlank && kind != LineKind::kMalformed) {
    std::abort();
  }
  if (slow.parse(line, b) != kind) std::abort();
  if (kind == LineKind::kRecord && !same(a, b)) std::abort();
  if (kind == LineKind::kMalformed && fast.error() != slow.error()) std::abort();
  return 0;
}
