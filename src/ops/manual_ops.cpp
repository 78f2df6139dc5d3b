#include "ops/manual_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/codec.h"

namespace payedge {

using nlohmann::json;

namespace {

json payment_json(const Payment& p) {
  return {{"payment_key", p.provider_tx_id},
          {"order_id", p.order_id},
          {"user_id", p.user_id},
          {"course_id", p.course_id},
          {"amount", p.amount},
          {"coupon_code", p.coupon_code ? json(*p.coupon_code) : json(nullptr)},
          {"status", p.status},
          {"source", p.source}};
}

std::string describe(const Payment& p) {
  return fmt::format("payment {} order {} user {} course {} {} KRW {} (source {})",
                     p.provider_tx_id, p.order_id, p.user_id, p.course_id, p.amount, p.status,
                     p.source);
}

json toss_json(const TossReply& r) {
  json j = {{"http_status", r.http_status}};
  if (!r.answered()) j["error"] = r.timed_out ? "timeout" : r.transport_error;
  if (r.body.is_object()) {
    for (const char* k : {"status", "orderId", "totalAmount", "method", "approvedAt", "code"}) {
      if (r.body.contains(k)) j[k] = r.body[k];
    }
  }
  return j;
}

std::string toss_says(const TossReply& r) {
  if (!r.answered())
    return r.timed_out ? "no answer (timeout)" : "unreachable: " + r.transport_error;
  return fmt::format("HTTP {} {} {}", r.http_status, r.code(), r.message());
}

ManualOpResult refuse(ManualOpResult r, ErrorCode code, std::string message) {
  r.outcome = "refused";
  r.message = std::move(message);
  r.error = make_error(code, r.message);
  return r;
}

ManualOpResult store_failed(ManualOpResult r, const Error& e) {
  r.outcome = "failed";
  r.message = "store: " + e.detail;
  r.error = e;
  return r;
}

// `ops enrollment cancel --amount N`: Toss's cancel with cancelAmount, then the payment's
// status and balance in one transaction; the buyer keeps the course.
// https://docs.tosspayments.com/reference#결제-취소 (cancelAmount; PARTIAL_CANCELED)
awaitable<ManualOpResult> refund_part(ManualOpContext ctx, const EnrollmentCancelRequest& req,
                                      const Payment& payment, ManualOpResult r) {
  const Krw amount = *req.amount;
  r.action = "payment.partial_cancel";
  r.details["cancel_amount"] = amount;
  if (amount <= 0 || amount > payment.amount) {
    co_return refuse(
        std::move(r), ErrorCode::kInvalidRequest,
        fmt::format("--amount must be between 1 and the payment's {} KRW", payment.amount));
  }
  if (payment.status != "DONE" && payment.status != "PARTIAL_CANCELED") {
    co_return refuse(std::move(r), ErrorCode::kInvalidRequest,
                     fmt::format("payment {} is {}: only a DONE payment can be partly refunded",
                                 payment.provider_tx_id, payment.status));
  }
  if (req.dry_run) {
    r.outcome = "would_refund_part";
    r.message =
        fmt::format("dry run: would refund {} of {} KRW of {} at Toss; the enrollment stays",
                    amount, payment.amount, payment.provider_tx_id);
    r.message_ko =
        fmt::format("시험 실행: 토스에서 {}의 {}원 중 {}원을 환불합니다; 수강 등록은 유지",
                    payment.provider_tx_id, payment.amount, amount);
    co_return r;
  }
  TossReply reply = co_await ctx.toss.cancel(payment.provider_tx_id, req.reason, amount,
                                             "payedge-ops-cancel-" + random_hex(12));
  r.details["toss"] = toss_json(reply);
  if (reply.http_status != 200 || !reply.body.is_object()) {
    co_return refuse(std::move(r),
                     reply.server_error() ? ErrorCode::kTossApiError : ErrorCode::kTossRejected,
                     fmt::format("Toss did not refund {}: {}; nothing changed",
                                 payment.provider_tx_id, toss_says(reply)));
  }
  // Toss's answer is the Payment object after the refund, read by the one parser (a mistyped
  // field is "?" here, never an exception).
  const auto refunded = reply.payment();
  const std::string status = refunded ? refunded->status : std::string();
  const Krw balance = refunded ? refunded->balance_amount : Krw{-1};
  r.details["balance_amount"] = balance;
  const EpochMs now = ctx.clock.now_ms();
  AuditEntry audit{req.actor, r.action, payment.provider_tx_id, req.reason, r.details.dump()};
  Result<bool> changed = false;
  if (status == "CANCELED") {
    // The amount was all that was left: a full cancel after all.
    audit.action = "enrollment.cancel";
    changed = co_await run_blocking(ctx.pool, [&] {
      return ctx.store.cancel_payment(payment.provider_tx_id, "CANCELED", now, audit);
    });
  } else if (status == "PARTIAL_CANCELED" && balance >= 0) {
    changed = co_await run_blocking(ctx.pool, [&] {
      return ctx.store.record_partial_cancel(payment.provider_tx_id, balance, now, audit);
    });
  } else {
    co_return refuse(std::move(r), ErrorCode::kTossRejected,
                     fmt::format("Toss reports {} as {} after the refund; nothing changed locally",
                                 payment.provider_tx_id, status.empty() ? "?" : status));
  }
  if (!changed) {
    r = store_failed(std::move(r), changed.error());
    r.message += " — Toss HAS refunded; the webhook or `ops verify` will show the drift";
    co_return r;
  }
  r.outcome = status == "CANCELED" ? "canceled" : "refunded_part";
  r.message = status == "CANCELED"
                  ? fmt::format(
                        "order {}: the last {} KRW refunded: payment CANCELED, enrollment "
                        "CANCELLED",
                        req.order_id, amount)
                  : fmt::format(
                        "order {}: {} KRW refunded at Toss, {} KRW left; the enrollment "
                        "of {} in {} stays ACTIVE",
                        req.order_id, amount, balance, payment.user_id, payment.course_id);
  r.message_ko =
      status == "CANCELED"
          ? fmt::format("주문 {}: 남은 {}원 환불: 결제 CANCELED, 수강 등록 CANCELLED", req.order_id,
                        amount)
          : fmt::format("주문 {}: 토스에서 {}원 환불, {}원 남음; {}의 {} 수강 등록은 ACTIVE 유지",
                        req.order_id, amount, balance, payment.user_id, payment.course_id);
  co_return r;
}

}  // namespace

json ManualOpResult::to_json() const {
  json j = {{"action", action}, {"outcome", outcome}, {"ok", !error}, {"message", message}};
  if (error) j["error_code"] = error->name();
  j["details"] = details;
  return j;
}

awaitable<ManualOpResult> cancel_enrollment(ManualOpContext ctx, EnrollmentCancelRequest req) {
  ManualOpResult r;
  r.action = "enrollment.cancel";
  r.details["order_id"] = req.order_id;
  r.details["dry_run"] = req.dry_run;
  auto found = co_await run_blocking(ctx.pool,
                                     [&] { return ctx.store.find_payment_by_order(req.order_id); });
  if (!found) co_return store_failed(std::move(r), found.error());
  if (!*found)
    co_return refuse(std::move(r), ErrorCode::kInvalidRequest,
                     "no payment for order " + req.order_id);
  const Payment payment = **found;
  r.details["payment"] = payment_json(payment);
  auto enrollment = co_await run_blocking(
      ctx.pool, [&] { return ctx.store.find_enrollment(payment.provider_tx_id); });
  if (!enrollment) co_return store_failed(std::move(r), enrollment.error());
  const bool enrollment_active = *enrollment && (*enrollment)->status == "ACTIVE";
  r.details["enrollment_status"] = *enrollment ? json((*enrollment)->status) : json(nullptr);

  // Writes the local half: payment CANCELED (when it is not yet), enrollment CANCELLED, audit.
  auto cancel_locally = [&](std::string mode) -> awaitable<Result<bool>> {
    r.details["mode"] = mode;
    AuditEntry audit{req.actor, r.action, payment.provider_tx_id, req.reason, r.details.dump()};
    const EpochMs now = ctx.clock.now_ms();
    co_return co_await run_blocking(ctx.pool, [&] {
      return ctx.store.cancel_payment(payment.provider_tx_id, "CANCELED", now, audit);
    });
  };

  // A partial refund goes its own way (and refuses a payment that is not DONE).
  if (req.amount) co_return co_await refund_part(ctx, req, payment, std::move(r));

  if (payment.status == "CANCELED") {
    if (!enrollment_active) {
      r.outcome = "nothing_to_do";
      r.message =
          fmt::format("order {}: payment already CANCELED and no ACTIVE enrollment", req.order_id);
      r.message_ko = fmt::format("주문 {}: 결제는 이미 CANCELED 이고 ACTIVE 수강 등록이 없습니다",
                                 req.order_id);
      co_return r;
    }
    // A half state (the old manual SQL cancelled the payment but not the enrollment).
    if (req.dry_run) {
      r.outcome = "would_cancel_enrollment";
      r.message = fmt::format(
          "dry run: payment {} is already CANCELED; its ACTIVE enrollment would be CANCELLED "
          "(no Toss call)",
          payment.provider_tx_id);
      r.message_ko = fmt::format(
          "시험 실행: 결제 {}는 이미 CANCELED; ACTIVE 수강 등록을 CANCELLED 로 바꿉니다 (토스 호출 "
          "없음)",
          payment.provider_tx_id);
      co_return r;
    }
    auto changed = co_await cancel_locally("enrollment_only");
    if (!changed) co_return store_failed(std::move(r), changed.error());
    r.outcome = "enrollment_only";
    r.message =
        fmt::format("order {}: payment was already CANCELED; enrollment of {} in {} CANCELLED",
                    req.order_id, payment.user_id, payment.course_id);
    r.message_ko = fmt::format("주문 {}: 결제는 이미 CANCELED; {}의 {} 수강 등록 CANCELLED",
                               req.order_id, payment.user_id, payment.course_id);
    co_return r;
  }

  auto forced = co_await run_blocking(
      ctx.pool, [&] { return ctx.store.forced_injection(payment.provider_tx_id); });
  if (!forced) co_return store_failed(std::move(r), forced.error());
  if (payment.source == "manual" && *forced) {
    // Injected with --force: there is no payment at Toss to cancel (any refund is made
    // outside payedge), so only the local rows change.
    r.details["toss"] = "not called: injected with --force, no Toss payment";
    if (req.dry_run) {
      r.outcome = "would_cancel_locally";
      r.message = fmt::format(
          "dry run: payment {} was injected with --force: it and its enrollment would be "
          "cancelled locally only (no Toss call; refund outside payedge)",
          payment.provider_tx_id);
      r.message_ko = fmt::format(
          "시험 실행: 결제 {}는 --force 로 기록됨: 결제와 수강 등록을 로컬에서만 취소합니다 (토스 "
          "호출 없음; 환불은 payedge 밖에서)",
          payment.provider_tx_id);
      co_return r;
    }
    auto changed = co_await cancel_locally("local_only");
    if (!changed) co_return store_failed(std::move(r), changed.error());
    r.outcome = "local_only";
    r.message = fmt::format(
        "order {}: payment {} (injected with --force) CANCELED locally only — Toss was not "
        "called; refund outside payedge; enrollment CANCELLED",
        req.order_id, payment.provider_tx_id);
    r.message_ko = fmt::format(
        "주문 {}: 결제 {} (--force 로 기록됨) 로컬에서만 CANCELED — 토스는 호출하지 않음; 환불은 "
        "payedge 밖에서; 수강 등록 CANCELLED",
        req.order_id, payment.provider_tx_id);
    co_return r;
  }

  if (req.dry_run) {
    // Only a read at Toss: the dry run says what Toss holds now.
    TossReply now = co_await ctx.toss.get_payment(payment.provider_tx_id);
    r.details["toss"] = toss_json(now);
    r.outcome = "would_cancel";
    r.message = fmt::format(
        "dry run: would cancel {} at Toss ({} KRW, Toss status {}), then payment CANCELED and "
        "enrollment CANCELLED",
        payment.provider_tx_id, payment.amount,
        now.payment() ? now.payment()->status : toss_says(now));
    r.message_ko = fmt::format(
        "시험 실행: 토스에서 {}를 취소하고 ({}원, 토스 상태 {}), 결제 CANCELED 와 수강 등록 "
        "CANCELLED 로 바꿉니다",
        payment.provider_tx_id, payment.amount,
        now.payment() ? now.payment()->status : toss_says(now));
    co_return r;
  }

  // Toss first: if Toss keeps the money, the enrollment stays. A fresh Idempotency-Key per
  // run: Toss would replay a stored failure for 15 days, and a second full cancel is already
  // harmless (ALREADY_CANCELED_PAYMENT, handled below).
  TossReply reply = co_await ctx.toss.cancel(payment.provider_tx_id, req.reason, std::nullopt,
                                             "payedge-ops-cancel-" + random_hex(12));
  r.details["toss"] = toss_json(reply);
  std::string toss_status;
  if (auto canceled = reply.payment()) {
    toss_status = canceled->status;
  } else if (reply.code() == "ALREADY_CANCELED_PAYMENT") {
    TossReply check = co_await ctx.toss.get_payment(payment.provider_tx_id);
    r.details["toss_refetch"] = toss_json(check);
    if (auto fetched = check.payment()) toss_status = fetched->status;
  } else {
    co_return refuse(std::move(r),
                     reply.server_error() ? ErrorCode::kTossApiError : ErrorCode::kTossRejected,
                     fmt::format("Toss did not cancel {}: {}; nothing changed, the enrollment "
                                 "stays ACTIVE",
                                 payment.provider_tx_id, toss_says(reply)));
  }
  if (toss_status != "CANCELED") {
    co_return refuse(std::move(r), ErrorCode::kTossRejected,
                     fmt::format("Toss reports {} as {} after the cancel, not CANCELED; nothing "
                                 "changed locally",
                                 payment.provider_tx_id, toss_status.empty() ? "?" : toss_status));
  }
  auto changed = co_await cancel_locally("toss_and_local");
  if (!changed) {
    // Toss has refunded; our rows did not follow. Re-running is safe (the cancel is
    // idempotent at Toss), and the webhook will bring the same change.
    r = store_failed(std::move(r), changed.error());
    r.message += " — Toss HAS canceled the payment; run the command again";
    co_return r;
  }
  r.outcome = "canceled";
  r.message = fmt::format(
      "order {}: canceled at Toss ({} KRW refunded), payment CANCELED, enrollment "
      "of {} in {} CANCELLED",
      req.order_id, payment.amount, payment.user_id, payment.course_id);
  r.message_ko =
      fmt::format("주문 {}: 토스에서 취소 ({}원 환불), 결제 CANCELED, {}의 {} 수강 등록 CANCELLED",
                  req.order_id, payment.amount, payment.user_id, payment.course_id);
  if (!*changed) {
    r.message += " (the local rows had already followed, e.g. by the webhook)";
    r.message_ko += " (로컬 행은 이미 반영되어 있었음, 예: 웹훅)";
  }
  co_return r;
}

awaitable<ManualOpResult> inject_payment(ManualOpContext ctx, PaymentInjectRequest req) {
  ManualOpResult r;
  r.action = "payment.inject";
  r.details = {{"payment_key", req.payment_key},
               {"order_id", req.order_id},
               {"user_id", req.user_id},
               {"course_id", req.course_id},
               {"amount", req.amount},
               {"coupon_code", req.coupon_code ? json(*req.coupon_code) : json(nullptr)},
               {"force", req.force},
               {"dry_run", req.dry_run}};

  // The refusals, with the row in the way shown (the transaction checks them again).
  auto by_key =
      co_await run_blocking(ctx.pool, [&] { return ctx.store.find_payment(req.payment_key); });
  if (!by_key) co_return store_failed(std::move(r), by_key.error());
  if (*by_key) {
    r.details["existing"] = payment_json(**by_key);
    co_return refuse(std::move(r), ErrorCode::kIdempotencyConflict,
                     "paymentKey already recorded: " + describe(**by_key));
  }
  auto by_order = co_await run_blocking(
      ctx.pool, [&] { return ctx.store.find_payment_by_order(req.order_id); });
  if (!by_order) co_return store_failed(std::move(r), by_order.error());
  if (*by_order) {
    r.details["existing"] = payment_json(**by_order);
    co_return refuse(std::move(r), ErrorCode::kIdempotencyConflict,
                     "order id already recorded: " + describe(**by_order));
  }
  for (bool by_payment_key : {true, false}) {
    auto attempt = co_await run_blocking(ctx.pool, [&] {
      return by_payment_key ? ctx.store.find_attempt(req.payment_key)
                            : ctx.store.find_attempt_by_order(req.order_id);
    });
    if (!attempt) co_return store_failed(std::move(r), attempt.error());
    if (*attempt && (*attempt)->state == AttemptState::kInProgress) {
      co_return refuse(
          std::move(r), ErrorCode::kIdempotencyConflict,
          fmt::format("a confirm attempt for {} (order {}) is still open: `payedge ops reconcile` "
                      "settles it, not a manual inject",
                      (*attempt)->payment_key, (*attempt)->order_id));
    }
  }
  auto course =
      co_await run_blocking(ctx.pool, [&] { return ctx.store.find_course(req.course_id); });
  if (!course) co_return store_failed(std::move(r), course.error());
  if (!*course)
    co_return refuse(std::move(r), ErrorCode::kCourseNotFound, "unknown course " + req.course_id);
  if (req.coupon_code) {
    auto coupon =
        co_await run_blocking(ctx.pool, [&] { return ctx.store.find_coupon(*req.coupon_code); });
    if (!coupon) co_return store_failed(std::move(r), coupon.error());
    if (!*coupon)
      co_return refuse(std::move(r), ErrorCode::kCouponInvalid,
                       "unknown coupon " + *req.coupon_code);
  }
  auto enrolled = co_await run_blocking(
      ctx.pool, [&] { return ctx.store.has_active_enrollment(req.user_id, req.course_id); });
  if (!enrolled) co_return store_failed(std::move(r), enrolled.error());
  if (*enrolled)
    co_return refuse(
        std::move(r), ErrorCode::kAlreadyEnrolled,
        fmt::format("{} already has an ACTIVE enrollment in {}", req.user_id, req.course_id));

  Payment p;
  p.provider_tx_id = req.payment_key;
  p.order_id = req.order_id;
  p.user_id = req.user_id;
  p.course_id = req.course_id;
  p.amount = req.amount;
  p.coupon_code = req.coupon_code;
  p.status = "DONE";
  p.source = "manual";
  if (req.force) {
    r.details["toss"] = "not checked (--force)";
  } else {
    TossReply reply = co_await ctx.toss.get_payment(req.payment_key);
    r.details["toss"] = toss_json(reply);
    auto toss_payment = reply.payment();
    if (!toss_payment) {
      const std::string why = reply.http_status == 200
                                  ? "unreadable answer (" + toss_payment.error().detail + ")"
                                  : toss_says(reply);
      co_return refuse(std::move(r),
                       reply.server_error() || reply.http_status == 200 ? ErrorCode::kTossApiError
                                                                        : ErrorCode::kTossRejected,
                       fmt::format("Toss has no payment {} to record: {} (--force only for a "
                                   "payment Toss cannot show)",
                                   req.payment_key, why));
    }
    std::vector<std::string> differences;
    const std::string& status = toss_payment->status;
    const std::string& order = toss_payment->order_id;
    const Krw amount = toss_payment->total_amount;
    if (status != "DONE") differences.push_back(fmt::format("status {} (not DONE)", status));
    if (order != req.order_id)
      differences.push_back(fmt::format("orderId {} (given {})", order, req.order_id));
    if (amount != req.amount)
      differences.push_back(fmt::format("totalAmount {} (given {})", amount, req.amount));
    if (!differences.empty()) {
      std::string all;
      for (const auto& d : differences) all += (all.empty() ? "" : ", ") + d;
      co_return refuse(
          std::move(r),
          amount != req.amount ? ErrorCode::kAmountMismatch : ErrorCode::kInvalidRequest,
          fmt::format("Toss disagrees about {}: {}", req.payment_key, all));
    }
    p.method = toss_payment->method;
    p.approved_at = toss_payment->approved_at;
  }

  if (req.dry_run) {
    r.outcome = "would_inject";
    r.message = fmt::format(
        "dry run: would record {} as a manual DONE payment{} with an ACTIVE "
        "enrollment of {} in {}",
        req.payment_key, req.force ? " (forced, Toss not checked)" : "", req.user_id,
        req.course_id);
    r.message_ko = fmt::format(
        "시험 실행: {}를 수동 DONE 결제{}로 기록하고 {}의 {} 수강 등록을 ACTIVE 로 만듭니다",
        req.payment_key, req.force ? " (--force, 토스 확인 안 함)" : "", req.user_id,
        req.course_id);
    co_return r;
  }
  const EpochMs now = ctx.clock.now_ms();
  AuditEntry audit{req.actor, req.force ? "payment.inject.force" : "payment.inject",
                   req.payment_key, req.reason, r.details.dump()};
  auto outcome =
      co_await run_blocking(ctx.pool, [&] { return ctx.store.inject_payment(p, now, audit); });
  if (!outcome) co_return store_failed(std::move(r), outcome.error());
  switch (*outcome) {
    case InjectOutcome::kInjected:
      break;
    case InjectOutcome::kKeyTaken:
      co_return refuse(std::move(r), ErrorCode::kIdempotencyConflict,
                       "paymentKey recorded meanwhile: " + req.payment_key);
    case InjectOutcome::kOrderTaken:
      co_return refuse(std::move(r), ErrorCode::kIdempotencyConflict,
                       "order id recorded meanwhile: " + req.order_id);
    case InjectOutcome::kAttemptOpen:
      co_return refuse(std::move(r), ErrorCode::kIdempotencyConflict,
                       "a confirm attempt opened meanwhile: run `payedge ops reconcile`");
    case InjectOutcome::kAlreadyEnrolled:
      co_return refuse(std::move(r), ErrorCode::kAlreadyEnrolled,
                       req.user_id + " was enrolled in " + req.course_id + " meanwhile");
  }
  r.outcome = "injected";
  r.message = fmt::format(
      "recorded {} (order {}, {} KRW) as a manual payment{}; {} is enrolled "
      "in {}",
      req.payment_key, req.order_id, req.amount,
      req.force ? " WITHOUT a Toss check (--force)" : " (DONE at Toss)", req.user_id,
      req.course_id);
  r.message_ko = fmt::format("{} (주문 {}, {}원)를 수동 결제{}로 기록; {}는 {}에 수강 등록됨",
                             req.payment_key, req.order_id, req.amount,
                             req.force ? " (--force: 토스 확인 없이)" : " (토스에서 DONE)",
                             req.user_id, req.course_id);
  co_return r;
}

namespace {

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

Status check_reason(std::string_view reason) {
  if (blank(reason)) return fail(ErrorCode::kInvalidRequest, "--reason must not be blank");
  if (reason.size() > kMaxReasonBytes) {
    return fail(ErrorCode::kInvalidRequest,
                fmt::format("--reason is longer than {} bytes", kMaxReasonBytes));
  }
  if (has_control_chars(reason)) {
    return fail(ErrorCode::kInvalidRequest, "--reason must not hold control characters");
  }
  return {};
}

Status check_actor(std::string_view actor) {
  if (blank(actor)) return fail(ErrorCode::kInvalidRequest, "--actor must not be blank");
  if (actor.size() > kMaxActorBytes || has_control_chars(actor)) {
    return fail(
        ErrorCode::kInvalidRequest,
        fmt::format("--actor must be at most {} bytes without control characters", kMaxActorBytes));
  }
  return {};
}

Status check_flag_value(std::string_view name, std::string_view value) {
  if (name == "payments_enabled") {
    if (value != "on" && value != "off") {
      return fail(ErrorCode::kInvalidRequest, "payments_enabled takes on|off");
    }
    return {};
  }
  if (name == "payment_banner") {
    if (value.size() > kMaxBannerBytes || has_control_chars(value)) {
      return fail(ErrorCode::kInvalidRequest,
                  fmt::format("payment_banner must be at most {} bytes without control characters",
                              kMaxBannerBytes));
    }
    return {};
  }
  return fail(ErrorCode::kInvalidRequest,
              fmt::format("unknown flag \"{}\" (known: payments_enabled, payment_banner)", name));
}

}  // namespace payedge
