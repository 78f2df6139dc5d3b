// `logs query`, `logs count`, `logs export` and `logs sample`: whole lines out, in order.
#include <algorithm>
#include <queue>

#include "logs/command_output.h"
#include "logs/commands.h"
#include "logs/json_masker.h"
#include "logs/table.h"

namespace payedge::logs {

using namespace detail;  // NOLINT(google-build-using-namespace): the logs commands' own helpers

namespace {

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

}  // namespace

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
