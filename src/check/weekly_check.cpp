#include "check/weekly_check.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "logs/commands.h"
#include "slo/slo_report.h"
#include "store/store.h"

namespace payedge::check {
namespace {

constexpr EpochMs kDay = 86'400'000;

CheckItem sample_item(const WeeklyOptions& o) {
  CheckItem item;
  item.name = "sample";
  item.title = "로그 샘플 50건 수동 검수 / read 50 sampled log lines";
  if (o.inputs.empty()) {
    item.detail = "no log files given";
    return item;
  }
  std::FILE* out = std::fopen(o.sample_path.c_str(), "w");
  if (!out) {
    item.status = ItemStatus::kAttention;
    item.detail = "cannot write " + o.sample_path;
    return item;
  }
  logs::LogsOptions lo;
  lo.inputs = o.inputs;
  lo.filter.since = o.since;
  lo.filter.until = o.until;
  lo.format = logs::OutputFormat::kJson;
  lo.out = out;
  lo.err = std::tmpfile();
  const int rc = logs::run_sample(lo, o.sample_size, o.seed);  // masked JSON lines
  std::fclose(out);
  if (lo.err) std::fclose(lo.err);
  std::ifstream written(o.sample_path);
  std::size_t lines = 0;
  for (std::string l; std::getline(written, l);) lines += !l.empty();
  item.data = {{"file", o.sample_path}, {"lines", lines}, {"seed", o.seed}};
  item.status = rc == 0 ? ItemStatus::kOk : ItemStatus::kAttention;
  item.detail = rc == 0 ? fmt::format("{} masked lines in {} (seed {}): read them for odd patterns",
                                      lines, o.sample_path, o.seed)
                        : "a log input could not be read";
  return item;
}

CheckItem ratios_item(const WeeklyOptions& o) {
  CheckItem item;
  item.name = "ratios";
  item.title = "비율 지표 검토 / success and error ratios";
  if (o.inputs.empty()) {
    item.detail = "no log files given";
    return item;
  }
  slo::SloOptions so;
  so.inputs = o.inputs;
  so.period = {o.since, o.until};
  so.targets = o.config.slo;
  so.scan.out = stderr;
  const auto outcome = slo::compute_slo(so, *o.tz);
  const auto& r = outcome.report;
  std::uint64_t mismatches = 0;
  for (const auto& w : r.weekly) mismatches += w.mismatches;
  const double mismatch_rate =
      r.confirm_lines ? static_cast<double>(mismatches) / static_cast<double>(r.confirm_lines) : 0;
  std::uint64_t slow_days = 0;
  for (const auto& d : r.daily) slow_days += !d.pass;
  const auto success = r.success.value();
  const std::uint64_t malformed = outcome.stats.malformed;
  item.data = {{"confirms", r.confirm_lines},
               {"malformed_lines", malformed},
               {"success_rate", success ? nlohmann::ordered_json(*success) : nullptr},
               {"failed", r.success.failed},
               {"excluded", r.success.excluded},
               {"mismatch_rate", mismatch_rate},
               {"days_over_latency", slow_days}};
  const bool ok = r.success.pass() && slow_days == 0 &&
                  mismatch_rate < o.config.slo.mismatch_rate && malformed == 0 &&
                  outcome.stats.problems.empty();
  item.status = ok ? ItemStatus::kOk : ItemStatus::kAttention;
  item.detail = fmt::format(
      "{} confirms; success {} (target {}%); mismatch {:.3f}% (target < {}%); {} day(s) over "
      "the latency targets; {} malformed log line(s)",
      r.confirm_lines, success ? fmt::format("{:.3f}%", *success * 100) : "-",
      o.config.slo.success_rate * 100, mismatch_rate * 100, o.config.slo.mismatch_rate * 100,
      slow_days, malformed);
  return item;
}

CheckItem rotation_item(const WeeklyOptions& o) {
  CheckItem item;
  item.name = "secret_rotation";
  item.title = "시그니처 회전 준비 / webhook secret rotation schedule";
  if (!o.store) {
    item.detail = "no --store given";
    return item;
  }
  auto secrets = o.store->webhook_secrets(1);
  if (!secrets) {
    item.status = ItemStatus::kAttention;
    item.detail = "cannot read webhook_secrets: " + secrets.error().detail;
    return item;
  }
  const int period = o.config.webhook.rotation_period_days;
  if (secrets->empty()) {
    item.status = ItemStatus::kAttention;
    item.detail = fmt::format(
        "no rotation recorded (WEBHOOK_SECRET from the environment only): rotate with `payedge "
        "ops secret rotate` so the schedule ({} days) can be tracked",
        period);
    return item;
  }
  const EpochMs last = secrets->front().created_at;
  const EpochMs due = last + period * kDay;
  const long long days_left = (due - o.now) / kDay;
  item.data = {{"last_rotation", format_utc(last)},
               {"due", format_utc(due)},
               {"days_left", days_left},
               {"period_days", period}};
  item.status = days_left <= 14 ? ItemStatus::kAttention : ItemStatus::kOk;
  item.detail =
      days_left < 0
          ? fmt::format("rotation overdue by {} days (last {})", -days_left, o.tz->format(last))
          : fmt::format("next rotation due {} ({} days){}", o.tz->format(due), days_left,
                        days_left <= 14 ? ": prepare it this week" : "");
  return item;
}

CheckItem docs_item(const WeeklyOptions& o) {
  CheckItem item;
  item.name = "docs";
  item.title = "문서 최신화 / docs match the binary's error codes";
  if (o.docs_dir.empty()) {
    item.detail = "no --docs given";
    return item;
  }
  const std::string path = o.docs_dir + "/error-codes.md";
  std::ifstream in(path);
  if (!in) {
    item.status = ItemStatus::kAttention;
    item.detail = "cannot read " + path;
    return item;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::set<std::string> known, documented;
  for (const auto& e : all_error_codes()) known.emplace(e.name);
  static const std::regex code_re(R"(\b(E_[A-Z_]+[A-Z]|TOSS_API_ERROR)\b)");
  for (std::sregex_iterator it(text.begin(), text.end(), code_re), end; it != end; ++it) {
    documented.insert((*it)[1].str());
  }
  std::vector<std::string> missing, unknown;
  for (const auto& c : known) {
    if (!documented.contains(c)) missing.push_back(c);
  }
  for (const auto& c : documented) {
    if (!known.contains(c)) unknown.push_back(c);
  }
  item.data = {{"file", path}, {"missing", missing}, {"unknown", unknown}};
  item.status = missing.empty() && unknown.empty() ? ItemStatus::kOk : ItemStatus::kAttention;
  item.detail = item.status == ItemStatus::kOk
                    ? fmt::format("all {} error codes documented in {}", known.size(), path)
                    : fmt::format("{} undocumented, {} documented but unknown", missing.size(),
                                  unknown.size());
  return item;
}

CheckItem store_item(const WeeklyOptions& o) {
  CheckItem item;
  item.name = "store";
  item.title = "저장소 불변식 / store invariants (local, without Toss)";
  if (!o.store) {
    item.detail = "no --store given";
    return item;
  }
  auto v = o.store->local_violations();
  if (!v) {
    item.status = ItemStatus::kAttention;
    item.detail = "cannot check: " + v.error().detail;
    return item;
  }
  // The reconciler settles open attempts within minutes; one older than 10 min is stuck.
  auto stale = o.store->list_attempts(AttemptState::kInProgress, o.now - 10 * 60'000, 1000);
  const std::size_t stale_count = stale ? stale->size() : 0;
  item.data = {{"violations", v->size()}, {"stale_open_attempts", stale_count}};
  const bool ok = v->empty() && stale_count == 0;
  item.status = ok ? ItemStatus::kOk : ItemStatus::kAttention;
  item.detail = fmt::format(
      "{} violation(s), {} confirm attempt(s) open for over 10 min{}", v->size(), stale_count,
      ok ? "" : ": run `payedge ops reconcile` and `ops verify` (--toss-url)");
  return item;
}

}  // namespace

std::vector<CheckItem> run_weekly(const WeeklyOptions& o) {
  return {sample_item(o), ratios_item(o), rotation_item(o), docs_item(o), store_item(o)};
}

std::string_view to_string(ItemStatus s) {
  switch (s) {
    case ItemStatus::kOk:
      return "OK";
    case ItemStatus::kAttention:
      return "ATTENTION";
    case ItemStatus::kSkipped:
      return "SKIPPED";
  }
  return "?";
}

nlohmann::ordered_json weekly_json(const std::vector<CheckItem>& items) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  bool ok = true;
  for (const auto& i : items) {
    ok = ok && i.status != ItemStatus::kAttention;
    arr.push_back({{"name", i.name},
                   {"title", i.title},
                   {"status", to_string(i.status)},
                   {"detail", i.detail},
                   {"data", i.data}});
  }
  return {{"ok", ok}, {"items", arr}};
}

std::string weekly_table(const std::vector<CheckItem>& items) {
  std::string out;
  for (const auto& i : items) {
    out += fmt::format("{:<9}  {}\n           {}\n", to_string(i.status), i.title, i.detail);
  }
  return out;
}

}  // namespace payedge::check
