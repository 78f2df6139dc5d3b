#include "alert/alert_text.h"

#include <fmt/format.h>

namespace payedge::alert {
namespace {

std::string get(const Transition& t, const char* key) {
  if (auto it = t.annotations.find(key); it != t.annotations.end()) return it->second;
  if (auto it = t.labels.find(key); it != t.labels.end()) return it->second;
  return "-";
}

std::string pct(const Transition& t, const char* key) {
  const std::string v = get(t, key);
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str()) return v;
  return fmt::format("{:.2f}%", d * 100);
}

std::string korean(const Transition& t) {
  const std::string& r = t.rule;
  const bool resolved = t.state == "resolved";
  if (t.state == "action") {
    if (get(t, "applied") != "true") return "자동 차단을 하지 않음: " + t.summary;
    return get(t, "action") == "course_deactivate"
               ? fmt::format(
                     "코스 {} 판매를 자동으로 중단했습니다. 원인을 찾은 뒤 사람이 다시 켭니다.",
                     get(t, "course_id"))
               : "결제(payments_enabled)를 자동으로 중단했습니다. 원인을 찾은 뒤 사람이 다시 "
                 "켭니다.";
  }
  if (r == "toss_5xx_burst") {
    if (resolved) {
      return fmt::format("Toss 5xx 버스트 종료: 모두 {}건의 승인이 Toss 5xx·타임아웃이었습니다.",
                         get(t, "burst_size"));
    }
    return fmt::format("Toss 5xx·타임아웃 승인 {}건 (최근 5분 {}건)", get(t, "burst_size"),
                       get(t, "count"));
  }
  if (r == "recovered") {
    return fmt::format("Toss 오류 회복: 5xx 해소 뒤 승인 {}건 중 오류율 {}", get(t, "confirms"),
                       pct(t, "error_rate"));
  }
  if (r == "toss_auth_failure") {
    return resolved ? "Toss 인증 오류 해소"
                    : fmt::format(
                          "Toss 가 우리 키를 거부했습니다 ({}건, 코드 {}): "
                          "TOSS_SECRET_KEY 확인 (API/위젯 키, test/live)",
                          get(t, "count"), get(t, "toss_code"));
  }
  if (r == "webhook_invalid_sig_ratio") {
    if (resolved) return "웹훅 서명 오류 비율 정상화";
    return fmt::format("웹훅 {}건 중 {}건 서명 오류 ({}); 이유 {}; 상위 IP {}", get(t, "requests"),
                       get(t, "invalid"), pct(t, "ratio"), get(t, "reasons"), get(t, "top_ips"));
  }
  if (r == "confirm_latency_p95") {
    if (resolved) return "승인 p95 지연 정상화";
    return fmt::format("승인 p95 {} ms (요청 {}건)", get(t, "p95_ms"), get(t, "count"));
  }
  if (r == "amount_mismatch_ratio") {
    if (resolved) return "금액 불일치 경보 해소: " + t.summary;
    return fmt::format("금액 불일치 {}건 ({}), 사용자 {}명, 가장 많은 코스 {}",
                       get(t, "mismatches"), pct(t, "ratio"), get(t, "users"),
                       get(t, "top_course"));
  }
  if (r == "amount_mismatch_single_user") {
    if (resolved) return "단일 사용자 금액 불일치 해소";
    return fmt::format(
        "금액 불일치 {}건이 사용자 {}명에게서만: 가격 버그가 아닌 변조 의심, "
        "아무것도 끄지 않음 ({})",
        get(t, "mismatches"), get(t, "users"), get(t, "user_ids"));
  }
  if (r == "idempotency_conflicts") {
    if (resolved) return "멱등 충돌 정상화";
    return fmt::format("멱등 충돌 {}건 (직전 1시간 기준 {}건)", get(t, "count"),
                       get(t, "baseline"));
  }
  if (r == "slo_burn_fast") {
    if (resolved) return "성공률 SLO 빠른 소진 해소";
    return fmt::format("성공률 SLO 오류 예산 소진 속도 1시간 {}배, 5분 {}배", get(t, "burn_1h"),
                       get(t, "burn_5m"));
  }
  if (r == "slo_burn_slow") {
    if (resolved) return "성공률 SLO 느린 소진 해소";
    return fmt::format("성공률 SLO 오류 예산 소진 속도 6시간 {}배, 30분 {}배", get(t, "burn_6h"),
                       get(t, "burn_30m"));
  }
  return t.summary;
}

}  // namespace

bool english(std::string_view lang) { return lang.starts_with("en"); }

std::string alert_sentence(const Transition& t, bool en) { return en ? t.summary : korean(t); }

std::string alert_message(const Transition& t, bool en) {
  std::string state;
  if (t.state == "action") {
    state = en ? "action" : "조치";
  } else if (t.state == "resolved") {
    state = en ? "resolved" : "해소";
  } else {
    state =
        en ? (t.repeat ? "firing, reminder" : "firing") : (t.repeat ? "발생 중, 재알림" : "발생");
  }
  std::string text = fmt::format("[{}] {}: {}", state, t.rule, alert_sentence(t, en));
  const std::string runbook = get(t, "runbook"), next = get(t, "next_command");
  if (runbook != "-") text += fmt::format("\n{}: {}", en ? "runbook" : "런북", runbook);
  if (next != "-") text += fmt::format("\n{}: `{}`", en ? "next" : "다음 명령", next);
  return text;
}

}  // namespace payedge::alert
