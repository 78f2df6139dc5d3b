#include "confirm/verifier.h"

#include <fmt/format.h>

namespace payedge {

using nlohmann::json;

namespace {
constexpr int kMaxRows = 1'000'000;
constexpr EpochMs kEndOfTime = 253402300799000;  // 9999-12-31
}  // namespace

json VerifyReport::to_json() const {
  json v = json::array();
  for (const auto& x : violations)
    v.push_back({{"kind", x.kind}, {"payment_key", x.payment_key}, {"detail", x.detail}});
  json a = json::array();
  for (const auto& x : allowed)
    a.push_back({{"kind", x.kind}, {"payment_key", x.payment_key}, {"detail", x.detail}});
  return {{"checked", checked}, {"violations", v}, {"allowed", a}};
}

awaitable<VerifyReport> verify_against_toss(asio::thread_pool& pool, Store& store,
                                            TossClient& toss) {
  VerifyReport report;
  auto fail_store = [&](const Error& e) {
    report.violations.push_back({"store_unreadable", "", e.detail});
    return report;
  };
  auto local = co_await run_blocking(pool, [&] { return store.local_violations(); });
  if (!local) co_return fail_store(local.error());
  report.violations = std::move(*local);

  // Every payment row must be a payment Toss has, for the same order and amount.
  auto payments = co_await run_blocking(pool, [&] { return store.list_payments(kMaxRows); });
  if (!payments) co_return fail_store(payments.error());
  for (const Payment& p : *payments) {
    ++report.checked;
    if (p.source == "manual") {
      // The one exception of SPEC section 2: injected with --force, Toss has no payment.
      auto forced =
          co_await run_blocking(pool, [&] { return store.forced_injection(p.provider_tx_id); });
      if (!forced) co_return fail_store(forced.error());
      if (*forced) {
        report.allowed.push_back({"manual_forced", p.provider_tx_id,
                                  "injected with --force: not checked at Toss (audit_log)"});
        continue;
      }
    }
    auto reply = co_await toss.get_payment(p.provider_tx_id);
    if (reply.http_status == 404) {
      report.violations.push_back(
          {"payment_unknown_at_toss", p.provider_tx_id, "Toss has no such payment"});
      continue;
    }
    auto toss_payment = reply.payment();
    if (!toss_payment) {
      report.violations.push_back(
          {"toss_unreachable", p.provider_tx_id,
           reply.http_status == 200
               ? "GET payment answered an unreadable body: " + toss_payment.error().detail
               : fmt::format("GET payment answered {} {}", reply.http_status, reply.message())});
      continue;
    }
    const std::string& status = toss_payment->status;
    if (toss_payment->order_id != p.order_id || toss_payment->total_amount != p.amount) {
      report.violations.push_back(
          {"payment_mismatch_at_toss", p.provider_tx_id,
           fmt::format("ours {} / {} KRW, Toss {} / {} KRW", p.order_id, p.amount,
                       toss_payment->order_id, toss_payment->total_amount)});
    }
    // Closed by us as EXPIRED because Toss called the account expired past its due date while
    // its status still says WAITING_FOR_DEPOSIT (confirm/deposits): the two agree.
    const bool expired_account = p.status == "EXPIRED" && status == "WAITING_FOR_DEPOSIT" &&
                                 toss_payment->virtual_account &&
                                 toss_payment->virtual_account->expired;
    if (expired_account) {
      // nothing to report
    } else if (status != p.status && p.status == "WAITING_FOR_DEPOSIT") {
      // A virtual account whose DEPOSIT_CALLBACK or expiry event we have not applied (yet).
      report.violations.push_back(
          {"deposit_status_drift", p.provider_tx_id,
           fmt::format("ours WAITING_FOR_DEPOSIT (enrollment PENDING), Toss {}{}; ops reconcile "
                       "applies it",
                       status, status == "DONE" ? " (deposited)" : "")});
    } else if (status != p.status) {
      report.violations.push_back({"payment_status_drift", p.provider_tx_id,
                                   status == "PARTIAL_CANCELED"
                                       ? fmt::format("ours {}, Toss {} ({} KRW left)", p.status,
                                                     status, toss_payment->balance_amount)
                                       : fmt::format("ours {}, Toss {}", p.status, status)});
    } else if (p.status == "DONE" || p.status == "PARTIAL_CANCELED") {
      // The same status, but what is left after partial refunds may still differ: ours (the
      // amount until a refund is recorded) against Toss's balanceAmount
      // (https://docs.tosspayments.com/reference#payment-객체).
      const Krw ours = p.balance_amount.value_or(p.amount);
      if (ours != toss_payment->balance_amount) {
        report.violations.push_back(
            {"payment_balance_drift", p.provider_tx_id,
             fmt::format("ours {} {} KRW left, Toss {} {} KRW left", p.status, ours, status,
                         toss_payment->balance_amount)});
      }
    }
  }

  // Every attempt Toss approved must have become a payment (after the reconciler ran).
  for (AttemptState state : {AttemptState::kInProgress, AttemptState::kFailed}) {
    auto attempts = co_await run_blocking(
        pool, [&] { return store.list_attempts(state, kEndOfTime, kMaxRows); });
    if (!attempts) co_return fail_store(attempts.error());
    for (const ConfirmAttempt& a : *attempts) {
      ++report.checked;
      auto reply = co_await toss.get_payment(a.payment_key);
      if (state == AttemptState::kFailed) {
        // Repaired by `ops payment inject` (runbook 5): the payment is recorded after all.
        auto recorded =
            co_await run_blocking(pool, [&] { return store.find_payment(a.payment_key); });
        if (!recorded) co_return fail_store(recorded.error());
        if (*recorded) continue;
      }
      if (auto fetched = reply.payment(); fetched && fetched->status == "DONE") {
        report.violations.push_back(
            {state == AttemptState::kInProgress ? "unrecorded_payment" : "failed_but_paid",
             a.payment_key, fmt::format("Toss has it DONE; our attempt is {}", to_string(state))});
      }
    }
  }
  co_return report;
}

}  // namespace payedge
