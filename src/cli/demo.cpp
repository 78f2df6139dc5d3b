// `payedge demo`: the simulator and the service on free loopback ports with a fresh SQLite
// file and sample courses, a short story of confirms over real HTTP, then a summary.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/admin_api.h"
#include "app/service.h"
#include "auth/dev_keys.h"
#include "auth/jwt.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "core/codec.h"
#include "net/client.h"
#include "ops/switches.h"
#include "store/seed.h"

namespace payedge::cli {
namespace {

using nlohmann::json;

class CollectingSink final : public LogSink {
 public:
  void write(const RequestLog& line) override {
    lines.push_back(line.to_json().dump());
    // The incident story reads the log as the runbook does (`payedge logs ...`).
    if (file) std::fprintf(file, "%s\n", lines.back().c_str()), std::fflush(file);
  }
  std::deque<std::string> lines;
  std::FILE* file = nullptr;
};

struct Style {
  bool color;
  std::string bold(const std::string& s) const { return color ? "\033[1m" + s + "\033[0m" : s; }
  std::string dim(const std::string& s) const { return color ? "\033[2m" + s + "\033[0m" : s; }
  std::string ok(const std::string& s) const { return color ? "\033[32m" + s + "\033[0m" : s; }
  std::string bad(const std::string& s) const { return color ? "\033[33m" + s + "\033[0m" : s; }
};

struct Step {
  std::string title;
  std::string course;
  Krw amount;
  std::optional<std::string> coupon;
  bool reuse_previous_key = false;  // the back/refresh pattern: same paymentKey again
};

class DemoRun {
 public:
  // `token`: the buyer's access token, ES256 as new Supabase projects issue them.
  DemoRun(tcp::endpoint api, tcp::endpoint sim, Store& store, CollectingSink& sink, Style style,
          std::string token)
      : api_(api), sim_(sim), store_(store), sink_(sink), s_(style), token_(std::move(token)) {}

  awaitable<void> run() {
    std::puts(s_.bold("\n── 결제 시나리오 / confirm-payment scenarios ──").c_str());
    const std::vector<Step> steps = {
        {"1. 세일 중인 강의 구매 (sale price 79,000)", "course-cpp", 79000, std::nullopt},
        {"2. 같은 결제 새로고침 (same paymentKey again → replay, no second Toss call)",
         "course-cpp", 79000, std::nullopt, true},
        {"3. 쿠폰 적용 SQL5000 (49,000 − 5,000)", "course-sql", 44000, std::string("SQL5000")},
        {"4. 금액 변조: 끝난 세일 가격으로 결제 (sale ended; price is 129,000)", "course-ml", 99000,
         std::nullopt},
        {"5. 판매 종료 강의 (inactive course)", "course-old", 39000, std::nullopt},
        {"6. 만료된 쿠폰 (expired coupon)", "course-ml", 103200, std::string("SUMMER2026")},
        {"7. 이미 수강 중인 강의 다시 구매 (already enrolled)", "course-cpp", 79000, std::nullopt},
    };
    for (const auto& step : steps) co_await run_step(step);
    co_await kill_switch();
    co_await refund_by_webhook();
    co_await summary();
    co_await incident_story();
  }

  // Where the incident story writes (the demo's folder) and how it calls `payedge` itself.
  struct StoryPaths {
    std::string folder, log, store_url;
  };
  void set_story(StoryPaths paths) { story_ = std::move(paths); }

 private:
  awaitable<FetchResult> call(tcp::endpoint ep, http::verb method, std::string target,
                              std::string body,
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    FetchRequest r;
    r.host = ep.address().to_string();
    r.port = std::to_string(ep.port());
    r.method = method;
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.timeout_ms = 15'000;
    co_return co_await http_fetch(std::move(r));
  }

  awaitable<void> run_step(const Step& step) {
    if (!step.title.empty()) std::puts(("\n" + s_.bold(step.title)).c_str());
    const std::string order_id = next_order_id();
    if (!step.reuse_previous_key) {
      // The payment window: Toss (here the simulator) issues a paymentKey for the order.
      auto session = co_await call(sim_, http::verb::post, "/__sim/sessions",
                                   session_body(order_id, step.amount));
      remember_session(session.body, order_id);
    }
    auto res = co_await call(api_, http::verb::post, "/functions/v1/confirm-payment",
                             confirm_body(step), confirm_headers());
    print_reply(step, res);
  }

  std::string next_order_id() { return fmt::format("demo-order-{}", ++order_seq_); }

  static std::string session_body(const std::string& order_id, Krw amount) {
    return json{{"orderId", order_id}, {"amount", amount}}.dump();
  }

  void remember_session(const std::string& body, const std::string& order_id) {
    last_key_ = json::parse(body, nullptr, false).value("paymentKey", std::string());
    if (first_key_.empty()) first_key_ = last_key_;
    last_order_ = order_id;
  }

  std::string confirm_body(const Step& step) const {
    return json{{"paymentKey", last_key_},
                {"orderId", last_order_},
                {"amount", step.amount},
                {"courseId", step.course},
                {"couponCode", step.coupon ? json(*step.coupon) : json(nullptr)}}
        .dump();
  }

  std::vector<std::pair<std::string, std::string>> confirm_headers() const {
    return {{"Authorization", "Bearer " + token_},
            {"X-Request-Id", fmt::format("demo-req-{}", order_seq_)}};
  }

  void print_reply(const Step& step, const FetchResult& res) {
    json reply = json::parse(res.body, nullptr, false);
    std::printf("   %s POST /functions/v1/confirm-payment %s\n", s_.dim("→").c_str(),
                s_.dim(fmt::format("{{courseId: {}, amount: {}{}}}", step.course, step.amount,
                                   step.coupon ? ", couponCode: " + *step.coupon : ""))
                    .c_str());
    if (reply.is_object() && reply.value("ok", false)) {
      std::printf(
          "   %s %s  payment %s, enrollment %s%s\n", s_.ok(fmt::format("← {}", res.status)).c_str(),
          s_.ok("ok").c_str(), reply["payment"].value("status", std::string()).c_str(),
          reply["enrollment"].value("status", std::string()).c_str(),
          reply.value("replayed", false) ? s_.ok("  (replayed: stored result)").c_str() : "");
    } else if (reply.is_object() && reply.contains("error")) {
      std::printf("   %s %s  %s\n", s_.bad(fmt::format("← {}", res.status)).c_str(),
                  s_.bad(reply["error"].value("code", std::string())).c_str(),
                  reply["error"].value("message", std::string()).c_str());
    } else {
      std::printf("   ← %d %s\n", res.status, res.error.c_str());
    }
    while (!sink_.lines.empty()) {
      std::printf("   %s %s\n", s_.dim("log").c_str(), s_.dim(sink_.lines.front()).c_str());
      sink_.lines.pop_front();
    }
  }

  awaitable<void> kill_switch() {
    std::puts(("\n" + s_.bold("8. 킬 스위치: payments_enabled=off (runbook 6)")).c_str());
    auto set = [&](const char* value) {
      return Switches(store_, SystemClock::instance())
          .set_flag("payments_enabled", value, {"demo", "demo"});
    };
    // The demo flips the switch as `ops flag set` would; one tiny write, on this thread.
    (void)set("off");
    auto status = co_await call(api_, http::verb::get, "/functions/v1/payment-status", "");
    std::printf("   GET /functions/v1/payment-status → %s\n", status.body.c_str());
    Step step{"", "course-sql", 49000, std::nullopt};
    co_await run_step(step);
    (void)set("on");
    std::printf("   %s\n", s_.dim("payments_enabled=on again").c_str());
  }

  // Runbook 5: a refund made at Toss reaches us as a signed webhook; payment and enrollment
  // are cancelled together.
  awaitable<void> refund_by_webhook() {
    std::puts(
        ("\n" + s_.bold("9. 환불: Toss 에서 취소 → 서명된 웹훅 → 수강 취소 (refund via webhook)"))
            .c_str());
    const std::string key = first_key_;
    auto cancel =
        co_await call(sim_, http::verb::post, cancel_path(key), cancel_body(), toss_auth());
    std::printf("   Toss cancel → %d\n", cancel.status);
    auto delivered = co_await call(sim_, http::verb::post, "/__sim/webhooks", webhook_request(key));
    print_webhook(delivered);
  }

  static std::string cancel_path(const std::string& key) {
    return "/v1/payments/" + key + "/cancel";
  }

  static std::vector<std::pair<std::string, std::string>> toss_auth() {
    return {{"Authorization", "Basic " + base64_encode(secrets_from_env().toss_secret_key + ":")}};
  }

  static std::string cancel_body() { return json{{"cancelReason", "고객 요청 환불"}}.dump(); }

  std::string webhook_request(const std::string& key) const {
    return json{{"url", fmt::format("http://127.0.0.1:{}/functions/v1/toss-webhook", api_.port())},
                {"paymentKey", key}}
        .dump();
  }

  void print_webhook(const FetchResult& delivered) {
    json d = json::parse(delivered.body, nullptr, false);
    std::printf("   POST /functions/v1/toss-webhook (signed by the simulator) ← %s %s\n",
                d.is_object() ? d["status"].dump().c_str() : "?",
                d.is_object() ? d.value("body", std::string()).c_str() : delivered.body.c_str());
    auto payment = store_.find_payment(first_key_);
    if (payment && *payment)
      std::printf("   payments.status = %s; the enrollment is CANCELLED with it\n",
                  (*payment)->status.c_str());
    while (!sink_.lines.empty()) {
      std::printf("   %s %s\n", s_.dim("log").c_str(), s_.dim(sink_.lines.front()).c_str());
      sink_.lines.pop_front();
    }
  }

  awaitable<void> summary() {
    auto stats = co_await call(sim_, http::verb::get, "/__sim/stats", "");
    json s = json::parse(stats.body, nullptr, false);
    std::puts(s_.bold("\n── 요약 / summary ──").c_str());
    auto counts = store_.counts();
    std::printf("   Toss confirm calls:  %s (the refresh in step 2 was answered from the store)\n",
                s.is_object() ? s["confirm_calls"].dump().c_str() : "?");
    if (counts) {
      std::printf(
          "   payments:            %lld (one of them refunded by the webhook in step 9)\n   "
          "enrollments:         %lld ACTIVE\n"
          "   confirm attempts:    %lld (the idempotency record; failures before Toss leave "
          "none)\n",
          counts->payments, counts->active_enrollments, counts->attempts);
    }
    std::printf("   next: payedge demo --keep-running, then curl it (README.md)\n");
  }

  // ---- the incident story (runbook 3-4, 6, 8): after the confirm story ----

  awaitable<void> incident_story() {
    story_since_ = SystemClock::instance().now_ms() - 1000;
    std::puts(s_.bold("\n── 장애 대응 시나리오 / the on-call night ──").c_str());
    co_await toss_5xx_burst();
    co_await mismatch_wave();
    runbook_commands();
    write_postmortem();
  }

  // A confirm of `course` for `user` with a fresh payment session; returns the request body
  // (to retry it) and prints one line.
  awaitable<json> story_confirm(const std::string& user, const std::string& course, Krw amount,
                                bool quiet = false) {
    const std::string order_id = next_order_id();
    auto session =
        co_await call(sim_, http::verb::post, "/__sim/sessions", session_body(order_id, amount));
    const json body = story_body(session.body, order_id, course, amount);
    co_await send_confirm(user, body, quiet);
    co_return body;
  }

  awaitable<void> send_confirm(const std::string& user, const json& body, bool quiet) {
    const std::string token =
        sign_jwt(user, secrets_from_env().jwt_secret, SystemClock::instance().now_ms(), 3600);
    auto res = co_await call(api_, http::verb::post, "/functions/v1/confirm-payment", body.dump(),
                             bearer(token));
    sink_.lines.clear();
    if (!quiet) print_story_reply(user, body, res);
    std::fflush(stdout);
  }

  static json story_body(const std::string& session, const std::string& order_id,
                         const std::string& course, Krw amount) {
    const json s = json::parse(session, nullptr, false);
    const std::string key = s.is_object() && s["paymentKey"].is_string()
                                ? s["paymentKey"].get<std::string>()
                                : "pk-" + order_id;
    return {{"paymentKey", key}, {"orderId", order_id}, {"amount", amount}, {"courseId", course}};
  }

  static std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  // Not in a coroutine: GCC 12 rejects some string literals in a coroutine's expressions
  // ("array used as initializer").
  void print_story_reply(const std::string& user, const json& body, const FetchResult& res) {
    json reply = json::parse(res.body, nullptr, false);
    std::string code = "ok";
    if (reply.is_object() && reply["error"].is_object() && reply["error"]["code"].is_string()) {
      code = reply["error"]["code"].get<std::string>();
    }
    const std::string status = fmt::format("← {}", res.status);
    std::printf("   %s %s %s %s\n", s_.dim(user).c_str(),
                body.value("orderId", std::string()).c_str(),
                (res.status == 200 ? s_.ok(status) : s_.bad(status)).c_str(), code.c_str());
  }

  // Waits (bounded) until `done` holds, checking every 100 ms: the alert engine runs on its
  // own thread and evaluates about once a second.
  template <class F>
  awaitable<bool> wait_until(F done, int limit_ms = 10'000) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int waited = 0; waited < limit_ms; waited += 100) {
      if (static_cast<bool>(done())) co_return true;
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(asio::use_awaitable);
    }
    co_return static_cast<bool>(done());
  }

  std::optional<AlertRow> alert_row(const std::string& rule, const std::string& state) {
    auto rows = store_.list_alerts(story_since_, 200);
    if (!rows) return std::nullopt;
    for (const auto& a : *rows) {
      if (a.rule == rule && a.state == state) return a;
    }
    return std::nullopt;
  }

  awaitable<void> toss_5xx_burst() {
    std::puts(
        ("\n" + s_.bold("10. Toss 5xx 폭주 (simulator faults: every confirm → 500)")).c_str());
    co_await call(sim_, http::verb::post, "/__sim/faults",
                  std::string(R"({"error_rate":1,"error_status":500})"));
    std::vector<std::pair<std::string, json>> failed;
    for (int i = 1; i <= 3; ++i) {
      const std::string user = "user-burst-" + std::to_string(i);
      json body = co_await story_confirm(user, "course-sql", 49000);
      failed.emplace_back(user, std::move(body));
    }
    const bool fired =
        co_await wait_until([&] { return alert_row("toss_5xx_burst", "firing").has_value(); });
    if (auto a = alert_row("toss_5xx_burst", "firing"); fired && a) {
      std::printf("   %s toss_5xx_burst: %s\n", s_.bad("경보 firing").c_str(), a->summary.c_str());
    } else {
      std::printf("   %s\n", s_.bad("toss_5xx_burst did not fire within 10 s").c_str());
    }
    // The Slack message the engine sent (the simulator answers as Slack).
    // The HttpSink delivers on its own thread: ask the simulator until it has the message.
    json r;
    std::string received_body;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int tries = 0; tries < 50; ++tries) {
      auto received = co_await call(sim_, http::verb::get, "/__sim/received", "");
      received_body = received.body;
      r = json::parse(received.body, nullptr, false);
      if (r.is_object() && r["slack"].is_array() && !r["slack"].empty()) break;
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(asio::use_awaitable);
    }
    if (r.is_object() && r["slack"].is_array() && !r["slack"].empty()) {
      json msg = r["slack"].back();
      if (msg.is_string()) msg = json::parse(msg.get<std::string>(), nullptr, false);
      const std::string text = msg.is_object() && msg["text"].is_string()
                                   ? msg["text"].get<std::string>()
                                   : received_body;
      std::size_t cut = std::min<std::size_t>(text.size(), 400);  // on a UTF-8 boundary
      while (cut < text.size() && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
      std::string shown = text.substr(0, cut);
      if (cut < text.size()) shown += " …";
      std::printf("   Slack ▸ %s\n", shown.c_str());
    }
    co_await call(sim_, http::verb::post, "/__sim/faults", "{}");
    std::puts("   Toss 복구 / Toss recovers: the buyers retry the same orders");
    for (const auto& [user, body] : failed) co_await send_confirm(user, body, false);
  }

  awaitable<void> mismatch_wave() {
    std::puts(
        ("\n" + s_.bold("11. 가격 버그: 끝난 세일 가격 99,000 으로 결제 (course-ml, many buyers)"))
            .c_str());
    for (int i = 1; i <= 12; ++i) {
      co_await story_confirm("user-wave-" + std::to_string(i), "course-ml", 99000, i > 3);
      if (i == 3) std::puts("   … 9 more buyers, the same E_AMOUNT_MISMATCH");
    }
    auto off = [&] {
      auto c = store_.find_course("course-ml");
      return c && *c && !(*c)->active;
    };
    if (co_await wait_until(off)) {
      auto a = alert_row("amount_mismatch_ratio", "firing");
      const std::string summary = a ? a->summary : std::string();
      std::printf("   %s amount_mismatch_ratio: %s\n", s_.bad("경보 firing").c_str(),
                  summary.c_str());
      std::printf("   %s course-ml 판매 자동 중지 (actor payedge-alert)\n",
                  s_.bad("자동 조치").c_str());
    } else {
      std::printf("   %s\n",
                  s_.bad("the mismatch rule did not switch course-ml off in 10 s").c_str());
    }
  }

  // This binary's path (a shell started by popen has its own /proc/self/exe).
  static std::string self_path() {
    std::error_code ec;
    const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("payedge") : p.string();
  }

  // Runs `payedge ARGS` (this binary) and prints at most `max_lines` of what it printed.
  void run_payedge(const std::vector<std::string>& args, std::size_t max_lines = 14) {
    std::string cmd = "payedge";
    std::string shell = "'" + self_path() + "'";
    for (const auto& a : args) {
      cmd += " " + a;
      std::string quoted = "'";
      for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      shell += " " + quoted + "'";
    }
    std::printf("\n   $ %s\n", s_.bold(cmd).c_str());
    std::fflush(stdout);
    std::FILE* p = popen((shell + " 2>&1").c_str(), "r");
    if (!p) return;
    char buf[4096];
    std::size_t n = 0;
    while (std::fgets(buf, sizeof buf, p)) {
      if (++n <= max_lines) std::printf("   %s", buf);
    }
    if (n > max_lines)
      std::printf("   %s\n", s_.dim(fmt::format("… {} more lines", n - max_lines)).c_str());
    pclose(p);
  }

  void runbook_commands() {
    std::puts(("\n" + s_.bold("12. 런북대로 / the runbook's commands (4.1, 6)")).c_str());
    run_payedge(
        {"logs", "top", "--by", "course_id", "--error-code", "E_AMOUNT_MISMATCH", story_.log});
    run_payedge({"logs", "mismatches", "--explain", "--store", story_.store_url, story_.log}, 10);
    std::puts("   (프런트엔드 가격 표시 수정 배포 / the front end's stale sale price is fixed)");
    run_payedge({"ops", "course", "activate", "course-ml", "--store", story_.store_url, "--actor",
                 "oncall-demo", "--reason", "sale price display fixed"});
  }

  void write_postmortem() {
    std::puts(("\n" + s_.bold("13. 포스트모템 초안 / incident new")).c_str());
    const std::string dir = story_.folder + "/incidents";
    const std::string cmd = fmt::format(
        "'{}' incident new --title '데모: Toss 5xx 와 가격 버그' --since '{}' "
        "--store '{}' --dir '{}' '{}' 2>/dev/null",
        self_path(), format_utc(story_since_), story_.store_url, dir, story_.log);
    std::FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    std::string path;
    if (p && std::fgets(buf, sizeof buf, p)) path = buf;
    if (p) pclose(p);
    while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
    if (path.empty()) {
      std::printf("   %s\n", s_.bad("incident new wrote nothing").c_str());
      return;
    }
    std::printf("   %s\n", s_.ok(path).c_str());
    std::FILE* f = std::fopen(path.c_str(), "r");
    for (int i = 0; f && i < 12 && std::fgets(buf, sizeof buf, f); ++i) std::printf("   │ %s", buf);
    if (f) std::fclose(f);
  }

  tcp::endpoint api_, sim_;
  Store& store_;
  CollectingSink& sink_;
  Style s_;
  StoryPaths story_;
  EpochMs story_since_ = 0;
  std::string token_, last_key_, last_order_, first_key_;
  int order_seq_ = 0;
};

// The incident story's settings: a short Toss deadline (the 5xx burst fails fast), Slack at
// the simulator (so the message can be shown), alert rules that fire on a demo's numbers, and
// no per-client rate limit: the demo's many buyers all come from 127.0.0.1, and a wave cut short
// by E_RATE_LIMITED never reached the mismatch rule's count.
void demo_story_config(Config& config, tcp::endpoint sim) {
  config.toss.deadline_ms = 600;
  config.server.confirm_rate_per_s = 0;
  config.alerts.slack_url = fmt::format("http://127.0.0.1:{}/__sim/slack", sim.port());
  config.alerts.slack_min_interval_ms = 0;
  config.alerts.toss_5xx_count = 3;
  config.alerts.mismatch_min_count = 10;
}

}  // namespace

void add_demo(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "demo", "Run the simulator and the service with sample data and a scripted story");
  auto keep = std::make_shared<bool>(false);
  auto dir = std::make_shared<std::string>();
  cmd->add_flag("--keep-running", *keep, "keep both servers up afterwards and print their URLs");
  cmd->add_option("--dir", *dir,
                  "where the demo database goes (default: a fresh temporary folder)");
  cmd->callback([keep, dir, &exit_code] {
    const Style style{isatty(STDOUT_FILENO) != 0};
    std::string folder = *dir;
    if (folder.empty()) {
      char tmpl[] = "/tmp/payedge-demo-XXXXXX";
      folder = mkdtemp(tmpl);
    }
    std::filesystem::create_directories(folder);
    const std::string db = folder + "/payedge.db";
    std::filesystem::remove(db);

    // Signing keys like a new Supabase project's (ES256, published as a JWKS): serve reads the
    // JWKS from the file the simulator also serves at /auth/v1/.well-known/jwks.json.
    const std::string keys_dir = folder + "/keys";
    std::filesystem::remove_all(keys_dir);
    auto signing = init_dev_keys(keys_dir);
    if (!signing) return print_error(signing.error()), void(exit_code = 1);
    auto mint = [&](const std::string& user) {
      return sign_jwt_with_key(dev_claims_json(user, SystemClock::instance().now_ms(), 3600),
                               signing->key.get(), signing->kid)
          .value_or("");
    };

    asio::io_context ioc(1);
    const Secrets secrets = secrets_from_env();
    SimService sim(ioc,
                   SimOptions{secrets.toss_secret_key, false, 15'000, secrets.webhook_secret,
                              keys_dir + "/jwks.json", ""},
                   SystemClock::instance());
    auto sim_ep = sim.start("127.0.0.1:0");
    if (!sim_ep) return print_error(sim_ep.error()), void(exit_code = 1);

    Config config;
    config.secrets = secrets;
    // The demo runs on loopback only: without PAYEDGE_ADMIN_TOKEN it makes a token for this
    // run and prints it with --keep-running (serve never does this).
    const bool own_admin_token = !admin_disabled_reason(secrets.admin_token).empty();
    if (own_admin_token) config.secrets.admin_token = random_hex(16);
    config.server.listen = "127.0.0.1:0";
    config.store.url = "sqlite://" + db;
    config.toss.base_url = fmt::format("http://127.0.0.1:{}", sim_ep->port());
    config.auth.jwks_file = keys_dir + "/jwks.json";
    demo_story_config(config, *sim_ep);
    CollectingSink sink;
    const std::string log_path = folder + "/payedge.log";
    sink.file = std::fopen(log_path.c_str(), "w");
    auto service = Service::create(ioc, config, SystemClock::instance(), &sink);
    if (!service) return print_error(service.error()), void(exit_code = 1);
    if (auto st = apply_seed((*service)->store(), sample_seed(SystemClock::instance().now_ms()));
        !st) {
      return print_error(st.error()), void(exit_code = 1);
    }
    auto api_ep = (*service)->start();
    if (!api_ep) return print_error(api_ep.error()), void(exit_code = 1);

    std::puts(style.bold("payedge demo").c_str());
    std::printf("   toss simulator  http://127.0.0.1:%u\n", sim_ep->port());
    std::printf("   payedge serve   http://127.0.0.1:%u\n", api_ep->port());
    std::printf("   store           sqlite://%s\n", db.c_str());
    std::printf("   auth            ES256, kid %s (JWKS %s/jwks.json)\n", signing->kid.c_str(),
                keys_dir.c_str());
    std::printf(
        "   catalogue       course-cpp 99,000 (sale 79,000), course-sql 49,000, course-ml 129,000\n"
        "                   (its sale ended yesterday), course-old (inactive); coupons WELCOME10, "
        "SQL5000,\n"
        "                   SUMMER2026 (expired)\n");

    DemoRun run(*api_ep, *sim_ep, (*service)->store(), sink, style, mint("user-demo-1"));
    run.set_story({folder, log_path, config.store.url});
    asio::co_spawn(ioc, run.run(), [&](std::exception_ptr e) {
      if (e) exit_code = 1;
      if (!*keep) {
        (*service)->stop();
        sim.stop();
        ioc.stop();
        return;
      }
      const std::string token = mint("user-demo-2");
      std::printf(
          "\nBoth servers keep running (Ctrl-C stops them). Try:\n"
          "  curl -s -X POST http://127.0.0.1:%u/__sim/sessions -d "
          "'{\"orderId\":\"my-order-1\",\"amount\":49000}'\n"
          "  curl -s -X POST http://127.0.0.1:%u/functions/v1/confirm-payment \\\n"
          "       -H 'Authorization: Bearer %s' \\\n"
          "       -d "
          "'{\"paymentKey\":\"<paymentKey>\",\"orderId\":\"my-order-1\",\"amount\":49000,"
          "\"courseId\":\"course-sql\"}'\n",
          sim_ep->port(), api_ep->port(), token.c_str());
      std::printf(
          "  open http://127.0.0.1:%u/admin/ (the ops dashboard) with the admin token %s\n",
          api_ep->port(),
          own_admin_token ? config.secrets.admin_token.c_str() : "from PAYEDGE_ADMIN_TOKEN");
      std::fflush(stdout);
    });
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      (*service)->stop();
      sim.stop();
      ioc.stop();
    });
    ioc.run();
  });
}

}  // namespace payedge::cli
