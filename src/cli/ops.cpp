// `payedge ops ...`: the runbook's audited manual operations, wiring only (the work is in
// src/confirm, src/ops and the Store).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "confirm/reconciler.h"
#include "confirm/verifier.h"
#include "core/codec.h"
#include "logs/timezone.h"
#include "ops/affected.h"
#include "ops/manual_ops.h"
#include "ops/switches.h"

namespace payedge::cli {
namespace {

struct OpsOptions {
  std::string config, store, toss_url, toss_ca, reason, actor, format = "table", older_than = "60s";
  std::string name, value, grace = "24h";
  std::string order, payment_key, user, course, coupon;
  long long amount = 0;
  long long cancel_amount = 0;  // ops enrollment cancel --amount (when given)
  bool dry_run = false;
  bool break_leases = false;
  bool force = false;
  int concurrency = 16;                    // ops verify: Toss requests at once
  std::string verify_since, verify_until;  // ops verify --since/--until: the window at Toss
};

std::string login_name() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  if (const char* l = getlogin(); l) return l;
  return "unknown";
}

void add_store_options(CLI::App* cmd, OpsOptions& o) {
  cmd->add_option("--store", o.store, "store URL")->check(store_url_check());
  cmd->add_option("--config", o.config, "payedge.toml");
  cmd->add_option("--actor", o.actor, "who does this (default: the login name)");
}

void add_common(CLI::App* cmd, OpsOptions& o) {
  cmd->add_option("--store", o.store, "store URL")->check(store_url_check());
  cmd->add_option("--toss-url", o.toss_url, "Toss API base URL");
  cmd->add_option("--toss-ca", o.toss_ca, "PEM CA file to trust for the Toss API");
  cmd->add_option("--config", o.config, "payedge.toml");
  cmd->add_option("--actor", o.actor, "who does this (default: the login name)");
  cmd->add_option("--format", o.format, "table|json")->check(CLI::IsMember({"table", "json"}));
}

Result<std::unique_ptr<Store>> open_ops_store(const OpsOptions& o) {
  auto config = load_cli_config(o.config);
  if (!config) return std::unexpected(config.error());
  return open_cli_store(o.store, *config);
}

// Everything an ops verb that talks to Toss needs, on one I/O thread.
struct OpsContext {
  Config config;
  asio::io_context ioc{1};
  asio::thread_pool pool{1};
  std::unique_ptr<Store> store;
  std::unique_ptr<TossClient> toss;
  Metrics metrics;
  std::unique_ptr<ConfirmService> confirm;

  ~OpsContext() { pool.join(); }

  // `read_only` (ops verify): the store must exist at this binary's schema; nothing is written.
  static Result<std::unique_ptr<OpsContext>> open(const OpsOptions& o, bool read_only = false) {
    auto ctx = std::make_unique<OpsContext>();
    auto config = load_cli_config(o.config);
    if (!config) return std::unexpected(config.error());
    ctx->config = *config;
    if (!o.store.empty()) ctx->config.store.url = o.store;
    if (!o.toss_url.empty()) ctx->config.toss.base_url = o.toss_url;
    if (!o.toss_ca.empty()) ctx->config.toss.ca_file = o.toss_ca;
    auto store = open_store(ctx->config.store.url, 2, ctx->config.store.busy_timeout_ms,
                            ctx->config.store.schema, read_only);
    if (!store) return std::unexpected(store.error());
    ctx->store = std::move(*store);
    if (auto st = read_only ? ctx->store->check_schema() : ctx->store->migrate(); !st) {
      return std::unexpected(st.error());
    }
    auto ep = parse_toss_url(ctx->config.toss.base_url);
    if (!ep) return std::unexpected(ep.error());
    if (auto st = ep->tls ? check_ca_file(ctx->config.toss.ca_file) : Status{}; !st)
      return std::unexpected(st.error());
    ctx->toss =
        std::make_unique<TossClient>(*ep, ctx->config.toss, ctx->config.secrets.toss_secret_key);
    ctx->confirm = std::make_unique<ConfirmService>(ctx->pool, *ctx->store, *ctx->toss, ctx->config,
                                                    SystemClock::instance(), ctx->metrics);
    return ctx;
  }

  template <class T>
  T run(awaitable<T> task) {
    std::optional<T> result;
    asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T value) {
      if (e) std::rethrow_exception(e);
      result = std::move(value);
    });
    ioc.run();
    return std::move(*result);
  }
};

// Arguments an operator typed that would be written into flags or audit_log: refused before
// anything is opened (exit 2), naming the argument.
bool operator_args_ok(const OpsOptions& o, bool reason_required, int& exit_code) {
  Status st;
  if (reason_required || !o.reason.empty()) st = check_reason(o.reason);
  if (st && !o.actor.empty()) st = check_actor(o.actor);
  if (st) return true;
  print_error(st.error());
  exit_code = 2;
  return false;
}

// Prints a manual operation's result (JSON on stdout, or a line; refusals also on stderr).
void report_manual_op(const ManualOpResult& r, const std::string& format, int& exit_code) {
  if (format == "json") std::printf("%s\n", r.to_json().dump().c_str());
  if (r.error) {
    print_error(*r.error);
    exit_code = 1;
    return;
  }
  if (format != "json") std::printf("%s\n", r.text(run_english()).c_str());
}

// A time for people, in the one time zone of every command ([log] tz, Asia/Seoul by default);
// JSON keeps UTC.
std::string local_time(const Config& config, EpochMs t) {
  auto tz = logs::TimeZone::load(config.log.tz);
  return tz ? tz->format(t) : format_utc(t);
}

// The same for an instant the store or Toss wrote as RFC 3339; anything else is shown as it is.
std::string local_time(const Config& config, const std::string& rfc3339) {
  const auto t = parse_rfc3339(rfc3339);
  return t ? local_time(config, *t) : rfc3339;
}

// The report of `ops verify` for people; the JSON is VerifyReport::to_json.
void print_verify_report(const VerifyReport& report, const Config& config, bool en) {
  if (report.since && report.until) {
    std::printf(en ? "window %s .. %s: Toss listed %d transactions\n"
                   : "구간 %s .. %s: 토스 거래 %d건 조회\n",
                local_time(config, *report.since).c_str(),
                local_time(config, *report.until).c_str(), report.toss_transactions);
  }
  std::printf(en ? "checked %d, violations %zu\n" : "확인 %d건, 위반 %zu건\n", report.checked,
              report.violations.size());
  for (const auto& v : report.violations) {
    std::printf("  %-28s %s  %s\n", v.kind.c_str(), v.payment_key.c_str(), v.text(en).c_str());
  }
  for (const auto& v : report.allowed) {
    std::printf(en ? "  allowed: %-19s %s  %s\n" : "  허용: %-22s %s  %s\n", v.kind.c_str(),
                v.payment_key.c_str(), v.text(en).c_str());
  }
}

}  // namespace

void add_ops(CLI::App& app, int& exit_code) {
  auto* ops = app.add_subcommand("ops", "Careful manual operations (each one audited)");
  ops->require_subcommand(1);
  auto o = std::make_shared<OpsOptions>();

  auto* reconcile =
      ops->add_subcommand("reconcile", "Settle confirm attempts left open, by asking Toss");
  add_common(reconcile, *o);
  reconcile->add_option("--older-than", o->older_than,
                        "only attempts untouched this long (e.g. 60s, 5m)");
  reconcile->add_option("--reason", o->reason, "why (recorded in audit_log)");
  reconcile->add_flag("--dry-run", o->dry_run, "ask Toss and report, change nothing");
  reconcile->add_flag("--break-leases", o->break_leases,
                      "also take attempts a serve process holds: only when every serve is stopped");
  reconcile->callback([o, &exit_code] {
    if (!operator_args_ok(*o, false, exit_code)) return;
    auto older = parse_duration_ms(o->older_than);
    if (!older)
      return print_error(make_error(ErrorCode::kInvalidRequest, "--older-than like 60s")),
             void(exit_code = 2);
    auto ctx = OpsContext::open(*o);
    if (!ctx) return print_error(ctx.error()), void(exit_code = 1);
    Reconciler reconciler((*ctx)->pool, *(*ctx)->store, *(*ctx)->confirm, (*ctx)->config,
                          SystemClock::instance());
    ReconcileOptions ro;
    ro.older_than_ms = *older;
    ro.break_leases = o->break_leases;
    ro.dry_run = o->dry_run;
    ro.actor = o->actor.empty() ? login_name() : o->actor;
    ro.reason = o->reason.empty() ? "ops reconcile" : o->reason;
    ReconcileReport report = (*ctx)->run(reconciler.run_once(ro));
    if (o->format == "json") {
      std::printf("%s\n", report.to_json().dump().c_str());
    } else {
      const bool en = run_english();
      std::printf(en ? "examined %d open attempts%s; held by a live serve: %d\n"
                     : "열린 승인 시도 %d건 확인%s; 살아 있는 serve가 잡고 있는 것: %d\n",
                  report.examined, o->dry_run ? tr(" (시험 실행)", " (dry run)") : "",
                  report.leased_elsewhere);
      // Which instance holds each one: a live serve finishes it itself, a dead one's is taken
      // here once its heartbeat is stale ([server] heartbeat_stale_ms).
      for (const auto& h : report.held) {
        const std::string who = h.value("instance_id", "");
        if (who.empty()) {
          std::printf(en ? "  %-10s %s  order %s  lease until %s (a command or an older serve)\n"
                         : "  %-10s %s  주문 %s  임대 만료 %s (명령 또는 이전 serve)\n",
                      "held", h.value("payment_key", "").c_str(), h.value("order_id", "").c_str(),
                      local_time((*ctx)->config, h.value("lease_until", "")).c_str());
          continue;
        }
        std::printf(en ? "  %-10s %s  order %s  by instance %s (host %s, pid %lld, heartbeat %s)\n"
                       : "  %-10s %s  주문 %s  인스턴스 %s (호스트 %s, pid %lld, 하트비트 %s)\n",
                    "held", h.value("payment_key", "").c_str(), h.value("order_id", "").c_str(),
                    who.c_str(), h.value("host", "?").c_str(), h.value("pid", 0LL),
                    local_time((*ctx)->config, h.value("heartbeat_at", "?")).c_str());
      }
      for (const auto& a : report.actions) {
        std::printf(en ? "  %-10s %s  order %s  %s KRW  Toss: %s\n"
                       : "  %-10s %s  주문 %s  %s원  토스: %s\n",
                    a["action"].get<std::string>().c_str(),
                    a["payment_key"].get<std::string>().c_str(),
                    a["order_id"].get<std::string>().c_str(), a["amount"].dump().c_str(),
                    a["toss_status"].get<std::string>().c_str());
      }
    }
    if (report.by_action.contains("unresolved")) exit_code = 1;
    if (report.store_error) {
      print_error(*report.store_error);
      exit_code = 1;
    }
  });

  // Switches: the runbook's toggles (6), each one audited in the same transaction.
  auto* flag = ops->add_subcommand("flag", "Feature flags and kill switches");
  flag->require_subcommand(1);
  auto* flag_set = flag->add_subcommand("set", "Set a flag, e.g. payments_enabled off");
  add_store_options(flag_set, *o);
  flag_set->add_option("NAME", o->name, "flag name (payments_enabled, payment_banner, …)")
      ->required();
  flag_set->add_option("VALUE", o->value, "on|off, or text for payment_banner")->required();
  flag_set->add_option("--reason", o->reason, "why (recorded in audit_log)")->required();
  flag_set->add_flag("--dry-run", o->dry_run, "show what would change");
  flag_set->callback([o, &exit_code] {
    if (!operator_args_ok(*o, true, exit_code)) return;
    if (auto st = check_flag_value(o->name, o->value); !st) {
      return print_error(st.error()), void(exit_code = 2);
    }
    auto store = open_ops_store(*o);
    if (!store) return print_error(store.error()), void(exit_code = 1);
    const std::string actor = o->actor.empty() ? login_name() : o->actor;
    Switches switches(**store, SystemClock::instance());
    auto change = switches.set_flag(o->name, o->value, {actor, o->reason}, o->dry_run);
    if (!change) return print_error(change.error()), void(exit_code = 1);
    if (o->dry_run) {
      std::printf(tr("시험 실행: %s %s → %s\n", "dry run: %s %s → %s\n"), o->name.c_str(),
                  change->from.c_str(), o->value.c_str());
      return;
    }
    std::printf(tr("%s: %s → %s (%s: %s)\n", "%s: %s → %s (by %s: %s)\n"), o->name.c_str(),
                change->from.c_str(), o->value.c_str(), actor.c_str(), o->reason.c_str());
  });

  auto* course = ops->add_subcommand("course", "Per-course sales toggle (courses.active)");
  course->require_subcommand(1);
  for (const char* verb : {"activate", "deactivate"}) {
    auto* cmd = course->add_subcommand(verb, std::string(verb) + " a course");
    add_store_options(cmd, *o);
    cmd->add_option("ID", o->name, "course id")->required();
    cmd->add_option("--reason", o->reason, "why (recorded in audit_log)")->required();
    cmd->add_flag("--dry-run", o->dry_run, "show what would change");
    const bool active = std::string_view(verb) == "activate";
    cmd->callback([o, active, &exit_code] {
      if (!operator_args_ok(*o, true, exit_code)) return;
      auto store = open_ops_store(*o);
      if (!store) return print_error(store.error()), void(exit_code = 1);
      const std::string actor = o->actor.empty() ? login_name() : o->actor;
      Switches switches(**store, SystemClock::instance());
      auto change = switches.set_course_active(o->name, active, {actor, o->reason}, o->dry_run);
      if (!change) return print_error(change.error()), void(exit_code = 1);
      if (o->dry_run) {
        std::printf(
            tr("시험 실행: 강의 %s active %s → %s\n", "dry run: course %s active %s → %s\n"),
            o->name.c_str(), change->from.c_str(), change->to.c_str());
        return;
      }
      std::printf(tr("강의 %s: active=%s (%s: %s)\n", "course %s: active=%s (by %s: %s)\n"),
                  o->name.c_str(), change->to.c_str(), actor.c_str(), o->reason.c_str());
    });
  }

  // runbook 4.4 step 3: rotate WEBHOOK_SECRET; the previous one is accepted for a grace period.
  auto* secret = ops->add_subcommand("secret", "Webhook secret rotation");
  secret->require_subcommand(1);
  auto* rotate = secret->add_subcommand(
      "rotate", "Make a new webhook secret current (read from a file or stdin)");
  add_store_options(rotate, *o);
  rotate->add_option("--from-file", o->value, "file holding the new secret (default: stdin)");
  rotate->add_option("--grace", o->grace, "how long the previous secret stays valid");
  rotate->add_option("--reason", o->reason, "why (recorded in audit_log)")->required();
  rotate->add_flag("--dry-run", o->dry_run, "check the new secret, change nothing");
  rotate->callback([o, &exit_code] {
    if (!operator_args_ok(*o, true, exit_code)) return;
    std::string fresh;
    if (o->value.empty() || o->value == "-") {
      std::getline(std::cin, fresh, '\0');
    } else {
      std::ifstream in(o->value);
      if (!in)
        return print_error(make_error(ErrorCode::kInvalidRequest, "cannot read " + o->value)),
               void(exit_code = 1);
      std::getline(in, fresh, '\0');
    }
    while (!fresh.empty() && (fresh.back() == '\n' || fresh.back() == '\r' || fresh.back() == ' '))
      fresh.pop_back();
    auto config = load_cli_config(o->config);
    if (!config) return print_error(config.error()), void(exit_code = 2);
    auto grace = parse_duration_ms(o->grace);
    if (!grace)
      return print_error(make_error(ErrorCode::kInvalidRequest, "--grace like 24h")),
             void(exit_code = 2);
    auto store = open_ops_store(*o);
    if (!store) return print_error(store.error()), void(exit_code = 1);
    const std::string actor = o->actor.empty() ? login_name() : o->actor;
    const char* env_secret = std::getenv("WEBHOOK_SECRET");
    Switches switches(**store, SystemClock::instance());
    auto rotated =
        switches.rotate_webhook_secret(fresh, *grace, config->secrets.webhook_secret,
                                       env_secret && *env_secret, {actor, o->reason}, o->dry_run);
    if (!rotated) return print_error(rotated.error()), void(exit_code = 1);
    const std::string until = local_time(*config, rotated->previous_valid_until);
    if (o->dry_run) {
      std::printf(tr("시험 실행: 새 시크릿 %s…이 현재 값이 됩니다; 이전 시크릿은 %s까지 유효\n",
                     "dry run: new secret %s… would become current; the previous one valid until "
                     "%s\n"),
                  rotated->fingerprint.c_str(), until.c_str());
      return;
    }
    std::printf(tr("교체 완료: 시크릿 %s…이 현재 값; 이전 시크릿은 %s까지 받아들입니다\n",
                   "rotated: secret %s… is current; the previous one is accepted until %s\n"),
                rotated->fingerprint.c_str(), until.c_str());
  });

  // runbook 5: cancel a wrong enrollment, in sync with the payment cancel at Toss.
  auto* enrollment = ops->add_subcommand("enrollment", "Enrollments");
  enrollment->require_subcommand(1);
  auto* cancel = enrollment->add_subcommand(
      "cancel", "Cancel the payment of an order at Toss, then the payment and its enrollment");
  add_common(cancel, *o);
  cancel->add_option("--order", o->order, "order id of the payment")->required();
  cancel->add_option("--reason", o->reason, "why (Toss cancelReason and audit_log)")->required();
  auto* amount_opt =
      cancel->add_option("--amount", o->cancel_amount,
                         "refund only this many KRW (Toss cancelAmount); the enrollment stays");
  cancel->add_flag("--dry-run", o->dry_run, "say what would happen; change nothing anywhere");
  cancel->callback([o, amount_opt, &exit_code] {
    if (!operator_args_ok(*o, true, exit_code)) return;
    auto ctx = OpsContext::open(*o);
    if (!ctx) return print_error(ctx.error()), void(exit_code = 1);
    EnrollmentCancelRequest req{o->order, o->actor.empty() ? login_name() : o->actor, o->reason,
                                o->dry_run, std::nullopt};
    if (amount_opt->count() > 0) req.amount = o->cancel_amount;
    ManualOpContext mc{(*ctx)->pool, *(*ctx)->store, *(*ctx)->toss, SystemClock::instance()};
    report_manual_op((*ctx)->run(cancel_enrollment(mc, req)), o->format, exit_code);
  });

  // runbook 5: inject a payment by hand — checked at Toss, never a duplicate.
  auto* payment = ops->add_subcommand("payment", "Payments");
  payment->require_subcommand(1);
  auto* inject = payment->add_subcommand(
      "inject", "Record a payment Toss has DONE (or, with --force, one it cannot show)");
  add_common(inject, *o);
  inject->add_option("--payment-key", o->payment_key, "Toss paymentKey")->required();
  inject->add_option("--order", o->order, "order id")->required();
  inject->add_option("--user", o->user, "user id")->required();
  inject->add_option("--course", o->course, "course id")->required();
  inject->add_option("--amount", o->amount, "amount in KRW")
      ->required()
      ->check(CLI::PositiveNumber);
  inject->add_option("--coupon", o->coupon, "coupon code used");
  inject->add_flag("--force", o->force,
                   "skip the Toss check (Toss unreachable, or paid outside Toss); audited");
  inject->add_option("--reason", o->reason, "why (recorded in audit_log)")->required();
  inject->add_flag("--dry-run", o->dry_run, "check and say what would happen; change nothing");
  inject->callback([o, &exit_code] {
    if (!operator_args_ok(*o, true, exit_code)) return;
    auto ctx = OpsContext::open(*o);
    if (!ctx) return print_error(ctx.error()), void(exit_code = 1);
    PaymentInjectRequest req;
    req.payment_key = o->payment_key;
    req.order_id = o->order;
    req.user_id = o->user;
    req.course_id = o->course;
    req.amount = o->amount;
    if (!o->coupon.empty()) req.coupon_code = o->coupon;
    req.force = o->force;
    req.actor = o->actor.empty() ? login_name() : o->actor;
    req.reason = o->reason;
    req.dry_run = o->dry_run;
    ManualOpContext mc{(*ctx)->pool, *(*ctx)->store, *(*ctx)->toss, SystemClock::instance()};
    report_manual_op((*ctx)->run(inject_payment(mc, req)), o->format, exit_code);
  });

  auto* verify =
      ops->add_subcommand("verify", "Cross-check the store against Toss; exit 1 on any violation");
  add_common(verify, *o);
  verify
      ->add_option("--concurrency", o->concurrency,
                   "ask Toss about this many payments at once (default 16)")
      ->check(CLI::Range(1, 256));
  verify->add_option("--since", o->verify_since,
                     "also ask Toss's transaction list from this time (RFC 3339, a date, or "
                     "relative to --until like -7d): a payment DONE at Toss but absent here is "
                     "reported; only payments approved in the window are checked");
  verify->add_option("--until", o->verify_until, "end of the --since window (default now)");
  verify->callback([o, &exit_code] {
    if (!operator_args_ok(*o, false, exit_code)) return;
    VerifyOptions vo;
    vo.concurrency = o->concurrency;
    if (!o->verify_since.empty() || !o->verify_until.empty()) {
      std::string why;
      const auto w = parse_window(o->verify_since.empty() ? "-24h" : o->verify_since,
                                  o->verify_until, SystemClock::instance().now_ms(), why);
      if (!w) return print_error(make_error(ErrorCode::kInvalidRequest, why)), void(exit_code = 2);
      vo.since = w->since;
      vo.until = w->until;
    }
    auto ctx = OpsContext::open(*o, true);
    if (!ctx) return print_error(ctx.error()), void(exit_code = 1);
    VerifyReport report =
        (*ctx)->run(verify_against_toss((*ctx)->pool, *(*ctx)->store, *(*ctx)->toss, vo));
    if (o->format == "json") {
      std::printf("%s\n", report.to_json().dump().c_str());
    } else {
      print_verify_report(report, (*ctx)->config, run_english());
    }
    if (!report.violations.empty()) exit_code = 1;
  });

  // For a support message after an incident: who saw a failure but was charged afterwards.
  auto* customers = ops->add_subcommand("customers", "Buyers, for support messages");
  customers->require_subcommand(1);
  auto* affected = customers->add_subcommand(
      "affected",
      "Buyers whose confirm failed or went unanswered but who were charged later (the "
      "reconciler or a webhook recorded the payment), masked");
  struct Window {
    std::string since = "-24h", until;
  };
  auto window = std::make_shared<Window>();
  affected->add_option("--store", o->store, "store URL")->check(store_url_check());
  affected->add_option("--config", o->config, "payedge.toml");
  affected->add_option("--format", o->format, "table|json")
      ->check(CLI::IsMember({"table", "json"}));
  affected->add_option("--since", window->since,
                       "approved from: RFC 3339, a date, or relative to --until (default -24h)");
  affected->add_option("--until", window->until, "approved before (default now)");
  affected->callback([o, window, &exit_code] {
    std::string why;
    const auto w =
        parse_window(window->since, window->until, SystemClock::instance().now_ms(), why);
    if (!w) return print_error(make_error(ErrorCode::kInvalidRequest, why)), void(exit_code = 2);
    auto config = load_cli_config(o->config);
    if (!config) return print_error(config.error()), void(exit_code = 2);
    auto store = open_cli_store_read_only(o->store, *config);
    if (!store) return print_error(store.error()), void(exit_code = 1);
    auto rows = affected_customers(**store, w->since, w->until);
    if (!rows) return print_error(rows.error()), void(exit_code = 1);
    if (o->format == "json") {
      std::printf("%s\n", affected_json(*rows).dump().c_str());
      return;
    }
    std::printf(tr("승인이 실패하거나 응답을 못 받은 뒤 결제된 구매자 %zu명 (%s .. %s)\n",
                   "%zu buyers charged after a failed or unanswered confirm (%s .. %s)\n"),
                rows->size(), local_time(*config, w->since).c_str(),
                local_time(*config, w->until).c_str());
    for (const auto& r : *rows) {
      std::printf("  %-25s  %-36s  %-24s  %-12s  %8lld  %-9s  %s\n",
                  local_time(*config, r.approved_at).c_str(), r.user_id.c_str(), r.order_id.c_str(),
                  r.payment_key.c_str(), static_cast<long long>(r.amount), r.source.c_str(),
                  r.status.c_str());
    }
  });
}

}  // namespace payedge::cli
