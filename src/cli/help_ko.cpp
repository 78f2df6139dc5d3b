// --help in Korean: every description of every command and option, translated once here and
// put in place when the app is built (cli/main.cpp), so the command files keep one text each.
#include <map>
#include <string>

#include "cli/common.h"

namespace payedge::cli {
namespace {

// English description → Korean. A description missing here is shown in English (the test
// tests/integration/cli_test.cpp walks every --help and refuses that).
const std::map<std::string, std::string, std::less<>>& korean_help() {
  static const std::map<std::string, std::string, std::less<>> table = {
      {"payedge — Toss payment confirmation service and on-call toolkit",
       "payedge — 토스페이먼츠 결제 승인 서비스와 온콜 도구"},
      {"Print this help message and exit", "이 도움말을 보여 주고 끝냅니다"},
      {"Display program version information and exit", "프로그램 버전을 보여 주고 끝냅니다"},
      {"Run the confirm-payment and webhook HTTP service",
       "confirm-payment와 웹훅 HTTP 서비스를 실행합니다"},
      {"payedge.toml", "설정 파일 payedge.toml"},
      {"HOST:PORT (port 0 picks a free port)", "HOST:PORT (포트 0은 빈 포트를 고릅니다)"},
      {"sqlite:///path/payedge.db", "저장소 URL (예: sqlite:///path/payedge.db)"},
      {"Toss API base URL (the simulator's in tests)",
       "토스 API 기본 URL (테스트에서는 시뮬레이터)"},
      {"PEM CA file to trust for the Toss API instead of the system store",
       "시스템 인증서 저장소 대신 토스 API에 신뢰할 PEM CA 파일"},
      {"write log lines here instead of stdout", "로그 줄을 표준 출력 대신 이 파일에 씁니다"},
      {"Run the local Toss Payments API simulator",
       "로컬 토스페이먼츠 API 시뮬레이터를 실행합니다"},
      {"create a payment session on the first confirm of an unknown paymentKey",
       "모르는 paymentKey의 첫 승인 때 결제 세션을 만듭니다"},
      {"how long an injected timeout holds a request", "주입된 타임아웃이 요청을 붙잡는 시간"},
      {"serve HTTPS with this PEM certificate", "이 PEM 인증서로 HTTPS를 제공합니다"},
      {"... and this PEM private key", "... 그리고 이 PEM 개인 키"},
      {"serve HTTPS with a throwaway CA and localhost certificate written to DIR (ca.pem, "
       "cert.pem, key.pem)",
       "일회용 CA와 localhost 인증서를 DIR에 써서(ca.pem, cert.pem, key.pem) HTTPS를 제공합니다"},
      {"serve this JWKS file (or a `token --init-keys` folder's jwks.json) at "
       "/auth/v1/.well-known/jwks.json",
       "이 JWKS 파일(또는 `token --init-keys` 폴더의 jwks.json)을 /auth/v1/.well-known/jwks.json "
       "에서 제공합니다"},
      {"where /__sim/deposit and /__sim/expire deliver their webhooks (loopback)",
       "/__sim/deposit 과 /__sim/expire 가 웹훅을 보낼 곳 (루프백)"},
      {"Run the simulator and the service with sample data and a scripted story",
       "시뮬레이터와 서비스를 예제 데이터와 정해진 이야기로 실행합니다"},
      {"keep both servers up afterwards and print their URLs",
       "끝난 뒤에도 두 서버를 띄워 두고 URL을 출력합니다"},
      {"where the demo database goes (default: a fresh temporary folder)",
       "데모 데이터베이스를 둘 곳 (기본: 새 임시 폴더)"},
      {"Create or upgrade the database schema", "데이터베이스 스키마를 만들거나 올립니다"},
      {"store URL", "저장소 URL"},
      {"print the migrations that would run; change nothing",
       "실행될 마이그레이션만 출력하고 아무것도 바꾸지 않습니다"},
      {"Load courses and coupons from a JSON or TOML file",
       "JSON 또는 TOML 파일에서 강의와 쿠폰을 읽어 들입니다"},
      {"seed file (.json or .toml)", "시드 파일 (.json 또는 .toml)"},
      {"who loads it, for audit_log (default: the login name)",
       "누가 넣는지, audit_log 용 (기본: 로그인 이름)"},
      {"why, for audit_log (e.g. the ticket)", "이유, audit_log 용 (예: 티켓 번호)"},
      {"Print a signed development JWT for a user", "사용자용 개발 JWT를 서명해 출력합니다"},
      {"user id (the token's sub)", "사용자 ID (토큰의 sub)"},
      {"seconds until it expires", "만료까지 남은 초"},
      {"print N tokens, for users ID-1 … ID-N (load tests)",
       "토큰 N개를 출력합니다, 사용자 ID-1 … ID-N 용 (부하 테스트)"},
      {"HS256 (SUPABASE_JWT_SECRET) or ES256 (--keys)",
       "HS256 (SUPABASE_JWT_SECRET) 또는 ES256 (--keys)"},
      {"folder of `token --init-keys` (ES256)", "`token --init-keys` 로 만든 폴더 (ES256)"},
      {"write an ES256 key pair: DIR/private.pem and DIR/jwks.json (the JWKS to give serve's "
       "[auth] jwks_file or sim --jwks)",
       "ES256 키 쌍을 씁니다: DIR/private.pem 과 DIR/jwks.json (serve의 [auth] jwks_file 이나 sim "
       "--jwks 에 줄 JWKS)"},
      {"Price tools", "가격 도구"},
      {"Show how the expected amount is computed",
       "기대 결제 금액이 어떻게 계산되는지 보여 줍니다"},
      {"course id", "강의 ID"},
      {"coupon code", "쿠폰 코드"},
      {"RFC 3339 time (default: now)", "RFC 3339 시각 (기본: 지금)"},
      {"table|json", "출력 형식 table|json"},
      {"Careful manual operations (each one audited)", "신중한 수동 작업 (모두 감사 기록됨)"},
      {"Settle confirm attempts left open, by asking Toss",
       "열린 채 남은 승인 시도를 토스에 물어 정리합니다"},
      {"Toss API base URL", "토스 API 기본 URL"},
      {"PEM CA file to trust for the Toss API", "토스 API에 신뢰할 PEM CA 파일"},
      {"who does this (default: the login name)", "작업자 (기본: 로그인 이름)"},
      {"only attempts untouched this long (e.g. 60s, 5m)",
       "이만큼 손대지 않은 시도만 (예: 60s, 5m)"},
      {"why (recorded in audit_log)", "이유 (audit_log에 기록)"},
      {"ask Toss and report, change nothing", "토스에 묻고 보고만 하며 아무것도 바꾸지 않습니다"},
      {"also take attempts a serve process holds: only when every serve is stopped",
       "serve 프로세스가 잡고 있는 시도도 가져옵니다: 모든 serve가 멈췄을 때만"},
      {"Feature flags and kill switches", "기능 플래그와 차단 스위치"},
      {"Set a flag, e.g. payments_enabled off", "플래그를 설정합니다, 예: payments_enabled off"},
      {"flag name (payments_enabled, payment_banner, …)",
       "플래그 이름 (payments_enabled, payment_banner, …)"},
      {"on|off, or text for payment_banner", "on|off, 또는 payment_banner 의 문구"},
      {"show what would change", "무엇이 바뀔지 보여 줍니다"},
      {"Per-course sales toggle (courses.active)", "강의별 판매 스위치 (courses.active)"},
      {"activate a course", "강의 판매를 켭니다"},
      {"deactivate a course", "강의 판매를 끕니다"},
      {"Webhook secret rotation", "웹훅 시크릿 교체"},
      {"Make a new webhook secret current (read from a file or stdin)",
       "새 웹훅 시크릿을 현재 값으로 만듭니다 (파일 또는 표준 입력에서 읽음)"},
      {"file holding the new secret (default: stdin)", "새 시크릿이 든 파일 (기본: 표준 입력)"},
      {"how long the previous secret stays valid", "이전 시크릿이 유효하게 남는 기간"},
      {"check the new secret, change nothing", "새 시크릿만 검사하고 아무것도 바꾸지 않습니다"},
      {"Enrollments", "수강 등록"},
      {"Cancel the payment of an order at Toss, then the payment and its enrollment",
       "주문의 결제를 토스에서 취소한 뒤 결제와 수강 등록을 취소합니다"},
      {"order id of the payment", "결제의 주문 ID"},
      {"why (Toss cancelReason and audit_log)", "이유 (토스 cancelReason 과 audit_log)"},
      {"refund only this many KRW (Toss cancelAmount); the enrollment stays",
       "이 금액(원)만 환불합니다 (토스 cancelAmount); 수강 등록은 유지"},
      {"say what would happen; change nothing anywhere",
       "무슨 일이 일어날지 말하고 어디에서도 아무것도 바꾸지 않습니다"},
      {"Payments", "결제"},
      {"Record a payment Toss has DONE (or, with --force, one it cannot show)",
       "토스에서 DONE인 결제를 기록합니다 (--force 이면 토스가 보여 줄 수 없는 결제도)"},
      {"Toss paymentKey", "토스 paymentKey"},
      {"order id", "주문 ID"},
      {"user id", "사용자 ID"},
      {"amount in KRW", "금액 (원)"},
      {"coupon code used", "사용한 쿠폰 코드"},
      {"skip the Toss check (Toss unreachable, or paid outside Toss); audited",
       "토스 확인을 건너뜁니다 (토스 연결 불가, 또는 토스 밖 결제); 감사 기록됨"},
      {"check and say what would happen; change nothing",
       "확인하고 무슨 일이 일어날지 말하며 아무것도 바꾸지 않습니다"},
      {"Cross-check the store against Toss; exit 1 on any violation",
       "저장소를 토스와 대조합니다; 위반이 하나라도 있으면 종료 코드 1"},
      {"Buyers, for support messages", "구매자 (고객 안내용)"},
      {"Buyers whose confirm failed or went unanswered but who were charged later (the reconciler "
       "or a webhook recorded the payment), masked",
       "승인이 실패하거나 응답을 못 받았지만 나중에 결제된 구매자 (reconciler 나 웹훅이 결제를 "
       "기록), 마스킹됨"},
      {"approved from: RFC 3339, a date, or relative to --until (default -24h)",
       "승인 시각 시작: RFC 3339, 날짜, 또는 --until 기준 상대값 (기본 -24h)"},
      {"approved before (default now)", "승인 시각 끝 (기본 지금)"},
      {"Log triage: query, top, latency, errors, ...",
       "로그 분석: query, top, latency, errors, ..."},
      {"Print the matching lines", "조건에 맞는 줄을 출력합니다"},
      {"log files, globs or - for stdin (default: stdin)",
       "로그 파일, glob, 또는 표준 입력은 - (기본: 표준 입력)"},
      {"function name (repeat or comma-separate for several)",
       "함수 이름 (여러 개는 반복하거나 쉼표로 구분)"},
      {"success|error", "상태: success|error"},
      {"error code, e.g. E_AMOUNT_MISMATCH", "오류 코드, 예: E_AMOUNT_MISMATCH"},
      {"user_id", "사용자 ID (user_id)"},
      {"course_id", "강의 ID (course_id)"},
      {"from this time: RFC 3339, a date, or relative like -2h",
       "이 시각부터: RFC 3339, 날짜, 또는 -2h 같은 상대값"},
      {"before this time: RFC 3339, a date, or relative",
       "이 시각 전까지: RFC 3339, 날짜, 또는 상대값"},
      {"table|json|csv", "출력 형식 table|json|csv"},
      {"list the first malformed lines by number", "깨진 줄의 처음 몇 개를 줄 번호로 보여 줍니다"},
      {"worker threads (default: one per core)", "작업 스레드 수 (기본: 코어당 하나)"},
      {"print the number of matching lines only", "맞는 줄의 개수만 출력합니다"},
      {"print the first N matching lines (in input order) and stop reading",
       "맞는 줄 처음 N개를 (입력 순서로) 출력하고 읽기를 멈춥니다"},
      {"Most frequent values of a field", "필드의 가장 잦은 값"},
      {"also count background lines (fn reconciler, admin-poll, toss-client)",
       "백그라운드 줄도 셉니다 (fn reconciler, admin-poll, toss-client)"},
      {"user_id|course_id|error_code|ip|ua|order_id|payment_key|replayed|error_detail (or another "
       "string field)",
       "user_id|course_id|error_code|ip|ua|order_id|payment_key|replayed|error_detail (또는 다른 "
       "문자열 필드)"},
      {"rows to show (default 10)", "보여 줄 행 수 (기본 10)"},
      {"count, mean, p50, p95, p99, max of latency_ms",
       "latency_ms 의 개수, 평균, p50, p95, p99, 최대"},
      {"hour|day", "hour|day (시간별|일별)"},
      {"time zone of the buckets: Asia/Seoul (default: [log] tz), UTC, +09:00, or any zone of the "
       "system tz database",
       "구간의 시간대: Asia/Seoul (기본: [log] tz), UTC, +09:00, 또는 시스템 tz 데이터베이스의 "
       "시간대"},
      {"payedge.toml ([log] tz)", "설정 파일 payedge.toml ([log] tz)"},
      {"Server-side error rate per time window and error code (--client: the rest)",
       "시간 구간과 오류 코드별 서버 측 오류율 (--client: 나머지)"},
      {"window length: 30s, 5m, 1h, 1d (default 5m)", "구간 길이: 30s, 5m, 1h, 1d (기본 5m)"},
      {"time zone the windows align to and print in (default: [log] tz, Asia/Seoul)",
       "구간을 맞추고 출력할 시간대 (기본: [log] tz, Asia/Seoul)"},
      {"count the client outcomes instead (mismatch, inactive course, coupon, declined, ...)",
       "대신 클라이언트 측 결과를 셉니다 (금액 불일치, 판매 중지 강의, 쿠폰, 거절, ...)"},
      {"count every error line, server-side and client",
       "서버 측과 클라이언트 측 오류 줄을 모두 셉니다"},
      {"E_AMOUNT_MISMATCH lines, explained against the catalogue (runbook 4.1)",
       "E_AMOUNT_MISMATCH 줄을 카탈로그와 대조해 설명합니다 (런북 4.1)"},
      {"recompute each price from the store and guess why",
       "저장소에서 가격을 다시 계산하고 원인을 추정합니다"},
      {"ko|en: the reasons' language (default ko; LANG=en* for en)",
       "ko|en: 원인 설명의 언어 (기본 ko; LANG=en* 이면 en)"},
      {"store URL (default: from the config)", "저장소 URL (기본: 설정 파일의 값)"},
      {"Re-collect the matching lines (with --mask: PII masked)",
       "맞는 줄을 다시 모읍니다 (--mask: 개인정보 마스킹)"},
      {"mask PII (SPEC section 11) in every string field",
       "모든 문자열 필드의 개인정보를 마스킹합니다 (SPEC 11절)"},
      {"A reproducible random sample, PII masked", "재현 가능한 무작위 표본, 개인정보 마스킹"},
      {"lines to sample (default 50)", "표본 줄 수 (기본 50)"},
      {"seed; the same seed gives the same sample", "시드; 같은 시드는 같은 표본을 줍니다"},
      {"The alert engine over a log: --follow FILE, --replay FILE, or stdin",
       "로그에 알림 엔진을 돌립니다: --follow FILE, --replay FILE, 또는 표준 입력"},
      {"evaluate a past log (event time from ts); changes nothing",
       "지난 로그를 평가합니다 (이벤트 시각은 ts); 아무것도 바꾸지 않습니다"},
      {"follow a growing log file, like tail -F", "tail -F 처럼 자라는 로그 파일을 따라갑니다"},
      {"with --follow: read what is already there first",
       "--follow 와 함께: 이미 있는 내용부터 읽습니다"},
      {"payedge.toml ([alerts] thresholds and sinks)",
       "설정 파일 payedge.toml ([alerts] 임계값과 전송처)"},
      {"store URL: record alerts and flip the automatic switches (not in --replay)",
       "저장소 URL: 알림을 기록하고 자동 스위치를 바꿉니다 (--replay 에서는 안 함)"},
      {"Slack incoming webhook (default: SLACK_WEBHOOK_URL)",
       "Slack incoming webhook (기본: SLACK_WEBHOOK_URL)"},
      {"Alertmanager base URL", "Alertmanager 기본 URL"},
      {"ko|en: the words of the printed alerts (default ko)",
       "ko|en: 출력되는 알림의 언어 (기본 ko)"},
      {"Alert rules", "알림 규칙"},
      {"The built-in rules for another alerting system", "다른 알림 시스템용 내장 규칙"},
      {"prometheus", "형식: prometheus"},
      {"payedge.toml ([alerts] thresholds)", "설정 파일 payedge.toml ([alerts] 임계값)"},
      {"Postmortems", "포스트모템"},
      {"Write incidents/PM-YYYYMMDD-N.md from the runbook template, filled from logs, alerts and "
       "the audit log",
       "런북 양식으로 incidents/PM-YYYYMMDD-N.md 를 씁니다 (로그, 알림, 감사 로그로 채움)"},
      {"what happened, in a few words", "무슨 일이 있었는지 몇 마디로"},
      {"start of the incident window: RFC 3339, a date, or relative to --until (default -24h)",
       "장애 구간의 시작: RFC 3339, 날짜, 또는 --until 기준 상대값 (기본 -24h)"},
      {"end of the window (default now)", "구간의 끝 (기본 지금)"},
      {"store URL: alerts and audit_log for the timeline",
       "저장소 URL: 타임라인에 쓸 알림과 audit_log"},
      {"where postmortems go (default incidents)", "포스트모템을 둘 폴더 (기본 incidents)"},
      {"time zone of the timeline (default: [log] tz, Asia/Seoul)",
       "타임라인의 시간대 (기본: [log] tz, Asia/Seoul)"},
      {"log files or globs for the impact and snapshots", "영향과 스냅숏에 쓸 로그 파일 또는 glob"},
      {"Periodic checks", "정기 점검"},
      {"The runbook's weekly check: a masked 50-line sample, the week's ratios, the webhook "
       "secret's rotation, docs vs error codes, store invariants (exit 1 when something needs "
       "attention)",
       "런북의 주간 점검: 마스킹된 로그 50줄 표본, 한 주의 비율, 웹훅 시크릿 교체 일정, 문서와 "
       "오류 코드 대조, 저장소 불변식 (살펴볼 것이 있으면 종료 코드 1)"},
      {"the week's log files or globs", "그 주의 로그 파일 또는 glob"},
      {"start (default -7d, relative to --until)", "시작 (기본 -7d, --until 기준)"},
      {"end (default now)", "끝 (기본 지금)"},
      {"store URL (rotation schedule, invariants)", "저장소 URL (교체 일정, 불변식)"},
      {"payedge.toml ([slo] targets, [webhook] period)",
       "설정 파일 payedge.toml ([slo] 목표, [webhook] 주기)"},
      {"the docs folder to check (error-codes.md)", "점검할 문서 폴더 (error-codes.md)"},
      {"where the masked sample goes (default weekly-sample.jsonl)",
       "마스킹된 표본을 쓸 곳 (기본 weekly-sample.jsonl)"},
      {"sample seed (default: the week number)", "표본 시드 (기본: 주 번호)"},
      {"time zone of the days and weeks (default: [log] tz, Asia/Seoul)",
       "일과 주의 시간대 (기본: [log] tz, Asia/Seoul)"},
      {"Service level objectives of the runbook (section 7)", "런북의 서비스 수준 목표 (7절)"},
      {"Success rate (monthly), mean and p95 confirm time (daily), amount-mismatch rate (weekly) "
       "from confirm-payment log lines, each with PASS/FAIL against the [slo] targets of "
       "payedge.toml. Exit 0 when the report is printed, even if an SLO fails.",
       "confirm-payment 로그 줄로 성공률(월간), 평균과 p95 승인 시간(일간), 금액 불일치율(주간)을 "
       "계산하고 payedge.toml 의 [slo] 목표 대비 통과/실패를 표시합니다. SLO가 실패해도 보고서를 "
       "출력하면 종료 코드 0."},
      {"one calendar month in --tz: YYYY-MM", "--tz 기준 한 달: YYYY-MM"},
      {"from this time: RFC 3339, a date (midnight UTC, as in `payedge logs`), or relative like "
       "-7d",
       "이 시각부터: RFC 3339, 날짜 (`payedge logs` 처럼 UTC 자정), 또는 -7d 같은 상대값"},
      {"time zone of days, weeks (from Monday 00:00) and --month: Asia/Seoul (default: [log] tz), "
       "UTC, +09:00, or any zone of the system tz database",
       "일, 주(월요일 00:00부터), --month 의 시간대: Asia/Seoul (기본: [log] tz), UTC, +09:00, "
       "또는 시스템 tz 데이터베이스의 시간대"},
      {"table|json|html (html: one self-contained page)",
       "출력 형식 table|json|html (html: 자체 완결 페이지 하나)"},
      {"payedge.toml (its [slo] section holds the targets)",
       "설정 파일 payedge.toml ([slo] 절에 목표가 있음)"},
      {"The configuration", "설정"},
      {"Validate payedge.toml and the environment's secrets without starting anything",
       "아무것도 시작하지 않고 payedge.toml 과 환경 변수의 시크릿을 검사합니다"},
      {"payedge.toml (default: ./payedge.toml when present)",
       "설정 파일 payedge.toml (기본: 있으면 ./payedge.toml)"},
      {"Dashboards over /metrics", "/metrics 기반 대시보드"},
      {"A dashboard for another tool (its queries are those of `rules export`)",
       "다른 도구용 대시보드 (쿼리는 `rules export` 와 같음)"},
      {"grafana", "형식: grafana"},
      {"payedge.toml ([alerts] and [slo] thresholds)",
       "설정 파일 payedge.toml ([alerts] 와 [slo] 임계값)"},
      {"print each PromQL expression on its own line", "PromQL 식을 한 줄에 하나씩 출력합니다"},
      {"ask Toss about this many payments at once (default 16)",
       "토스에 동시에 물어볼 결제 수 (기본 16)"},
      {"also ask Toss's transaction list from this time (RFC 3339, a date, or relative to --until "
       "like -7d): a payment DONE at Toss but absent here is reported; only payments approved in "
       "the window are checked",
       "이 시각부터 토스 거래 목록도 조회합니다 (RFC 3339, 날짜, 또는 --until 기준 -7d 같은 "
       "상대값): 토스에서 DONE인데 여기 없는 결제를 보고합니다; 구간 안에 승인된 결제만 "
       "대조합니다"},
      {"end of the --since window (default now)", "--since 구간의 끝 (기본 지금)"},
      {"Toss API base URL: also verify the week's payments against Toss's transaction list",
       "토스 API 기본 URL: 그 주의 결제도 토스 거래 목록과 대조합니다"},
  };
  return table;
}

void localize(CLI::App& app, bool english, bool root) {
  if (!english) {
    const auto& ko = korean_help();
    if (auto it = ko.find(app.get_description()); it != ko.end()) app.description(it->second);
    for (CLI::Option* opt : app.get_options()) {
      if (auto it = ko.find(opt->get_description()); it != ko.end()) opt->description(it->second);
      if (opt->get_group() == "Options") opt->group("옵션");
    }
    if (!root && app.get_group() == "Subcommands") app.group("하위 명령");
  }
  const auto subs = app.get_subcommands({});
  if (subs.empty() && !root && !app.get_option_no_throw("--lang")) {
    app.add_option("--lang", cli_lang_flag(),
                   english ? "ko|en: the language of the words for people (default: the locale, "
                             "else ko)"
                           : "ko|en: 사람이 읽는 문구의 언어 (기본: 로케일, 없으면 ko)")
        ->check(CLI::IsMember({"ko", "en"}));
    if (!english) app.get_option("--lang")->group("옵션");
  }
  for (CLI::App* sub : subs) localize(*sub, english, false);
}

}  // namespace

std::string& cli_lang_flag() {
  static std::string flag;
  return flag;
}

void localize_app(CLI::App& app, bool english) {
  if (!english) {
    auto f = app.get_formatter();
    f->label("Usage", "사용법");
    f->label("OPTIONS", "옵션");
    f->label("SUBCOMMAND", "하위 명령");
    f->label("SUBCOMMANDS", "하위 명령");
    f->label("REQUIRED", "필수");
    f->label("Positionals", "위치 인자");
    f->label("Env", "환경 변수");
    f->label("Needs", "필요");
    f->label("Excludes", "함께 쓸 수 없음");
  }
  app.add_option("--lang", cli_lang_flag(),
                 english ? "ko|en: the language of the words for people (before the command; "
                           "every command also takes it)"
                         : "ko|en: 사람이 읽는 문구의 언어 (명령 앞에; 모든 명령도 받습니다)")
      ->check(CLI::IsMember({"ko", "en"}));
  localize(app, english, true);
}

}  // namespace payedge::cli
