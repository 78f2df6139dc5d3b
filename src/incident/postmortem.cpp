#include "incident/postmortem.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "obs/mask.h"
#include "obs/svg_chart.h"
#include "slo/slo_class.h"

namespace payedge::incident {
namespace {

using logs::Field;

struct BinCounts {
  std::uint64_t good = 0, failed = 0, client = 0, toss_5xx = 0;
  logs::LatencyHistogram latency;
};

class ImpactSink final : public logs::RecordSink {
 public:
  ImpactSink(EpochMs since, EpochMs until, EpochMs bin_ms, std::size_t n_bins)
      : since_(since), until_(until), bin_ms_(bin_ms), bins(n_bins) {}
  void add(const logs::LogRecord& r, logs::RecordPosition) override {
    const bool confirm = r.get_or(Field::kFn) == "confirm-payment";
    if (r.ts >= until_) {
      // After the window: only whether an order of the window got paid.
      if (confirm && r.get_or(Field::kStatus) == "success") {
        if (auto o = r.get(Field::kOrderId)) paid.emplace(*o);
      }
      return;
    }
    ++lines;
    if (!confirm) return;
    ++confirms;
    if (r.latency_ms) latency.add(*r.latency_ms);
    const std::string_view status = r.get_or(Field::kStatus);
    const std::string_view code = r.get_or(Field::kErrorCode);
    if (!bins.empty() && r.ts >= since_) {
      BinCounts& b =
          bins[std::min(bins.size() - 1, static_cast<std::size_t>((r.ts - since_) / bin_ms_))];
      const auto t = r.toss_http_status.value_or(0);
      if (t >= 500 && t <= 599) ++b.toss_5xx;
      switch (slo::classify_confirm(status == "success",
                                    static_cast<int>(r.http_status.value_or(0)), code)) {
        case slo::SloClass::kGood:
          ++b.good;
          if (r.latency_ms) b.latency.add(*r.latency_ms);
          break;
        case slo::SloClass::kBad:
          ++b.failed;
          break;
        case slo::SloClass::kExcluded:
          ++b.client;
          break;
      }
    }
    if (status == "success") {
      if (auto o = r.get(Field::kOrderId)) paid.emplace(*o);
      return;
    }
    ++errors;
    if (!code.empty()) codes.add(code);
    if (code == "E_AMOUNT_MISMATCH") ++mismatches;
    if (auto u = r.get(Field::kUserId)) users.emplace(*u);
    const auto cls =
        slo::classify_confirm(false, static_cast<int>(r.http_status.value_or(0)), code);
    if (cls == slo::SloClass::kBad) ++failed;
    // A switch's refusal is a blocked purchase, not a failure (each order once).
    const auto order = r.get(Field::kOrderId);
    if (!order) return;
    if (code == "E_PAYMENTS_DISABLED" || code == "E_COURSE_INACTIVE") {
      blocked.emplace(std::string(*order), r.amount.value_or(0));
    } else if (cls == slo::SloClass::kBad) {
      orders.emplace(std::string(*order), r.amount.value_or(0));
    }
  }
  std::uint64_t lines = 0, confirms = 0, errors = 0, failed = 0, mismatches = 0;
  logs::KeyCounter codes;
  logs::LatencyHistogram latency;
  std::unordered_set<std::string> users;
  std::unordered_map<std::string, std::int64_t> orders, blocked;  // order id → amount
  std::unordered_set<std::string> paid;                           // orders with a success

 private:
  EpochMs since_, until_, bin_ms_;

 public:
  std::vector<BinCounts> bins;
};

std::string hhmm(EpochMs t, const logs::TimeZone& tz, bool with_day) {
  const std::string s = tz.format(t);  // 2026-11-26T10:02:03+09:00
  return with_day ? s.substr(5, 5) + " " + s.substr(11, 5) : s.substr(11, 5);
}

std::string won(std::int64_t krw) {
  std::string digits = std::to_string(krw < 0 ? -krw : krw);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return (krw < 0 ? "-₩" : "₩") + digits;
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? "-" : fmt::format("{:.2f}%", 100.0 * part / whole);
}

std::string quoted_inputs(const std::vector<std::string>& inputs) {
  std::string out;
  for (const auto& i : inputs) out += " '" + i + "'";
  return out;
}

// Rows the machine writes by the hundred (the reconciler settling attempts, deposits): one
// timeline line per actor and action kind, with a count.
bool bulk_automatic(const AuditEntry& a) {
  return a.action.starts_with("reconcile.") || a.action.starts_with("payment.deposit");
}

// Rows no person wrote: the automatic switches, the reconciler, webhook processing.
bool automatic(const AuditEntry& a) {
  return a.actor == "payedge-alert" || a.actor == "serve" || a.actor == "reconciler" ||
         a.actor == "webhook" || bulk_automatic(a);
}

// A flag's, a course's or a file's name as it is; anything else names a payment: masked.
std::string audit_target(const AuditEntry& a) {
  for (const char* clear : {"flag.", "course.", "catalog.", "secret."}) {
    if (a.action.starts_with(clear)) return a.target;
  }
  return mask_field("payment_key", a.target);
}

// The audit row's words: `catalog.seed` with what it changed (the cause of a price bug).
std::string audit_text(const AuditEntry& a) {
  std::string text = fmt::format("{}: {} {}", a.actor, a.action, audit_target(a));
  if (a.action == "catalog.seed") {
    const auto d = nlohmann::json::parse(a.details, nullptr, false);
    if (d.is_object() && d.contains("summary") && d["summary"].is_string()) {
      text += " — 카탈로그 변경: " + d["summary"].get<std::string>();
    }
  }
  if (!a.reason.empty()) text += fmt::format(" (사유: {})", a.reason);
  return text;
}

std::string state_ko(const std::string& state) {
  if (state == "firing") return "경보 발생";
  if (state == "resolved") return "경보 해소";
  if (state == "action") return "자동 조치";
  return state;
}

}  // namespace

Impact measure(const std::vector<std::string>& inputs, EpochMs since, EpochMs until,
               const logs::ScanOptions& scan) {
  logs::FieldSet wanted;
  wanted.add(Field::kFn).add(Field::kStatus).add(Field::kErrorCode).add(Field::kUserId);
  wanted.add(Field::kOrderId);
  wanted.latency = wanted.amounts = wanted.http = wanted.toss = true;
  const EpochMs bin_ms = chart_bin_ms(since, until);
  const auto n_bins =
      static_cast<std::size_t>(until > since ? (until - since + bin_ms - 1) / bin_ms : 0);
  logs::FilterSpec spec;
  spec.since = since;  // no until: a later success shows a failed order was paid
  const logs::RecordFilter filter(spec);
  std::vector<std::unique_ptr<ImpactSink>> sinks;
  std::vector<logs::RecordSink*> raw;
  for (unsigned i = 0; i < logs::resolve_threads(scan.threads); ++i) {
    sinks.push_back(std::make_unique<ImpactSink>(since, until, bin_ms, n_bins));
    raw.push_back(sinks.back().get());
  }
  const auto stats = logs::scan_logs(inputs, wanted, filter, raw, scan);
  ImpactSink& all = *sinks.front();
  for (std::size_t i = 1; i < sinks.size(); ++i) {
    ImpactSink& s = *sinks[i];
    all.lines += s.lines, all.confirms += s.confirms, all.errors += s.errors;
    all.failed += s.failed, all.mismatches += s.mismatches;
    all.codes.merge(s.codes);
    all.latency.merge(s.latency);
    all.users.insert(s.users.begin(), s.users.end());
    all.orders.insert(s.orders.begin(), s.orders.end());
    all.blocked.insert(s.blocked.begin(), s.blocked.end());
    all.paid.insert(s.paid.begin(), s.paid.end());
    for (std::size_t b = 0; b < all.bins.size(); ++b) {
      all.bins[b].good += s.bins[b].good, all.bins[b].failed += s.bins[b].failed;
      all.bins[b].client += s.bins[b].client, all.bins[b].toss_5xx += s.bins[b].toss_5xx;
      all.bins[b].latency.merge(s.bins[b].latency);
    }
  }
  Impact out;
  out.lines = all.lines;
  out.confirms = all.confirms;
  out.errors = all.errors;
  out.failed = all.failed;
  out.mismatches = all.mismatches;
  out.users_hit = all.users.size();
  for (const auto& [order, amount] : all.orders) {
    if (all.paid.contains(order)) {
      ++out.orders_failed_paid;
    } else {
      ++out.orders_failed;
      out.amount_failed += amount;
      out.unpaid_failed.emplace(order, amount);
    }
  }
  for (const auto& [order, amount] : all.blocked) {
    if (all.paid.contains(order)) {
      ++out.orders_blocked_paid;
    } else {
      ++out.orders_blocked;
      out.amount_blocked += amount;
      out.unpaid_blocked.emplace(order, amount);
    }
  }
  all.codes.for_each([&](std::string_view k, std::uint64_t n) {
    out.error_codes.emplace_back(std::string(k), n);
  });
  std::sort(out.error_codes.begin(), out.error_codes.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  out.latency = all.latency.summary();
  out.malformed = stats.malformed;
  out.bin_ms = bin_ms;
  for (const auto& b : all.bins) {
    out.bins.push_back({b.good, b.failed, b.client, b.toss_5xx, b.latency.summary()});
  }
  return out;
}

Status settle_with_store(Impact& impact, Store& store) {
  for (auto* unpaid : {&impact.unpaid_failed, &impact.unpaid_blocked}) {
    const bool failed = unpaid == &impact.unpaid_failed;
    for (auto it = unpaid->begin(); it != unpaid->end();) {
      auto payment = store.find_payment_by_order(it->first);
      if (!payment) return std::unexpected(payment.error());
      // A payment row that went through (DONE, a deposit awaited, or since cancelled by a
      // person): the order was not lost. An expired virtual account was never paid.
      if (!*payment || (*payment)->status == "EXPIRED") {
        ++it;
        continue;
      }
      (failed ? impact.orders_failed : impact.orders_blocked) -= 1;
      (failed ? impact.amount_failed : impact.amount_blocked) -= it->second;
      (failed ? impact.orders_failed_paid : impact.orders_blocked_paid) += 1;
      it = unpaid->erase(it);
    }
  }
  return {};
}

EpochMs chart_bin_ms(EpochMs since, EpochMs until) {
  constexpr EpochMs kMin = 60'000;
  const EpochMs want = (until - since) / 60;
  for (EpochMs m : {1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440}) {
    if (m * kMin >= want) return m * kMin;
  }
  return ((want + 1440 * kMin - 1) / (1440 * kMin)) * 1440 * kMin;
}

std::vector<std::pair<std::string, std::string>> charts(const PostmortemInput& in) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!in.impact || in.impact->bins.empty()) return out;
  const Impact& i = *in.impact;
  const logs::TimeZone& tz = *in.tz;
  const bool multi_day = tz.day_label(in.since) != tz.day_label(in.until - 1);
  std::vector<std::string> x;
  std::vector<std::optional<double>> good, failed, client, p95, toss;
  for (std::size_t k = 0; k < i.bins.size(); ++k) {
    const ImpactBin& b = i.bins[k];
    x.push_back(hhmm(in.since + static_cast<EpochMs>(k) * i.bin_ms, tz, multi_day));
    good.push_back(static_cast<double>(b.good));
    failed.push_back(static_cast<double>(b.failed));
    client.push_back(static_cast<double>(b.client));
    p95.push_back(b.latency.count ? std::optional<double>(b.latency.p95) : std::nullopt);
    toss.push_back(static_cast<double>(b.toss_5xx));
  }
  const std::string per = fmt::format("{} min", i.bin_ms / 60'000);
  ChartSpec confirms;
  confirms.title = fmt::format("결제 승인 / confirms per {} ({})", per, tz.name());
  confirms.x_labels = x;
  confirms.series = {{"success", "#05603a", good},
                     {"failed (ours/Toss)", "#b42318", failed},
                     {"client errors", "#b54708", client}};
  out.emplace_back(in.id + "-confirms.svg", svg_chart(confirms));
  ChartSpec latency;
  latency.title = fmt::format("p95 지연 / p95 latency per {}, ms", per);
  latency.x_labels = x;
  latency.series = {{"p95 (successful confirms)", "#1d4ed8", p95}};
  latency.thresholds = {{1500, "SLO 1500 ms"}};
  out.emplace_back(in.id + "-latency.svg", svg_chart(latency));
  ChartSpec t;
  t.title = fmt::format("Toss 5xx / per {}", per);
  t.x_labels = x;
  t.series = {{"confirms that met Toss 5xx", "#b42318", toss, true}};
  out.emplace_back(in.id + "-toss5xx.svg", svg_chart(t));
  return out;
}

std::string render(const PostmortemInput& in) {
  const logs::TimeZone& tz = *in.tz;
  const bool multi_day = tz.day_label(in.since) != tz.day_label(in.until - 1);
  std::string md;
  auto line = [&md](const std::string& s = {}) { md += s + "\n"; };
  line(fmt::format("# Incident {}", in.id));
  line();
  line(fmt::format("**{}** — {} ~ {} ({})", in.title, tz.format(in.since), tz.format(in.until),
                   tz.name()));
  line();
  line(
      "> `payedge incident new` 가 로그·경보·audit_log 로 채운 초안이다. `(작성 필요)` 는 사람이 "
      "채운다.");
  line();
  line("## 요약 (3문장)");
  line();
  if (in.impact) {
    const Impact& i = *in.impact;
    std::string top = i.error_codes.empty() ? "오류 없음" : i.error_codes.front().first;
    line(
        fmt::format("- 창 안의 결제 승인 요청 {}건 중 {}건이 오류({}), 우리 쪽·Toss 실패 {}건({}); "
                    "가장 많은 오류는 {}.",
                    i.confirms, i.errors, percent(i.errors, i.confirms), i.failed,
                    percent(i.failed, i.confirms), top));
    line(
        fmt::format("- 최종 상태: 실패 후 끝내 결제되지 않은 주문 {}건 ({}), 나중에 결제된 주문 "
                    "{}건; 스위치로 막힌 구매 {}건 ({}).",
                    i.orders_failed, won(i.amount_failed), i.orders_failed_paid, i.orders_blocked,
                    won(i.amount_blocked)));
  }
  std::size_t firing = 0;
  for (const auto& a : in.alerts) firing += a.state == "firing";
  if (in.store_read)
    line(fmt::format("- 경보 {}건 발생, 수동·자동 조치 기록 {}건.", firing, in.audit.size()));
  line("- (작성 필요: 원인과 해결을 한 문장으로)");
  line();
  line("## 타임라인");
  line();
  // People first: what the on-call did, the alerts, the automatic switches, in time order (a
  // person's action before the machine's at the same minute); the reconciler's rows, which
  // come by the hundred, as one line per actor and kind with a count.
  struct Entry {
    EpochMs at;
    int rank;  // 0 a person, 1 an alert, 2 automatic
    std::string text;
  };
  std::vector<Entry> entries;
  for (const auto& a : in.alerts) {
    if (a.state == "pending") continue;
    entries.push_back({a.at, 1, fmt::format("[{}] {} — {}", state_ko(a.state), a.rule, a.summary)});
  }
  struct Bulk {
    EpochMs first = 0, last = 0;
    std::uint64_t count = 0;
    std::map<std::string, std::uint64_t> actions;
    std::vector<std::string> keys;  // a few, masked
  };
  std::map<std::string, Bulk> bulk;  // by actor
  for (const auto& a : in.audit) {
    if (bulk_automatic(a.entry)) {
      Bulk& b = bulk[a.entry.actor];
      if (b.count == 0) b.first = a.at;
      b.last = std::max(b.last, a.at);
      ++b.count;
      ++b.actions[a.entry.action];
      if (b.keys.size() < 3) b.keys.push_back(mask_field("payment_key", a.entry.target));
      continue;
    }
    const bool machine = automatic(a.entry);
    entries.push_back(
        {a.at, machine ? 2 : 0,
         fmt::format("[{}] {}", machine ? "자동 조치" : "조치", audit_text(a.entry))});
  }
  for (const auto& [actor, b] : bulk) {
    std::string kinds;
    for (const auto& [action, n] : b.actions) {
      kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", action, n);
    }
    std::string keys;
    for (const auto& k : b.keys) keys += (keys.empty() ? "" : ", ") + k;
    entries.push_back({b.first, 2,
                       fmt::format("[자동] {} 의 대사·입금 처리 {}건 (~{}; {}; 예: {})", actor,
                                   b.count, hhmm(b.last, tz, multi_day), kinds, keys)});
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    const EpochMs am = a.at / 60'000, bm = b.at / 60'000;  // the minute the timeline shows
    return am != bm ? am < bm : a.rank < b.rank;
  });
  if (entries.empty()) {
    line(in.store_read ? "- 창 안에 경보·조치 기록 없음"
                       : "- (저장소를 읽지 않음: --store 로 경보·audit_log 를 채운다)");
  }
  for (const auto& e : entries) line(fmt::format("- {} {}", hhmm(e.at, tz, multi_day), e.text));
  line("- (작성 필요: Oncall 확인, 공지 등 사람이 한 일)");
  line();
  line("## 영향 범위");
  line();
  if (in.impact) {
    const Impact& i = *in.impact;
    line(fmt::format("- 사용자 수: 오류를 겪은 사용자 {}명", i.users_hit));
    line(fmt::format("- 거래 수: 결제 승인 요청 {}건, 오류 {}건, 우리 쪽·Toss 실패 {}건",
                     i.confirms, i.errors, i.failed));
    line(
        fmt::format("- 최종 상태(주문 기준): 실패 후 끝내 결제되지 않은 주문 {}건, 실패했지만 "
                    "나중에 결제된 주문 {}건 (재시도·대사·웹훅{})",
                    i.orders_failed, i.orders_failed_paid,
                    in.store_read ? ", 저장소의 payments 로 확인" : ", 로그의 성공 줄로 확인"));
    line(
        fmt::format("- 스위치로 막힌 구매(E_PAYMENTS_DISABLED, E_COURSE_INACTIVE): 주문 {}건, 그중 "
                    "다시 켠 뒤 결제된 주문 {}건",
                    i.orders_blocked + i.orders_blocked_paid, i.orders_blocked_paid));
    line(fmt::format(
        "- 금액 영향: 결제되지 않은 실패 주문 {}, 막힌 뒤 결제되지 않은 구매 {} (주문당 "
        "한 번)",
        won(i.amount_failed), won(i.amount_blocked)));
    line(fmt::format("- 금액 불일치(E_AMOUNT_MISMATCH): {}건", i.mismatches));
  } else {
    line("- (로그 없음: 로그 파일을 인자로 주면 채워진다)");
  }
  line();
  line("## 근본 원인(RCA)");
  line();
  line("(작성 필요)");
  line();
  line("## 해결 조치");
  line();
  bool any_action = false;
  // What people did first; then what the machine did by itself (the reconciler's rows are in
  // the timeline's one line).
  for (const auto& a : in.audit) {
    if (automatic(a.entry)) continue;
    any_action = true;
    line(fmt::format("- {} {}", hhmm(a.at, tz, multi_day), audit_text(a.entry)));
  }
  for (const auto& a : in.alerts) {
    if (a.state != "action") continue;
    any_action = true;
    line(fmt::format("- {} 자동: {}", hhmm(a.at, tz, multi_day), a.summary));
  }
  if (!any_action) line("- (작성 필요)");
  line();
  line("## 재발 방지(Action Items)");
  line();
  line("| 아이템 | 담당 | 기한 |");
  line("|--------|------|------|");
  line("| (작성 필요) |  |  |");
  line();
  line("## 로그/메트릭 스냅샷");
  line();
  if (in.impact) {
    const Impact& i = *in.impact;
    line("| error_code | count | share |");
    line("|---|---:|---:|");
    for (std::size_t k = 0; k < i.error_codes.size() && k < 10; ++k) {
      line(fmt::format("| {} | {} | {} |", i.error_codes[k].first, i.error_codes[k].second,
                       percent(i.error_codes[k].second, i.errors)));
    }
    if (i.error_codes.empty()) line("| (없음) | 0 | - |");
    line();
    line(fmt::format("결제 승인 latency_ms: count {}, mean {:.1f}, p50 {}, p95 {}, p99 {}, max {}",
                     i.latency.count, i.latency.mean, i.latency.p50, i.latency.p95, i.latency.p99,
                     i.latency.max));
    if (i.malformed) line(fmt::format("(깨진 로그 줄 {}개는 건너뜀)", i.malformed));
    line();
    for (const auto& [file, svg] : charts(in)) line(fmt::format("![{}]({})", file, file));
  } else {
    line("(로그 없음)");
  }
  line();
  line("## 첨부");
  line();
  const std::string window =
      fmt::format("--since {} --until {}", format_utc(in.since), format_utc(in.until));
  const std::string files = in.log_inputs.empty() ? " \"$LOG\"" : quoted_inputs(in.log_inputs);
  line("```sh");
  line(fmt::format("payedge logs errors --window 5m {}{}", window, files));
  line(fmt::format("payedge logs top --by error_code {}{}", window, files));
  line(fmt::format("payedge logs latency --by hour --tz {} {}{}", tz.name(), window, files));
  const std::string first = in.log_inputs.empty() ? "\"$LOG\"" : "'" + in.log_inputs.front() + "'";
  line(fmt::format("payedge watch --replay {} --format json   # 그때 울렸을 경보", first));
  line("```");
  if (in.store_read) {
    line();
    line(fmt::format("경보 {}건, audit_log {}건 (창 안, 저장소에서).", in.alerts.size(),
                     in.audit.size()));
  }
  return md;
}

std::string next_id(const std::string& dir, EpochMs now, const logs::TimeZone& tz) {
  std::string day = tz.day_label(now);
  day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
  for (int n = 1;; ++n) {
    const std::string id = fmt::format("PM-{}-{}", day, n);
    if (!std::filesystem::exists(std::filesystem::path(dir) / (id + ".md"))) return id;
  }
}

}  // namespace payedge::incident
