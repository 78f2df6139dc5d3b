// parse_toss_payment over Payment objects shaped as Toss returns them (a card payment, a
// virtual account waiting for its deposit, a partial cancel, an expired session) and over
// bodies with mistyped fields, which must be error values, never exceptions.
#include "toss/toss_payment.h"

#include <gtest/gtest.h>

namespace payedge {
namespace {

using nlohmann::json;

// A card payment as the confirm API answers it (docs.tosspayments.com/reference, Payment 객체).
const char* kCardDone = R"({
  "mId": "tosspayments", "lastTransactionKey": "9C62B18EEF0DE3EB7F4422EB6D14BC6E",
  "paymentKey": "5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9POLqKQjmAw4b0e1", "orderId": "a4CWyWY5m89PNh7xJwhk1",
  "orderName": "토스 티셔츠 외 2건", "taxExemptionAmount": 0, "status": "DONE",
  "requestedAt": "2024-02-13T12:17:57+09:00", "approvedAt": "2024-02-13T12:18:14+09:00",
  "useEscrow": false, "cultureExpense": false,
  "card": {"issuerCode": "71", "acquirerCode": "71", "number": "12345678****000*",
           "installmentPlanMonths": 0, "isInterestFree": false, "interestPayer": null,
           "approveNo": "00000000", "useCardPoint": false, "cardType": "신용", "ownerType": "개인",
           "acquireStatus": "READY", "amount": 1000},
  "virtualAccount": null, "transfer": null, "mobilePhone": null, "giftCertificate": null,
  "cashReceipt": null, "cashReceipts": null, "discount": null, "cancels": null, "secret": null,
  "type": "NORMAL", "easyPay": {"provider": "토스페이", "amount": 0, "discountAmount": 0},
  "country": "KR", "failure": null, "isPartialCancelable": true,
  "receipt": {"url": "https://dashboard.tosspayments.com/receipt/redirection?transactionId=x"},
  "checkout": {"url": "https://api.tosspayments.com/v1/payments/5EnN/checkout"},
  "currency": "KRW", "totalAmount": 1000, "balanceAmount": 1000, "suppliedAmount": 909,
  "vat": 91, "taxFreeAmount": 0, "method": "카드", "version": "2022-11-16", "metadata": null
})";

// A virtual account issued at confirm (the shape of a real answer on techchat.tosspayments.com).
const char* kVirtualAccountWaiting = R"({
  "mId": "tosspayments", "lastTransactionKey": "3CCA83C4814FC15B67058F74D42F980B",
  "paymentKey": "tviva20251130141719u7Ie0", "orderId": "order-va-1", "orderName": "강의",
  "status": "WAITING_FOR_DEPOSIT", "requestedAt": "2025-11-30T14:17:19+09:00", "approvedAt": null,
  "card": null,
  "virtualAccount": {"accountNumber": "X7901963967951", "accountType": "일반", "bankCode": "11",
                     "customerName": "김토스", "dueDate": "2025-12-07T14:17:19+09:00",
                     "expired": false, "settlementStatus": "INCOMPLETED", "refundStatus": "NONE",
                     "refundReceiveAccount": null, "depositorName": null},
  "cancels": null, "secret": "ps_eqRGgYO1r57E4Z541ZMW3QnN2Eya", "type": "NORMAL", "easyPay": null,
  "country": "KR", "failure": null, "receipt": {"url": "https://dashboard.tosspayments.com/r"},
  "checkout": {"url": "https://api.tosspayments.com/v1/payments/tviva/checkout"},
  "currency": "KRW", "totalAmount": 30000, "balanceAmount": 30000, "suppliedAmount": 27273,
  "vat": 2727, "taxFreeAmount": 0, "method": "가상계좌", "version": "2022-11-16"
})";

TEST(TossPayment, ReadsACardPayment) {
  auto p = parse_toss_payment(std::string_view(kCardDone));
  ASSERT_TRUE(p) << p.error().detail;
  EXPECT_EQ(p->payment_key, "5EnNZRJGvaBX7zk2yd8ydw26XvwXkLrx9POLqKQjmAw4b0e1");
  EXPECT_EQ(p->order_id, "a4CWyWY5m89PNh7xJwhk1");
  EXPECT_EQ(p->status, "DONE");
  EXPECT_EQ(p->method, "카드");
  EXPECT_EQ(p->total_amount, 1000);
  EXPECT_EQ(p->balance_amount, 1000);
  EXPECT_EQ(p->supplied_amount, 909);
  EXPECT_EQ(p->vat, 91);
  EXPECT_EQ(p->approved_at, "2024-02-13T12:18:14+09:00");
  EXPECT_EQ(p->version, "2022-11-16");
  EXPECT_EQ(p->type, "NORMAL");
  EXPECT_EQ(p->m_id, "tosspayments");
  EXPECT_EQ(p->currency, "KRW");
  EXPECT_EQ(p->card_number, "12345678****000*");
  EXPECT_EQ(p->easy_pay_provider, "토스페이");
  EXPECT_FALSE(p->virtual_account);
  EXPECT_TRUE(p->secret.empty());
  EXPECT_TRUE(p->cancels.empty());
  EXPECT_FALSE(p->failure);
  EXPECT_EQ(p->receipt_url.substr(0, 8), "https://");
}

TEST(TossPayment, ReadsAVirtualAccountWaitingForItsDeposit) {
  auto p = parse_toss_payment(std::string_view(kVirtualAccountWaiting));
  ASSERT_TRUE(p) << p.error().detail;
  EXPECT_EQ(p->status, "WAITING_FOR_DEPOSIT");
  EXPECT_EQ(p->method, "가상계좌");
  EXPECT_TRUE(p->approved_at.empty());
  EXPECT_EQ(p->secret, "ps_eqRGgYO1r57E4Z541ZMW3QnN2Eya");
  ASSERT_TRUE(p->virtual_account);
  EXPECT_EQ(p->virtual_account->account_number, "X7901963967951");
  EXPECT_EQ(p->virtual_account->bank_code, "11");
  EXPECT_EQ(p->virtual_account->customer_name, "김토스");
  EXPECT_EQ(p->virtual_account->due_date, "2025-12-07T14:17:19+09:00");
  EXPECT_EQ(p->virtual_account->account_type, "일반");
  EXPECT_EQ(p->virtual_account->settlement_status, "INCOMPLETED");
  EXPECT_EQ(p->virtual_account->refund_status, "NONE");
  EXPECT_FALSE(p->virtual_account->expired);
}

TEST(TossPayment, ReadsCancelsAndTheBalance) {
  json b = json::parse(kCardDone);
  b["status"] = "PARTIAL_CANCELED";
  b["balanceAmount"] = 400;
  b["cancels"] = json::array({{{"cancelAmount", 600},
                               {"cancelReason", "고객 요청"},
                               {"canceledAt", "2024-02-14T10:00:00+09:00"},
                               {"transactionKey", "A899"},
                               {"cancelStatus", "DONE"},
                               {"refundableAmount", 400}}});
  auto p = parse_toss_payment(b);
  ASSERT_TRUE(p) << p.error().detail;
  EXPECT_EQ(p->balance_amount, 400);
  ASSERT_EQ(p->cancels.size(), 1u);
  EXPECT_EQ(p->cancels[0].cancel_amount, 600);
  EXPECT_EQ(p->cancels[0].cancel_status, "DONE");
}

TEST(TossPayment, ReadsAnExpiredSessionWithNullMethod) {
  // An unconfirmed payment after 10 minutes: method null, failure set.
  const char* expired = R"({"mId":"m","paymentKey":"k1","orderId":"o1","orderName":"",
    "type":"NORMAL","totalAmount":50000,"balanceAmount":50000,"status":"EXPIRED",
    "failure":{"code":"EXPIRED_PAYMENT","message":"결제가 만료되었습니다."},"approvedAt":null,
    "method":null,"secret":null,"virtualAccount":null,"receipt":null,"cancels":null})";
  auto p = parse_toss_payment(std::string_view(expired));
  ASSERT_TRUE(p) << p.error().detail;
  EXPECT_EQ(p->status, "EXPIRED");
  EXPECT_TRUE(p->method.empty());
  ASSERT_TRUE(p->failure);
  EXPECT_EQ(p->failure->code, "EXPIRED_PAYMENT");
}

TEST(TossPayment, RefusesMistypedFieldsWithoutThrowing) {
  const json base = json::parse(kVirtualAccountWaiting);
  struct Case {
    const char* what;
    json patch;
    const char* field;
  };
  const Case cases[] = {
      {"amount as text", {{"totalAmount", "30000"}}, "totalAmount"},
      {"amount as float", {{"totalAmount", 30000.5}}, "totalAmount"},
      {"status as number", {{"status", 3}}, "status"},
      {"unknown status", {{"status", "PAID"}}, "status"},
      {"orderId as object", {{"orderId", {{"a", 1}}}}, "orderId"},
      {"paymentKey missing", {{"paymentKey", nullptr}}, "paymentKey"},
      {"balance as text", {{"balanceAmount", "1"}}, "balanceAmount"},
      {"method as array", {{"method", json::array({"카드"})}}, "method"},
      {"approvedAt as number", {{"approvedAt", 1}}, "approvedAt"},
      {"secret as number", {{"secret", 12}}, "secret"},
      {"virtualAccount as text", {{"virtualAccount", "X123"}}, "virtualAccount"},
      {"cancels as object", {{"cancels", {{"cancelAmount", 1}}}}, "cancels"},
  };
  for (const Case& c : cases) {
    json b = base;
    b.merge_patch(c.patch);
    if (c.patch.begin().value().is_null()) b.erase(c.patch.begin().key());
    auto p = parse_toss_payment(b);
    ASSERT_FALSE(p) << c.what;
    EXPECT_EQ(p.error().code, ErrorCode::kTossApiError) << c.what;
    EXPECT_NE(p.error().detail.find(c.field), std::string::npos)
        << c.what << ": " << p.error().detail;
  }
  json va = base;
  va["virtualAccount"]["expired"] = "false";
  EXPECT_FALSE(parse_toss_payment(va));
  va = base;
  va["virtualAccount"]["accountNumber"] = 7901963967951LL;
  EXPECT_FALSE(parse_toss_payment(va));
  va = base;
  va["cancels"] = json::array({{{"cancelAmount", "600"}}});
  EXPECT_FALSE(parse_toss_payment(va));
}

TEST(TossPayment, RefusesBodiesThatAreNoPayment) {
  EXPECT_FALSE(parse_toss_payment(std::string_view("not json")));
  EXPECT_FALSE(parse_toss_payment(std::string_view("[1,2]")));
  EXPECT_FALSE(parse_toss_payment(std::string_view(R"({"code":"NOT_FOUND_PAYMENT"})")));
  EXPECT_FALSE(parse_toss_payment(json(nullptr)));
  // The secret never appears in an error detail.
  json b = json::parse(kVirtualAccountWaiting);
  b["totalAmount"] = "x";
  auto p = parse_toss_payment(b);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().detail.find("ps_"), std::string::npos);
}

}  // namespace
}  // namespace payedge
