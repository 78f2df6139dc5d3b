#include "sim/simulator.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "core/codec.h"
#include "net/client.h"
#include "toss/toss_client.h"
#include "toss/toss_errors.h"
#include "webhook/signature.h"

namespace payedge {
namespace {

using nlohmann::json;

constexpr EpochMs kSessionTtlMs =
    10 * 60 * 1000;  // Toss expires an unconfirmed payment after 10 min
constexpr int kKst = 9 * 60;

HttpResponse toss_error(int status, std::string_view code, std::string_view message) {
  return json_response(status, json{{"code", code}, {"message", message}}.dump());
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

int toss_status_for(std::string_view code) { return toss_http_status_for(code); }

std::string Simulator::random_digits(int n) {
  std::string out;
  std::uniform_int_distribution<int> digit(0, 9);
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>('0' + digit(rng_)));
  return out;
}

std::string Simulator::idempotency_scope(const HttpRequest& req, std::string_view key) {
  const std::string target(req.msg.target());
  return std::string(req.msg.method_string()) + " " + target.substr(0, target.find('?')) + " " +
         std::string(key);
}

std::optional<json> Simulator::payment_object(const std::string& payment_key) const {
  auto it = payments_.find(payment_key);
  if (it == payments_.end()) return std::nullopt;
  return it->second.object;
}

std::optional<json> Simulator::mark_deposited(const std::string& payment_key) {
  auto it = payments_.find(payment_key);
  if (it == payments_.end() || it->second.object["status"] != "WAITING_FOR_DEPOSIT")
    return std::nullopt;
  json& o = it->second.object;
  o["status"] = "DONE";
  o["approvedAt"] = format_with_offset(clock_.now_ms(), kKst);
  o["lastTransactionKey"] = random_hex(16);
  if (o["virtualAccount"].is_object()) o["virtualAccount"]["settlementStatus"] = "COMPLETED";
  return o;
}

std::optional<json> Simulator::mark_expired(const std::string& payment_key) {
  auto it = payments_.find(payment_key);
  if (it == payments_.end() || it->second.object["status"] != "WAITING_FOR_DEPOSIT")
    return std::nullopt;
  json& o = it->second.object;
  o["status"] = "EXPIRED";
  if (o["virtualAccount"].is_object()) o["virtualAccount"]["expired"] = true;
  return o;
}

std::optional<json> Simulator::mark_account_expired(const std::string& payment_key) {
  auto it = payments_.find(payment_key);
  if (it == payments_.end() || it->second.object["status"] != "WAITING_FOR_DEPOSIT" ||
      !it->second.object["virtualAccount"].is_object())
    return std::nullopt;
  json& va = it->second.object["virtualAccount"];
  va["expired"] = true;
  va["dueDate"] = format_with_offset(clock_.now_ms() - 60'000, kKst);
  return it->second.object;
}

json SimFaults::to_json() const {
  return {{"error_rate", error_rate},
          {"get_error_rate", get_error_rate},
          {"error_status", error_status},
          {"error_code", error_code.empty() ? json(nullptr) : json(error_code)},
          {"latency_ms", {latency_min_ms, latency_max_ms}},
          {"timeout_rate", timeout_rate},
          {"approve_then_fail_rate", approve_then_fail_rate},
          {"cancel_error_status", cancel_error_status},
          {"get_latency_ms", get_latency_ms},
          {"get_mistyped_keys", get_mistyped_keys}};
}

Simulator::Simulator(SimOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

void Simulator::count_fault(const char* kind) {
  ++faults_injected_;
  ++faults_by_kind_[kind];
}

bool Simulator::roll(double rate) {
  if (rate <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
}

awaitable<void> Simulator::pause_ms(int ms) {
  if (ms <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
}

Simulator::SimPayment& Simulator::new_session(const std::string& payment_key,
                                              const std::string& order_id, Krw amount,
                                              bool virtual_account) {
  const EpochMs now = clock_.now_ms();
  SimPayment p;
  p.created_at = now;
  p.virtual_account = virtual_account;
  p.object = {{"mId", "tosspayments"},
              {"version", "2022-11-16"},
              {"paymentKey", payment_key},
              {"orderId", order_id},
              {"orderName", "강의 결제"},
              {"status", "IN_PROGRESS"},
              {"requestedAt", format_with_offset(now, kKst)},
              {"approvedAt", nullptr},
              {"type", "NORMAL"},
              {"method", virtual_account ? "가상계좌" : "카드"},
              {"currency", "KRW"},
              {"country", "KR"},
              {"totalAmount", amount},
              {"balanceAmount", amount},
              {"suppliedAmount", amount - amount / 11},
              {"vat", amount / 11},
              {"taxFreeAmount", 0},
              {"isPartialCancelable", true},
              {"cancels", nullptr},
              {"card", nullptr},
              {"virtualAccount", nullptr},
              {"easyPay", nullptr},
              {"transfer", nullptr},
              {"mobilePhone", nullptr},
              {"giftCertificate", nullptr},
              {"cashReceipt", nullptr},
              {"discount", nullptr},
              {"secret", nullptr},
              {"lastTransactionKey", nullptr},
              {"taxExemptionAmount", 0},
              {"useEscrow", false},
              {"cultureExpense", false},
              {"metadata", nullptr},
              {"receipt", nullptr},
              {"checkout",
               {{"url", "https://api.tosspayments.com/v1/payments/" + payment_key + "/checkout"}}},
              {"failure", nullptr}};
  orders_[order_id] = payment_key;
  return payments_[payment_key] = std::move(p);
}

void Simulator::refresh_expiry(SimPayment& p) {
  if (!p.confirmed && p.object["status"] == "IN_PROGRESS" &&
      clock_.now_ms() - p.created_at >= kSessionTtlMs) {
    p.object["status"] = "EXPIRED";
  }
}

awaitable<HttpAnswer> Simulator::handle(HttpRequest& req) {
  const std::string target(req.msg.target());
  const std::string path = target.substr(0, target.find('?'));
  const auto method = req.msg.method();

  if (path.starts_with("/__sim/")) {
    json body =
        req.msg.body().empty() ? json::object() : json::parse(req.msg.body(), nullptr, false);
    if (body.is_discarded()) co_return toss_error(400, "INVALID_REQUEST", "body is not JSON");
    if (path == "/__sim/sessions" && method == http::verb::post) co_return create_session(body);
    if (path == "/__sim/faults" && method == http::verb::post) co_return set_faults(body);
    if (path == "/__sim/faults" && method == http::verb::get)
      co_return json_response(200, faults_.to_json().dump());
    if (path == "/__sim/stats" && method == http::verb::get) co_return stats();
    if (path == "/__sim/webhooks" && method == http::verb::post)
      co_return co_await deliver_webhook(body);
    if (path == "/__sim/deposit" && method == http::verb::post) co_return co_await deposit(body);
    if (path == "/__sim/expire" && method == http::verb::post) co_return co_await expire(body);
    if (path == "/__sim/slack" && method == http::verb::post) {
      co_return receive("slack", req.msg.body());
    }
    if (path == "/__sim/receivers" && method == http::verb::post) {
      receivers_fail_next_ = body.value("fail_next", 0);
      receivers_fail_status_ = body.value("status", 500);
      co_return json_response(200, R"({"ok":true})");
    }
    if (path == "/__sim/received" && method == http::verb::get) co_return received();
    if (path == "/__sim/reset" && method == http::verb::post) {
      received_.clear();
      receivers_fail_next_ = receivers_rejected_ = 0;
      payments_.clear(), orders_.clear(), idempotency_.clear(), confirms_by_key_.clear(),
          approvals_by_key_.clear();
      confirm_calls_ = faults_injected_ = approvals_ = duplicate_confirms_ = 0;
      get_calls_ = gets_answered_ = 0;
      faults_by_kind_.clear();
      faults_ = {};
      co_return json_response(200, R"({"ok":true})");
    }
    co_return toss_error(404, "NOT_FOUND", "no such simulator endpoint");
  }
  if (path == "/healthz" || path == "/readyz") co_return json_response(200, R"({"ok":true})");
  if (path == "/auth/v1/.well-known/jwks.json" && method == http::verb::get) co_return jwks();
  // Alertmanager's v2 API, so that alert delivery is tested against something that answers.
  if (path == "/api/v2/alerts" && method == http::verb::post) {
    co_return receive("alertmanager", req.msg.body());
  }

  // Everything under /v1 is the Toss API: Basic base64(secretKey + ":").
  if (req.header("Authorization") != "Basic " + base64_encode(options_.secret_key + ":")) {
    co_return toss_error(401, "UNAUTHORIZED_KEY",
                         "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.");
  }
  if (path == "/v1/payments/confirm" && method == http::verb::post) co_return co_await confirm(req);
  if (path == "/v1/transactions" && method == http::verb::get) co_return list_transactions(req);

  constexpr std::string_view kPayments = "/v1/payments/";
  constexpr std::string_view kOrders = "/v1/payments/orders/";
  if (path.starts_with(kOrders) && method == http::verb::get) {
    co_await pause_ms(faults_.latency_max_ms > 0
                          ? std::uniform_int_distribution<int>(faults_.latency_min_ms,
                                                               faults_.latency_max_ms)(rng_)
                          : 0);
    auto it = orders_.find(url_decode(path.substr(kOrders.size())));
    if (it == orders_.end())
      co_return toss_error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
    co_return get_payment(it->second);
  }
  if (path.starts_with(kPayments)) {
    std::string rest = path.substr(kPayments.size());
    if (rest.ends_with("/cancel") && method == http::verb::post) {
      co_return cancel(req, url_decode(rest.substr(0, rest.size() - 7)));
    }
    if (method == http::verb::get && rest.find('/') == std::string::npos) {
      ++get_calls_;
      co_await pause_ms(faults_.latency_max_ms > 0
                            ? std::uniform_int_distribution<int>(faults_.latency_min_ms,
                                                                 faults_.latency_max_ms)(rng_)
                            : 0);
      co_await pause_ms(faults_.get_latency_ms);
      HttpResponse res = get_payment(url_decode(rest));
      ++gets_answered_;
      co_return res;
    }
  }
  co_return toss_error(404, "NOT_FOUND", "존재하지 않는 API 입니다.");
}

awaitable<HttpAnswer> Simulator::confirm(HttpRequest& req) {
  ++confirm_calls_;
  ++in_flight_;
  struct Done {
    int& n;
    ~Done() { --n; }
  } done{in_flight_};
  json body = json::parse(req.msg.body(), nullptr, false);
  if (!body.is_object() || !body.contains("paymentKey") || !body["paymentKey"].is_string() ||
      !body.contains("orderId") || !body["orderId"].is_string() || !body.contains("amount") ||
      !body["amount"].is_number_integer()) {
    co_return toss_error(400, "INVALID_REQUEST", "잘못된 요청입니다.");
  }
  const std::string key = body["paymentKey"];
  const std::string order_id = body["orderId"];
  const Krw amount = body["amount"];
  ++confirms_by_key_[key];

  // Toss honours the header only for test keys
  // (https://docs.tosspayments.com/reference/error-codes, "테스트 코드"); a live key ignores it.
  if (auto code = req.header("TossPayments-Test-Code"); !code.empty() && test_codes_allowed()) {
    co_return toss_error(toss_status_for(code), code, "테스트 코드로 발생시킨 오류입니다.");
  }
  if (faults_.latency_max_ms > 0) {
    co_await pause_ms(
        std::uniform_int_distribution<int>(faults_.latency_min_ms, faults_.latency_max_ms)(rng_));
  }
  const std::string raw_key(req.header("Idempotency-Key"));
  if (raw_key.size() > 300)
    co_return toss_error(400, "INVALID_IDEMPOTENCY_KEY",
                         "Idempotency-Key는 300자 이하여야 합니다.");
  const std::string idem_key = raw_key.empty() ? std::string() : idempotency_scope(req, raw_key);
  if (!idem_key.empty()) {
    auto it = idempotency_.find(idem_key);
    if (it != idempotency_.end()) {
      if (!it->second.done) {
        co_return toss_error(409, "IDEMPOTENT_REQUEST_PROCESSING",
                             "이전 멱등 요청이 처리 중입니다.");
      }
      co_return json_response(it->second.status, it->second.body);
    }
    idempotency_[idem_key] = IdempotentReply{};
  }
  auto forget_key = [&] {
    if (!idem_key.empty()) idempotency_.erase(idem_key);
  };
  if (roll(faults_.timeout_rate)) {
    count_fault("timeout");
    co_await pause_ms(options_.timeout_hang_ms);
    forget_key();
    co_return std::nullopt;
  }
  if (roll(faults_.error_rate)) {
    count_fault("error");
    const std::string code = !faults_.error_code.empty()   ? faults_.error_code
                             : faults_.error_status >= 500 ? "FAILED_INTERNAL_SYSTEM_PROCESSING"
                                                           : "INVALID_REQUEST";
    const int status =
        faults_.error_code.empty() ? faults_.error_status : toss_http_status_for(code);
    HttpResponse res = toss_error(status, code, "시뮬레이터가 주입한 오류입니다.");
    // Toss keeps the first answer of a key, failures included, and may replay it for 15 days;
    // a rate limit (429), a busy key (409) or a refused credential (merchant class, e.g.
    // UNAUTHORIZED_KEY) is answered before the key is taken.
    if (status == 429 || status == 409 ||
        classify_toss_answer(status, code) == TossAnswerClass::kMerchantMisconfiguration) {
      forget_key();
    } else if (!idem_key.empty()) {
      idempotency_[idem_key] = IdempotentReply{true, status, res.body()};
    }
    co_return res;
  }

  // Process the confirm for real.
  int status = 200;
  std::string reply;
  auto it = payments_.find(key);
  if (it == payments_.end() && options_.auto_sessions && !orders_.contains(order_id)) {
    it = payments_.find(new_session(key, order_id, amount).object["paymentKey"]);
  }
  if (it == payments_.end()) {
    status = 404;
    reply = json{{"code", "NOT_FOUND_PAYMENT_SESSION"},
                 {"message", "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다."}}
                .dump();
  } else {
    SimPayment& p = it->second;
    refresh_expiry(p);
    if (p.confirmed) {
      ++duplicate_confirms_;
      status = 400;
      reply = json{{"code", "ALREADY_PROCESSED_PAYMENT"}, {"message", "이미 처리된 결제 입니다."}}
                  .dump();
    } else if (p.object["status"] == "EXPIRED") {
      status = 404;
      reply = json{{"code", "NOT_FOUND_PAYMENT_SESSION"},
                   {"message", "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다."}}
                  .dump();
    } else if (p.object["orderId"] != order_id || p.object["totalAmount"] != amount) {
      status = 400;
      reply =
          json{{"code", "INVALID_REQUEST"}, {"message", "결제 정보가 일치하지 않습니다."}}.dump();
    } else {
      const EpochMs now = clock_.now_ms();
      p.confirmed = true;
      p.object["lastTransactionKey"] = random_hex(16);
      if (p.virtual_account) {
        // A virtual account is issued; the money comes with the deposit (7 days by default).
        // Test accounts start with 'X' (https://docs.tosspayments.com/resources/faq).
        p.object["status"] = "WAITING_FOR_DEPOSIT";
        p.object["secret"] = "ps_" + random_hex(12);
        p.object["virtualAccount"] = {{"accountType", "일반"},
                                      {"accountNumber", "X" + random_digits(13)},
                                      {"bankCode", "88"},
                                      {"customerName", "김토스"},
                                      {"dueDate", format_with_offset(now + 7 * 86'400'000LL, kKst)},
                                      {"refundStatus", "NONE"},
                                      {"expired", false},
                                      {"settlementStatus", "INCOMPLETED"},
                                      {"refundReceiveAccount", nullptr}};
        p.object["receipt"] = {{"url", "https://dashboard.tosspayments.com/receipt/sim/" + key}};
        ++approvals_;
        ++approvals_by_key_[key];
        reply = p.object.dump();
      } else {
        p.object["status"] = "DONE";
        p.object["approvedAt"] = format_with_offset(now, kKst);
        p.object["receipt"] = {{"url", "https://dashboard.tosspayments.com/receipt/sim/" + key}};
        p.object["card"] = {{"issuerCode", "71"},
                            {"acquirerCode", "71"},
                            {"number", "43301234****123*"},
                            {"installmentPlanMonths", 0},
                            {"approveNo", random_hex(4)},
                            {"cardType", "신용"},
                            {"ownerType", "개인"},
                            {"acquireStatus", "READY"},
                            {"amount", amount}};
        ++approvals_;
        ++approvals_by_key_[key];
        reply = p.object.dump();
      }
    }
  }
  if (!idem_key.empty()) idempotency_[idem_key] = IdempotentReply{true, status, reply};
  if (status == 200 && roll(faults_.approve_then_fail_rate)) {
    count_fault("approve_then_fail");
    if (std::uniform_int_distribution<int>(0, 1)(rng_) == 0) {
      co_return std::nullopt;  // the answer is cut
    }
    co_return toss_error(500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "시뮬레이터: 승인 후 응답 실패");
  }
  co_return json_response(status, reply);
}

HttpResponse Simulator::get_payment(const std::string& payment_key) {
  if (roll(faults_.get_error_rate)) {
    count_fault("get_error");
    return toss_error(500, "FAILED_INTERNAL_SYSTEM_PROCESSING",
                      "시뮬레이터가 주입한 조회 오류입니다.");
  }
  auto it = payments_.find(payment_key);
  if (it == payments_.end())
    return toss_error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
  refresh_expiry(it->second);
  if (faults_.get_mistyped_keys.contains(payment_key)) {
    count_fault("get_mistyped");
    json mistyped = it->second.object;
    mistyped["status"] = 7;
    if (mistyped.contains("totalAmount"))
      mistyped["totalAmount"] = mistyped["totalAmount"].dump();  // 49000 → "49000"
    return json_response(200, mistyped.dump());
  }
  return json_response(200, it->second.object.dump());
}

HttpResponse Simulator::cancel(HttpRequest& req, const std::string& payment_key) {
  const std::string raw_key(req.header("Idempotency-Key"));
  const std::string idem_key = raw_key.empty() ? std::string() : idempotency_scope(req, raw_key);
  if (!idem_key.empty()) {
    if (auto it = idempotency_.find(idem_key); it != idempotency_.end() && it->second.done) {
      return json_response(it->second.status, it->second.body);
    }
  }
  if (faults_.cancel_error_status != 0) {
    count_fault("cancel_error");
    return faults_.cancel_error_status >= 500
               ? toss_error(faults_.cancel_error_status, "FAILED_INTERNAL_SYSTEM_PROCESSING",
                            "시뮬레이터가 주입한 취소 오류입니다.")
               : toss_error(faults_.cancel_error_status, "NOT_CANCELABLE_PAYMENT",
                            "취소 할 수 없는 결제 입니다.");
  }
  json body = json::parse(req.msg.body(), nullptr, false);
  if (!body.is_object() || !body.contains("cancelReason") || !body["cancelReason"].is_string()) {
    return toss_error(400, "INVALID_REQUEST", "cancelReason은 필수입니다.");
  }
  auto it = payments_.find(payment_key);
  if (it == payments_.end())
    return toss_error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
  json& p = it->second.object;
  if (p["status"] == "CANCELED")
    return toss_error(400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.");
  if (p["status"] == "WAITING_FOR_DEPOSIT") {
    // Before the deposit there is no money to refund: the account is closed.
    p["status"] = "CANCELED";
    p["cancels"] = json::array({{{"cancelAmount", p["totalAmount"]},
                                 {"cancelReason", body["cancelReason"]},
                                 {"canceledAt", format_with_offset(clock_.now_ms(), kKst)},
                                 {"transactionKey", random_hex(16)},
                                 {"cancelStatus", "DONE"}}});
    std::string reply = p.dump();
    if (!idem_key.empty()) idempotency_[idem_key] = IdempotentReply{true, 200, reply};
    return json_response(200, reply);
  }
  if (p["status"] != "DONE" && p["status"] != "PARTIAL_CANCELED") {
    return toss_error(403, "NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.");
  }
  const Krw balance = p["balanceAmount"];
  const Krw amount = body.contains("cancelAmount") && body["cancelAmount"].is_number_integer()
                         ? body["cancelAmount"].get<Krw>()
                         : balance;
  if (amount <= 0 || amount > balance)
    return toss_error(400, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.");
  if (!p["cancels"].is_array()) p["cancels"] = json::array();
  p["cancels"].push_back({{"cancelAmount", amount},
                          {"cancelReason", body["cancelReason"]},
                          {"canceledAt", format_with_offset(clock_.now_ms(), kKst)},
                          {"transactionKey", random_hex(12)},
                          {"cancelStatus", "DONE"}});
  p["balanceAmount"] = balance - amount;
  p["status"] = balance - amount == 0 ? "CANCELED" : "PARTIAL_CANCELED";
  std::string reply = p.dump();
  if (!idem_key.empty()) idempotency_[idem_key] = IdempotentReply{true, 200, reply};
  return json_response(200, reply);
}

HttpResponse Simulator::create_session(const json& body) {
  if (!body.contains("orderId") || !body["orderId"].is_string() || !body.contains("amount") ||
      !body["amount"].is_number_integer() || body["amount"].get<Krw>() <= 0) {
    return toss_error(400, "INVALID_REQUEST", "orderId and a positive integer amount are required");
  }
  const std::string order_id = body["orderId"];
  if (orders_.contains(order_id))
    return toss_error(400, "DUPLICATED_ORDER_ID",
                      "이미 승인 및 취소가 진행된 중복된 주문번호 입니다.");
  std::string key;
  if (auto k = body.find("paymentKey"); k != body.end() && k->is_string()) key = *k;
  if (key.empty()) key = "tgen_" + format_utc(clock_.now_ms()).substr(0, 10) + random_hex(10);
  if (payments_.contains(key)) return toss_error(400, "INVALID_REQUEST", "paymentKey exists");
  bool virtual_account = false;
  if (auto m = body.find("method"); m != body.end() && !m->is_null()) {
    if (!m->is_string() || (*m != "CARD" && *m != "VIRTUAL_ACCOUNT"))
      return toss_error(400, "INVALID_REQUEST", "method is CARD or VIRTUAL_ACCOUNT");
    virtual_account = *m == "VIRTUAL_ACCOUNT";
  }
  new_session(key, order_id, body["amount"].get<Krw>(), virtual_account);
  return json_response(200, json{{"paymentKey", key}, {"orderId", order_id}}.dump());
}

HttpResponse Simulator::set_faults(const json& body) {
  if (!body.is_object()) return toss_error(400, "INVALID_REQUEST", "faults must be an object");
  if (body.empty()) {
    faults_ = {};
    return json_response(200, faults_.to_json().dump());
  }
  auto rate = [&](const char* name, double& out) {
    if (!body.contains(name)) return true;
    if (!body[name].is_number() || body[name].get<double>() < 0 || body[name].get<double>() > 1)
      return false;
    out = body[name].get<double>();
    return true;
  };
  SimFaults f = faults_;
  if (!rate("error_rate", f.error_rate) || !rate("timeout_rate", f.timeout_rate) ||
      !rate("get_error_rate", f.get_error_rate) ||
      !rate("approve_then_fail_rate", f.approve_then_fail_rate)) {
    return toss_error(400, "INVALID_REQUEST", "rates are numbers in [0, 1]");
  }
  if (body.contains("error_status")) {
    if (!body["error_status"].is_number_integer())
      return toss_error(400, "INVALID_REQUEST", "error_status must be an integer");
    f.error_status = body["error_status"];
  }
  if (body.contains("error_code")) {
    if (!body["error_code"].is_string() && !body["error_code"].is_null())
      return toss_error(400, "INVALID_REQUEST", "error_code must be a Toss error code string");
    f.error_code = body["error_code"].is_string() ? body["error_code"].get<std::string>() : "";
    if (!f.error_code.empty()) f.error_status = toss_http_status_for(f.error_code);
  }
  if (body.contains("cancel_error_status")) {
    if (!body["cancel_error_status"].is_number_integer())
      return toss_error(400, "INVALID_REQUEST", "cancel_error_status must be an integer");
    f.cancel_error_status = body["cancel_error_status"];
  }
  if (body.contains("get_latency_ms")) {
    if (!body["get_latency_ms"].is_number_integer() || body["get_latency_ms"].get<int>() < 0)
      return toss_error(400, "INVALID_REQUEST", "get_latency_ms must be a non-negative integer");
    f.get_latency_ms = body["get_latency_ms"];
  }
  if (body.contains("get_mistyped_keys")) {
    const auto& keys = body["get_mistyped_keys"];
    if (!keys.is_array())
      return toss_error(400, "INVALID_REQUEST", "get_mistyped_keys is an array of paymentKeys");
    f.get_mistyped_keys.clear();
    for (const auto& k : keys) {
      if (!k.is_string())
        return toss_error(400, "INVALID_REQUEST", "get_mistyped_keys is an array of paymentKeys");
      f.get_mistyped_keys.insert(k.get<std::string>());
    }
  }
  if (body.contains("latency_ms")) {
    const auto& l = body["latency_ms"];
    if (!l.is_array() || l.size() != 2 || !l[0].is_number_integer() || !l[1].is_number_integer() ||
        l[0].get<int>() < 0 || l[1].get<int>() < l[0].get<int>()) {
      return toss_error(400, "INVALID_REQUEST", "latency_ms is [min, max]");
    }
    f.latency_min_ms = l[0];
    f.latency_max_ms = l[1];
  }
  faults_ = f;
  return json_response(200, faults_.to_json().dump());
}

HttpResponse Simulator::stats() const {
  json by_key = json::object();
  for (const auto& [k, n] : confirms_by_key_) by_key[k] = n;
  json approvals = json::object();
  for (const auto& [k, n] : approvals_by_key_) approvals[k] = n;
  return json_response(200, json{{"confirm_calls", confirm_calls_},
                                 {"confirms_by_payment_key", by_key},
                                 {"faults_injected", faults_injected_},
                                 {"faults_by_kind", faults_by_kind_},
                                 {"approvals", approvals_},
                                 {"approvals_by_payment_key", approvals},
                                 {"duplicate_confirms", duplicate_confirms_},
                                 {"in_flight", in_flight_},
                                 {"webhooks_sent", webhooks_sent_},
                                 {"get_calls", get_calls_},
                                 {"gets_answered", gets_answered_},
                                 {"payments", payments_.size()},
                                 {"jwks_fetches", jwks_fetches_},
                                 {"faults", faults_.to_json()}}
                                .dump());
}

// The stand-in receivers of the alert sinks (Slack's incoming webhook, Alertmanager): keep
// every accepted body; `/__sim/receivers {"fail_next":N,"status":429}` makes the next N
// deliveries fail, to exercise the senders' retries.
HttpResponse Simulator::receive(const std::string& kind, const std::string& body) {
  if (receivers_fail_next_ > 0) {
    --receivers_fail_next_;
    ++receivers_rejected_;
    return toss_error(receivers_fail_status_, "SIM_RECEIVER_FAILURE", "injected failure");
  }
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return toss_error(400, "INVALID_REQUEST", "body is not JSON");
  if (kind == "alertmanager") {
    // Alertmanager's rule (https://prometheus.io/docs/alerting/latest/clients/): the label set
    // identifies an alert; annotations and endsAt are the latest received.
    if (!parsed.is_array()) return toss_error(400, "INVALID_REQUEST", "not an array of alerts");
    for (const auto& a : parsed) {
      if (!a.is_object() || !a.contains("labels") || !a["labels"].is_object() ||
          !a["labels"].contains("alertname")) {
        return toss_error(400, "INVALID_REQUEST", "an alert without labels.alertname");
      }
    }
    // Only fields of the right type are kept (no throwing reads of a request body).
    auto field = [](const json& a, const char* key, json fallback) {
      auto it = a.find(key);
      return it != a.end() && it->type() == fallback.type() ? *it : fallback;
    };
    for (const auto& a : parsed) {
      json& held = alertmanager_alerts_[a["labels"].dump()];
      if (held.is_null()) {
        held = {{"labels", a["labels"]}, {"startsAt", field(a, "startsAt", "")}, {"deliveries", 0}};
      }
      held["annotations"] = field(a, "annotations", json::object());
      held["endsAt"] = field(a, "endsAt", "");
      held["deliveries"] = held["deliveries"].get<int>() + 1;
    }
  }
  received_[kind].push_back(std::move(parsed));
  return json_response(200, R"({"ok":true})");
}

// Supabase Auth's JWKS endpoint for the auth tests: the file is read on every request, so a
// test rotates keys by rewriting it.
HttpResponse Simulator::jwks() {
  ++jwks_fetches_;
  std::ifstream in(options_.jwks_file, std::ios::binary);
  if (options_.jwks_file.empty() || !in) {
    return toss_error(404, "NOT_FOUND", "no JWKS (start the simulator with --jwks FILE)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  HttpResponse res = json_response(200, std::move(text).str());
  res.set(http::field::cache_control, "public, max-age=600");
  return res;
}

HttpResponse Simulator::received() const {
  json out = {{"slack", json::array()}, {"alertmanager", json::array()}};
  for (const auto& [kind, bodies] : received_) out[kind] = bodies;
  out["alertmanager_alerts"] = json::array();
  for (const auto& [fingerprint, a] : alertmanager_alerts_) out["alertmanager_alerts"].push_back(a);
  out["rejected"] = receivers_rejected_;
  return json_response(200, out.dump());
}

}  // namespace payedge
