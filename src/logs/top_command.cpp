// `logs top --by FIELD`: the most frequent values.
#include "logs/command_output.h"
#include "logs/commands.h"
#include "logs/table.h"

namespace payedge::logs {

using namespace detail;  // NOLINT(google-build-using-namespace): the logs commands' own helpers

namespace {

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

}  // namespace

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

}  // namespace payedge::logs
