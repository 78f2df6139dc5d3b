#include "confirm/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "obs/mask.h"

namespace payedge {

using nlohmann::json;

namespace {
constexpr int kMaxRows = 1'000'000;
constexpr EpochMs kEndOfTime = 253402300799000;  // 9999-12-31
constexpr int kKst = 9 * 60;
// Transactions per page of Toss's list; Toss allows more per page, fewer keeps one answer small.
constexpr int kTransactionsPage = 1000;
constexpr int kMaxTransactionPages = 10'000;

json findings_json(const std::vector<VerifyFinding>& findings) {
  json a = json::array();
  for (const auto& x : findings)
    a.push_back({{"kind", x.kind}, {"payment_key", x.payment_key}, {"detail", x.detail}});
  return a;
}

// Runs job(0) … job(n-1) with at most `concurrency` of them in flight on this coroutine's
// executor, and returns when all have finished (rethrowing the first failure).
template <class Job>
awaitable<void> for_each_bounded(std::size_t n, int concurrency, Job& job) {
  auto ex = co_await asio::this_coro::executor;
  std::size_t next = 0, running = 0;
  std::exception_ptr failure;
  asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
  const std::size_t workers =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(1, concurrency)), n);
  for (std::size_t w = 0; w < workers; ++w) {
    ++running;
    asio::co_spawn(
        ex,
        [&]() -> awaitable<void> {
          while (next < n) {
            const std::size_t i = next++;
            co_await job(i);
          }
        },
        [&](const std::exception_ptr& e) {
          if (e && !failure) failure = e;
          if (--running == 0) all_done.cancel();
        });
  }
  // The workers start only once this coroutine waits (co_spawn posts them).
  if (running > 0) {
    boost::system::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  if (failure) std::rethrow_exception(failure);
}

// Toss's startDate/endDate: local time in Korea without an offset, as Toss's examples write it
// (`2022-01-01T00:00:00`).
std::string toss_date(EpochMs t) { return format_with_offset(t, kKst).substr(0, 19); }

bool in_window(const Payment& p, const VerifyOptions& o) {
  if (!o.since || !o.until) return true;
  const auto at = parse_rfc3339(p.approved_at);
  if (!at) return true;  // not approved yet (a virtual account waiting): always checked
  return *at >= *o.since && *at < *o.until;
}

}  // namespace

json VerifyReport::to_json() const {
  json j = {{"checked", checked},
            {"violations", findings_json(violations)},
            {"allowed", findings_json(allowed)}};
  if (since && until) {
    j["window"] = {{"since", format_utc(*since)},
                   {"until", format_utc(*until)},
                   {"toss_transactions", toss_transactions}};
  }
  return j;
}

// GET /v1/transactions?startDate&endDate&startingAfter&limit: Toss's transactions (payments
// and cancels, each a Transaction object with transactionKey, paymentKey, orderId, status,
// transactionAt, amount) in the window, oldest first; the next page starts after the last
// transactionKey seen.
// https://docs.tosspayments.com/reference#거래-조회 ,
// https://docs.rs/tosspayments-rs/0.2.0/src/tosspayments/api/list_transactions.rs.html
awaitable<Result<std::vector<json>>> list_toss_transactions(TossClient& toss, EpochMs since,
                                                            EpochMs until) {
  std::vector<json> all;
  std::string after;
  // Toss's dates are whole seconds and endDate is inclusive: the window asked for is [since,
  // until] to the second (a transaction in until's own second may be before `until`).
  const std::string base = fmt::format("/v1/transactions?startDate={}&endDate={}&limit={}",
                                       toss_date(since), toss_date(until), kTransactionsPage);
  for (int page = 0; page < kMaxTransactionPages; ++page) {
    const std::string target =
        after.empty() ? base : base + "&startingAfter=" + url_encode_path(after);
    TossReply reply = co_await toss.call(http::verb::get, target, std::nullopt, {}, 10'000);
    if (reply.http_status != 200 || !reply.body.is_array()) {
      co_return std::unexpected(make_error(
          ErrorCode::kTossApiError,
          !reply.answered()
              ? "GET /v1/transactions: " +
                    (reply.timed_out ? std::string("timeout") : reply.transport_error)
              : fmt::format("GET /v1/transactions answered {} {}", reply.http_status,
                            reply.http_status == 200 ? "a body that is not a list"
                                                     : reply.code() + " " + reply.message())));
    }
    std::string last;
    for (const json& t : reply.body) {
      if (!t.is_object()) continue;
      all.push_back(t);
      if (auto k = t.find("transactionKey"); k != t.end() && k->is_string())
        last = k->get<std::string>();
    }
    if (static_cast<int>(reply.body.size()) < kTransactionsPage || last.empty() || last == after)
      co_return all;
    after = last;
  }
  co_return all;
}

awaitable<VerifyReport> verify_against_toss(asio::thread_pool& pool, Store& store, TossClient& toss,
                                            VerifyOptions options) {
  VerifyReport report;
  report.since = options.since;
  report.until = options.until;
  auto fail_store = [&](const Error& e) {
    report.violations.push_back(
        {"store_unreadable", "", e.detail, "저장소를 읽을 수 없음: " + e.detail});
    return report;
  };
  auto local = co_await run_blocking(pool, [&] { return store.local_violations(); });
  if (!local) co_return fail_store(local.error());
  for (Violation& v : *local)
    report.violations.push_back(
        {std::move(v.kind), std::move(v.payment_key), std::move(v.detail), ""});

  // Every payment row must be a payment Toss has, for the same order and amount. Each one's
  // findings go in its own slot, so the report keeps the store's order.
  auto payments = co_await run_blocking(pool, [&] { return store.list_payments(kMaxRows); });
  if (!payments) co_return fail_store(payments.error());
  std::set<std::string> known_keys;
  std::vector<const Payment*> to_check;
  for (const Payment& p : *payments) {
    known_keys.insert(p.provider_tx_id);
    if (in_window(p, options)) to_check.push_back(&p);
  }
  struct Slot {
    std::vector<VerifyFinding> violations, allowed;
    std::optional<Error> store_error;
  };
  std::vector<Slot> slots(to_check.size());
  auto check_payment = [&](std::size_t i) -> awaitable<void> {
    const Payment& p = *to_check[i];
    Slot& out = slots[i];
    if (p.source == "manual") {
      // The one exception of SPEC section 2: injected with --force, Toss has no payment.
      auto forced =
          co_await run_blocking(pool, [&] { return store.forced_injection(p.provider_tx_id); });
      if (!forced) {
        out.store_error = forced.error();
        co_return;
      }
      if (*forced) {
        out.allowed.push_back({"manual_forced", p.provider_tx_id,
                               "injected with --force: not checked at Toss (audit_log)",
                               "--force 로 기록됨: 토스에서 확인하지 않음 (audit_log)"});
        co_return;
      }
    }
    auto reply = co_await toss.get_payment(p.provider_tx_id);
    if (reply.http_status == 404) {
      out.violations.push_back({"payment_unknown_at_toss", p.provider_tx_id,
                                "Toss has no such payment", "토스에 이 결제가 없음"});
      co_return;
    }
    auto toss_payment = reply.payment();
    if (!toss_payment) {
      const std::string why =
          reply.http_status == 200
              ? "GET payment answered an unreadable body: " + toss_payment.error().detail
              : fmt::format("GET payment answered {} {}", reply.http_status, reply.message());
      out.violations.push_back(
          {"toss_unreachable", p.provider_tx_id, why, "토스에서 결제를 읽지 못함: " + why});
      co_return;
    }
    const std::string& status = toss_payment->status;
    if (toss_payment->order_id != p.order_id || toss_payment->total_amount != p.amount) {
      out.violations.push_back(
          {"payment_mismatch_at_toss", p.provider_tx_id,
           fmt::format("ours {} / {} KRW, Toss {} / {} KRW", p.order_id, p.amount,
                       toss_payment->order_id, toss_payment->total_amount),
           fmt::format("우리 {} / {}원, 토스 {} / {}원", p.order_id, p.amount,
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
      out.violations.push_back(
          {"deposit_status_drift", p.provider_tx_id,
           fmt::format("ours WAITING_FOR_DEPOSIT (enrollment PENDING), Toss {}{}; ops reconcile "
                       "applies it",
                       status, status == "DONE" ? " (deposited)" : ""),
           fmt::format("우리 WAITING_FOR_DEPOSIT (수강 PENDING), 토스 {}{}; ops reconcile 이 "
                       "반영합니다",
                       status, status == "DONE" ? " (입금됨)" : "")});
    } else if (status != p.status) {
      out.violations.push_back(
          {"payment_status_drift", p.provider_tx_id,
           status == "PARTIAL_CANCELED" ? fmt::format("ours {}, Toss {} ({} KRW left)", p.status,
                                                      status, toss_payment->balance_amount)
                                        : fmt::format("ours {}, Toss {}", p.status, status),
           status == "PARTIAL_CANCELED" ? fmt::format("우리 {}, 토스 {} ({}원 남음)", p.status,
                                                      status, toss_payment->balance_amount)
                                        : fmt::format("우리 {}, 토스 {}", p.status, status)});
    } else if (p.status == "DONE" || p.status == "PARTIAL_CANCELED") {
      // The same status, but what is left after partial refunds may still differ: ours (the
      // amount until a refund is recorded) against Toss's balanceAmount
      // (https://docs.tosspayments.com/reference#payment-객체).
      const Krw ours = p.balance_amount.value_or(p.amount);
      if (ours != toss_payment->balance_amount) {
        out.violations.push_back({"payment_balance_drift", p.provider_tx_id,
                                  fmt::format("ours {} {} KRW left, Toss {} {} KRW left", p.status,
                                              ours, status, toss_payment->balance_amount),
                                  fmt::format("우리 {} {}원 남음, 토스 {} {}원 남음", p.status,
                                              ours, status, toss_payment->balance_amount)});
      }
    }
  };
  co_await for_each_bounded(to_check.size(), options.concurrency, check_payment);
  for (Slot& s : slots) {
    if (s.store_error) co_return fail_store(*s.store_error);
    ++report.checked;
    for (auto& v : s.violations) report.violations.push_back(std::move(v));
    for (auto& v : s.allowed) report.allowed.push_back(std::move(v));
  }

  // Every attempt Toss approved must have become a payment (after the reconciler ran).
  std::set<std::string> attempt_keys;
  for (AttemptState state : {AttemptState::kInProgress, AttemptState::kFailed}) {
    auto attempts = co_await run_blocking(
        pool, [&] { return store.list_attempts(state, kEndOfTime, kMaxRows); });
    if (!attempts) co_return fail_store(attempts.error());
    std::vector<Slot> found(attempts->size());
    auto check_attempt = [&](std::size_t i) -> awaitable<void> {
      const ConfirmAttempt& a = (*attempts)[i];
      auto reply = co_await toss.get_payment(a.payment_key);
      if (state == AttemptState::kFailed) {
        // Repaired by `ops payment inject` (runbook 5): the payment is recorded after all.
        auto recorded =
            co_await run_blocking(pool, [&] { return store.find_payment(a.payment_key); });
        if (!recorded) {
          found[i].store_error = recorded.error();
          co_return;
        }
        if (*recorded) co_return;
      }
      if (auto fetched = reply.payment(); fetched && fetched->status == "DONE") {
        found[i].violations.push_back(
            {state == AttemptState::kInProgress ? "unrecorded_payment" : "failed_but_paid",
             a.payment_key, fmt::format("Toss has it DONE; our attempt is {}", to_string(state)),
             fmt::format("토스에서는 DONE; 우리 승인 시도는 {}", to_string(state))});
      }
    };
    co_await for_each_bounded(attempts->size(), options.concurrency, check_attempt);
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (found[i].store_error) co_return fail_store(*found[i].store_error);
      ++report.checked;
      attempt_keys.insert((*attempts)[i].payment_key);
      for (auto& v : found[i].violations) report.violations.push_back(std::move(v));
    }
  }

  // The window at Toss: a payment DONE there that never reached our store (the confirm's
  // answer lost and no attempt left to reconcile, or a payment made around payedge). An open
  // or failed attempt of ours for it is reported above already.
  if (options.since && options.until) {
    auto listed = co_await list_toss_transactions(toss, *options.since, *options.until);
    if (!listed) {
      report.violations.push_back({"toss_unreachable", "", listed.error().detail,
                                   "토스 거래 목록을 읽지 못함: " + listed.error().detail});
      co_return report;
    }
    report.toss_transactions = static_cast<int>(listed->size());
    std::set<std::string> canceled, reported;
    for (const json& t : *listed) {
      if (t.value("status", json()).is_string() && t["status"] == "CANCELED" &&
          t.value("paymentKey", json()).is_string())
        canceled.insert(t["paymentKey"].get<std::string>());
    }
    for (const json& t : *listed) {
      const json key = t.value("paymentKey", json()), status = t.value("status", json());
      if (!key.is_string() || !status.is_string() || status != "DONE") continue;
      const std::string k = key.get<std::string>();
      if (known_keys.contains(k) || attempt_keys.contains(k) || canceled.contains(k) ||
          !reported.insert(k).second)
        continue;
      const json order = t.value("orderId", json()), amount = t.value("amount", json()),
                 at = t.value("transactionAt", json());
      const std::string order_text = order.is_string() ? order.get<std::string>() : "?";
      const std::string amount_text = amount.is_number_integer() ? amount.dump() : "?";
      const std::string at_text = at.is_string() ? at.get<std::string>() : "?";
      report.violations.push_back(
          {"missing_locally", mask_payment_key(k),
           fmt::format("DONE at Toss ({}), order {}, {} KRW; no payment here: check the order, "
                       "then `payedge ops payment inject`",
                       at_text, order_text, amount_text),
           fmt::format("토스에서 DONE ({}), 주문 {}, {}원; 우리 저장소에 없음: 주문을 확인한 뒤 "
                       "`payedge ops payment inject`",
                       at_text, order_text, amount_text)});
    }
  }
  co_return report;
}

}  // namespace payedge
