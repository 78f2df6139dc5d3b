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
    item.detail_ko = "로그 파일이 주어지지 않음";
    return item;
  }
  std::FILE* out = std::fopen(o.sample_path.c_str(), "w");
  if (!out) {
    item.status = ItemStatus::kAttention;
    item.detail = "cannot write " + o.sample_path;
    item.detail_ko = o.sample_path + " 에 쓸 수 없음";
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
  item.detail_ko = rc == 0 ? fmt::format(
                                 "{} 에 마스킹된 {}줄 (시드 {}): 이상한 패턴이 없는지 읽어 "
                                 "보세요",
                                 o.sample_path, lines, o.seed)
                           : "읽을 수 없는 로그 입력이 있음";
  return item;
}

CheckItem ratios_item(const WeeklyOptions& o) {
  CheckItem item;
  item.name = "ratios";
  item.title = "비율 지표 검토 / success and error ratios";
  if (o.inputs.empty()) {
    item.detail = "no log files given";
    item.detail_ko = "로그 파일이 주어지지 않음";
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
  item.detail_ko = fmt::format(
      "승인 {}건; 성공률 {} (목표 {}%); 금액 불일치 {:.3f}% (목표 < {}%); 지연 목표를 넘긴 날 "
      "{}일; 깨진 로그 {}줄",
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
    item.detail_ko = "--store 가 주어지지 않음";
    return item;
  }
  auto secrets = o.store->webhook_secrets(1);
  if (!secrets) {
    item.status = ItemStatus::kAttention;
    item.detail = "cannot read webhook_secrets: " + secrets.error().detail;
    item.detail_ko = "webhook_secrets 를 읽을 수 없음: " + secrets.error().detail;
    return item;
  }
  const int period = o.config.webhook.rotation_period_days;
  if (secrets->empty()) {
    item.status = ItemStatus::kAttention;
    item.detail = fmt::format(
        "no rotation recorded (WEBHOOK_SECRET from the environment only): rotate with `payedge "
        "ops secret rotate` so the schedule ({} days) can be tracked",
        period);
    item.detail_ko = fmt::format(
        "교체 기록 없음 (환경 변수 WEBHOOK_SECRET 만 사용): 주기({}일)를 추적하려면 `payedge ops "
        "secret rotate` 로 교체하세요",
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
  item.detail_ko = days_left < 0
                       ? fmt::format("교체가 {}일 늦음 (마지막 {})", -days_left, o.tz->format(last))
                       : fmt::format("다음 교체 예정 {} ({}일 남음){}", o.tz->format(due),
                                     days_left, days_left <= 14 ? ": 이번 주에 준비하세요" : "");
  return item;
}

CheckItem docs_item(const WeeklyOptions& o) {
  CheckItem item;
  item.name = "docs";
  item.title = "문서 최신화 / docs match the binary's error codes";
  if (o.docs_dir.empty()) {
    item.detail = "no --docs given";
    item.detail_ko = "--docs 가 주어지지 않음";
    return item;
  }
  const std::string path = o.docs_dir + "/error-codes.md";
  std::ifstream in(path);
  if (!in) {
    item.status = ItemStatus::kAttention;
    item.detail = "cannot read " + path;
    item.detail_ko = path + " 을 읽을 수 없음";
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
  item.detail_ko = item.status == ItemStatus::kOk
                       ? fmt::format("오류 코드 {}개 모두 {} 에 문서화됨", known.size(), path)
                       : fmt::format("문서에 없는 코드 {}개, 문서에만 있는 코드 {}개",
                                     missing.size(), unknown.size());
  return item;
}

CheckItem store_item(const WeeklyOptions& o) {
  CheckItem item;
  item.name = "store";
  item.title = "저장소 불변식 / store invariants (local, without Toss)";
  if (!o.store) {
    item.detail = "no --store given";
    item.detail_ko = "--store 가 주어지지 않음";
    return item;
  }
  auto v = o.store->local_violations();
  if (!v) {
    item.status = ItemStatus::kAttention;
    item.detail = "cannot check: " + v.error().detail;
    item.detail_ko = "확인할 수 없음: " + v.error().detail;
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
  item.detail_ko =
      fmt::format("위반 {}건, 10분 넘게 열린 승인 시도 {}건{}", v->size(), stale_count,
                  ok ? "" : ": `payedge ops reconcile` 과 `ops verify` (--toss-url) 를 실행하세요");
  return item;
}

// `ops verify --since --until` over the week: the payments approved in it against Toss, and
// Toss's transaction list for it against the store (a payment DONE at Toss but absent here).
CheckItem toss_item(const WeeklyOptions& o) {
  CheckItem item;
  item.name = "toss_verify";
  item.title = "토스 대조 / the week's payments against Toss (ops verify --since)";
  if (!o.verify) {
    item.detail = "no --toss-url given (or no --store)";
    item.detail_ko = "--toss-url (또는 --store) 가 주어지지 않음";
    return item;
  }
  const VerifyReport& r = *o.verify;
  std::set<std::string> kinds;
  for (const auto& v : r.violations) kinds.insert(v.kind);
  std::string kind_list;
  for (const auto& k : kinds) kind_list += (kind_list.empty() ? "" : ", ") + k;
  item.data = r.to_json();
  item.status = r.violations.empty() ? ItemStatus::kOk : ItemStatus::kAttention;
  item.detail = fmt::format("{} checked, {} violation(s){}; Toss listed {} transactions{}",
                            r.checked, r.violations.size(),
                            kind_list.empty() ? "" : " (" + kind_list + ")", r.toss_transactions,
                            r.violations.empty() ? "" : ": see `payedge ops verify --since`");
  item.detail_ko =
      fmt::format("확인 {}건, 위반 {}건{}; 토스 거래 {}건 조회{}", r.checked, r.violations.size(),
                  kind_list.empty() ? "" : " (" + kind_list + ")", r.toss_transactions,
                  r.violations.empty() ? "" : ": `payedge ops verify --since` 로 살펴보세요");
  return item;
}

}  // namespace

std::vector<CheckItem> run_weekly(const WeeklyOptions& o) {
  return {sample_item(o), ratios_item(o), rotation_item(o),
          docs_item(o),   store_item(o),  toss_item(o)};
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

std::string weekly_table(const std::vector<CheckItem>& items, bool english) {
  std::string out;
  for (const auto& i : items) {
    if (english) {
      out += fmt::format("{:<9}  {}\n           {}\n", to_string(i.status), i.title, i.detail);
      continue;
    }
    // The title's Korean half, the status in words of the runbook.
    const std::string title = i.title.substr(0, i.title.find(" / "));
    const char* status = i.status == ItemStatus::kOk          ? "정상     "
                         : i.status == ItemStatus::kAttention ? "확인 필요"
                                                              : "건너뜀   ";
    out += fmt::format("{}  {}\n           {}\n", status, title,
                       i.detail_ko.empty() ? i.detail : i.detail_ko);
  }
  return out;
}

}  // namespace payedge::check
