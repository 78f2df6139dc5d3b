// What the `payedge logs` commands share (src/logs/*_command.cpp): the SPEC section 7 columns
// in table and CSV form, number formatting, the threaded scan into one sink per thread, and the
// terminal charts. Internal to logs/: the commands' own interface is logs/commands.h.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "logs/commands.h"

namespace payedge::logs::detail {

using ojson = nlohmann::ordered_json;

std::string number_text(double v);
ojson number_json(double v);

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

// The SPEC section 7 fields of a record (or of a JSON line) as text cells, in column order.
std::vector<std::string> record_cells(const LogRecord& r);
std::vector<std::string> json_cells(const ojson& j);
// One line of the fixed-width table a human reads, and its two header lines.
std::string table_line(const std::vector<std::string>& cells);
std::string table_header();
std::string csv_header();
std::string dump(const ojson& j);

// Runs the scan with one sink per thread (made by `make`); the sinks stay for the caller.
template <class Sink, class Make>
ScanStats scan_into(const LogsOptions& o, const FilterSpec& filter_spec, FieldSet wanted,
                    std::vector<std::unique_ptr<Sink>>& sinks, Make make) {
  const unsigned n = resolve_threads(o.scan.threads);
  sinks.reserve(sinks.size() + n);
  for (unsigned i = 0; i < n; ++i) sinks.push_back(make());
  std::vector<RecordSink*> raw;
  raw.reserve(sinks.size());
  for (auto& s : sinks) raw.push_back(s.get());
  const RecordFilter filter(filter_spec);
  ScanOptions so = o.scan;
  so.out = o.out;
  return scan_logs(o.inputs, wanted, filter, raw, so);
}

// Flushes the output and reports the scan's problems: the process exit code.
int finish(const LogsOptions& o, const ScanStats& stats);
void print(std::FILE* out, const std::string& text);

// What a command that prints whole lines needs parsed.
FieldSet fields_for_output(OutputFormat f);
// Lines (JSON) printed masked in the chosen format, with the header it needs.
void print_masked(const LogsOptions& o, const std::vector<std::string>& lines);
std::string percent(double share);
// A bar of `width` cells for `value` of `max`, in eighths.
std::string bar(double value, double max, int width);
std::string sparkline(const std::vector<double>& values);

}  // namespace payedge::logs::detail
