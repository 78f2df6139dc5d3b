// The Toss Payment object (API version 2022-11-16) as payedge reads it: one parser for every
// body Toss returns (confirm, GET payment, cancel, webhooks' `data`). It never throws; a body
// whose fields payedge relies on are missing or of another type is an error value, and fields
// payedge does not read are tolerated.
// Shape: https://docs.tosspayments.com/reference#payment-객체 (a real answer with a virtual
// account, `secret` included: https://techchat.tosspayments.com/m/1444558775297249371).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.h"
#include "core/error.h"

namespace payedge {

// `virtualAccount`: the account the buyer deposits into (가상계좌).
struct TossVirtualAccount {
  std::string account_type;    // 일반 | 고정
  std::string account_number;  // test accounts start with 'X'
  std::string bank_code;       // two-digit bank code, e.g. "88"
  std::string customer_name;
  std::string due_date;  // ISO 8601 with +09:00
  std::string refund_status;
  std::string settlement_status;  // INCOMPLETED | COMPLETED
  bool expired = false;
};

struct TossCancel {
  Krw cancel_amount = 0;
  std::string cancel_reason;
  std::string canceled_at;
  std::string transaction_key;
  std::string cancel_status;
};

struct TossFailure {
  std::string code;
  std::string message;
};

struct TossPayment {
  std::string version;
  std::string payment_key;
  std::string type;  // NORMAL | BILLING | BRANDPAY
  std::string order_id;
  std::string order_name;
  std::string m_id;
  std::string currency;
  std::string method;  // in Korean: 카드, 가상계좌, 간편결제, 계좌이체, 휴대폰, …; may be null
  std::string status;  // READY, IN_PROGRESS, WAITING_FOR_DEPOSIT, DONE, CANCELED, …
  std::string requested_at;
  std::string approved_at;  // "" while not approved
  std::string last_transaction_key;
  Krw total_amount = 0;
  Krw balance_amount = 0;
  Krw supplied_amount = 0;
  Krw vat = 0;
  std::optional<TossVirtualAccount> virtual_account;
  // The virtual account's deposit secret: DEPOSIT_CALLBACK carries the same value. A secret:
  // stored, compared, never logged.
  std::string secret;
  std::string card_number;        // masked by Toss
  std::string easy_pay_provider;  // easyPay.provider, e.g. 토스페이
  std::string receipt_url;
  std::string checkout_url;
  std::vector<TossCancel> cancels;
  std::optional<TossFailure> failure;
};

// The statuses Toss documents; anything else is refused by the parser.
bool is_toss_payment_status(std::string_view status);

// Errors are TOSS_API_ERROR with a detail naming the field (never a value).
Result<TossPayment> parse_toss_payment(const nlohmann::json& body);
Result<TossPayment> parse_toss_payment(std::string_view body);

}  // namespace payedge
