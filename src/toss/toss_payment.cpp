#include "toss/toss_payment.h"

#include <array>

namespace payedge {
namespace {

using nlohmann::json;

// Field readers: absent or null leaves `out` as it is; another type is an error. Only
// is_*() checks and get<>() of the checked type: nothing here can throw.
class Reader {
 public:
  Reader(const json& object, std::string prefix) : o_(object), prefix_(std::move(prefix)) {}

  const json* find(const char* name) const {
    auto it = o_.find(name);
    if (it == o_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool text(const char* name, std::string& out, bool required = false) {
    const json* v = find(name);
    if (!v) return !required || missing(name);
    if (!v->is_string()) return mistyped(name, "a string");
    out = v->get<std::string>();
    return true;
  }
  bool amount(const char* name, Krw& out, bool required = false) {
    const json* v = find(name);
    if (!v) return !required || missing(name);
    if (!v->is_number_integer()) return mistyped(name, "an integer");
    out = v->get<Krw>();
    return true;
  }
  bool boolean(const char* name, bool& out) {
    const json* v = find(name);
    if (!v) return true;
    if (!v->is_boolean()) return mistyped(name, "a boolean");
    out = v->get<bool>();
    return true;
  }
  // An object member: null/absent → nullptr and ok; another type → error.
  bool object(const char* name, const json*& out) {
    out = find(name);
    if (out && !out->is_object()) {
      out = nullptr;
      return mistyped(name, "an object");
    }
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool missing(const char* name) {
    error_ = "toss payment: " + prefix_ + name + " is missing";
    return false;
  }
  bool mistyped(const char* name, const char* what) {
    error_ = "toss payment: " + prefix_ + name + " is not " + what;
    return false;
  }
  const json& o_;
  std::string prefix_;
  std::string error_;
};

}  // namespace

bool is_toss_payment_status(std::string_view status) {
  static constexpr std::array<std::string_view, 8> kStatuses = {
      "READY",   "IN_PROGRESS", "WAITING_FOR_DEPOSIT", "DONE", "CANCELED", "PARTIAL_CANCELED",
      "ABORTED", "EXPIRED"};
  for (auto s : kStatuses) {
    if (s == status) return true;
  }
  return false;
}

Result<TossPayment> parse_toss_payment(const json& body) {
  if (!body.is_object()) return fail(ErrorCode::kTossApiError, "toss payment: not a JSON object");
  TossPayment p;
  Reader r(body, "");
  auto bad = [&](const Reader& reader) { return fail(ErrorCode::kTossApiError, reader.error()); };
  if (!r.text("paymentKey", p.payment_key, true) || !r.text("orderId", p.order_id, true) ||
      !r.text("status", p.status, true) || !r.amount("totalAmount", p.total_amount, true)) {
    return bad(r);
  }
  if (!is_toss_payment_status(p.status))
    return fail(ErrorCode::kTossApiError, "toss payment: status is not a Toss payment status");
  if (p.payment_key.empty() || p.order_id.empty())
    return fail(ErrorCode::kTossApiError, "toss payment: paymentKey or orderId is empty");
  p.balance_amount = p.total_amount;
  if (!r.text("version", p.version) || !r.text("type", p.type) ||
      !r.text("orderName", p.order_name) || !r.text("mId", p.m_id) ||
      !r.text("currency", p.currency) || !r.text("method", p.method) ||
      !r.text("requestedAt", p.requested_at) || !r.text("approvedAt", p.approved_at) ||
      !r.text("lastTransactionKey", p.last_transaction_key) || !r.text("secret", p.secret) ||
      !r.amount("balanceAmount", p.balance_amount) ||
      !r.amount("suppliedAmount", p.supplied_amount) || !r.amount("vat", p.vat)) {
    return bad(r);
  }

  const json* va = nullptr;
  const json* card = nullptr;
  const json* easy_pay = nullptr;
  const json* receipt = nullptr;
  const json* checkout = nullptr;
  const json* failure = nullptr;
  if (!r.object("virtualAccount", va) || !r.object("card", card) ||
      !r.object("easyPay", easy_pay) || !r.object("receipt", receipt) ||
      !r.object("checkout", checkout) || !r.object("failure", failure)) {
    return bad(r);
  }
  if (va) {
    TossVirtualAccount v;
    Reader vr(*va, "virtualAccount.");
    if (!vr.text("accountType", v.account_type) ||
        !vr.text("accountNumber", v.account_number, true) ||
        !vr.text("bankCode", v.bank_code, true) || !vr.text("customerName", v.customer_name) ||
        !vr.text("dueDate", v.due_date) || !vr.text("refundStatus", v.refund_status) ||
        !vr.text("settlementStatus", v.settlement_status) || !vr.boolean("expired", v.expired)) {
      return bad(vr);
    }
    p.virtual_account = std::move(v);
  }
  if (card) {
    Reader cr(*card, "card.");
    if (!cr.text("number", p.card_number)) return bad(cr);
  }
  if (easy_pay) {
    Reader er(*easy_pay, "easyPay.");
    if (!er.text("provider", p.easy_pay_provider)) return bad(er);
  }
  if (receipt) {
    Reader rr(*receipt, "receipt.");
    if (!rr.text("url", p.receipt_url)) return bad(rr);
  }
  if (checkout) {
    Reader cr(*checkout, "checkout.");
    if (!cr.text("url", p.checkout_url)) return bad(cr);
  }
  if (failure) {
    TossFailure f;
    Reader fr(*failure, "failure.");
    if (!fr.text("code", f.code) || !fr.text("message", f.message)) return bad(fr);
    p.failure = std::move(f);
  }
  if (auto it = body.find("cancels"); it != body.end() && !it->is_null()) {
    if (!it->is_array())
      return fail(ErrorCode::kTossApiError, "toss payment: cancels is not an array");
    for (const json& c : *it) {
      if (!c.is_object())
        return fail(ErrorCode::kTossApiError, "toss payment: cancels[] is not an object");
      TossCancel tc;
      Reader cr(c, "cancels[].");
      if (!cr.amount("cancelAmount", tc.cancel_amount) ||
          !cr.text("cancelReason", tc.cancel_reason) || !cr.text("canceledAt", tc.canceled_at) ||
          !cr.text("transactionKey", tc.transaction_key) ||
          !cr.text("cancelStatus", tc.cancel_status)) {
        return bad(cr);
      }
      p.cancels.push_back(std::move(tc));
    }
  }
  return p;
}

Result<TossPayment> parse_toss_payment(std::string_view body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return fail(ErrorCode::kTossApiError, "toss payment: not JSON");
  return parse_toss_payment(parsed);
}

}  // namespace payedge
