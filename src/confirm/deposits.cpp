#include "confirm/deposits.h"

#include <nlohmann/json.hpp>

namespace payedge {

std::string_view to_string(DepositChange c) {
  switch (c) {
    case DepositChange::kSettled:
      return "deposit_settled";
    case DepositChange::kClosed:
      return "deposit_closed";
    case DepositChange::kWaiting:
      return "deposit_waiting";
    case DepositChange::kNone:
      return "none";
  }
  return "?";
}

awaitable<Result<DepositChange>> apply_deposit_state(asio::thread_pool& pool, Store& store,
                                                     const Payment& ours, const TossPayment& toss,
                                                     const std::string& actor,
                                                     const std::string& source, EpochMs now) {
  const std::string& key = ours.provider_tx_id;
  if (ours.status != "WAITING_FOR_DEPOSIT") co_return DepositChange::kNone;
  const nlohmann::json details = {{"source", source},
                                  {"status", toss.status},
                                  {"order_id", ours.order_id},
                                  {"amount", ours.amount},
                                  {"due_date", ours.va_due_date}};
  if (toss.status == "DONE") {
    const AuditEntry audit{actor, "payment.deposit", key, "Toss reported the deposit",
                           details.dump()};
    auto changed = co_await run_blocking(
        pool, [&] { return store.settle_deposit(key, toss.approved_at, now, audit); });
    if (!changed) co_return std::unexpected(changed.error());
    co_return *changed ? DepositChange::kSettled : DepositChange::kNone;
  }
  // Past its due date the account takes no more money ("입금 기한을 넘기면 발급된 가상계좌는 더
  // 이상 사용할 수 없습니다", https://docs.tosspayments.com/guides/payment/virtual-account-api);
  // Toss may say so with virtualAccount.expired while the status is still WAITING_FOR_DEPOSIT.
  const bool account_expired =
      toss.status == "WAITING_FOR_DEPOSIT" && toss.virtual_account && toss.virtual_account->expired;
  if (toss.status == "EXPIRED" || toss.status == "CANCELED" || toss.status == "ABORTED" ||
      toss.status == "PARTIAL_CANCELED" || account_expired) {
    // Before the deposit nothing was paid: whatever Toss closed it with, the order is over.
    const std::string status = toss.status == "EXPIRED" || account_expired ? "EXPIRED" : "CANCELED";
    const AuditEntry audit{actor, "payment.deposit_closed", key,
                           "Toss reported " + toss.status +
                               (account_expired ? " with the account expired" : "") +
                               " before the deposit",
                           details.dump()};
    auto changed =
        co_await run_blocking(pool, [&] { return store.close_deposit(key, status, now, audit); });
    if (!changed) co_return std::unexpected(changed.error());
    co_return *changed ? DepositChange::kClosed : DepositChange::kNone;
  }
  if (toss.status == "WAITING_FOR_DEPOSIT") co_return DepositChange::kWaiting;
  co_return DepositChange::kNone;
}

}  // namespace payedge
