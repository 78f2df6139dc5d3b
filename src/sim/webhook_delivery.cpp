// The simulator's webhook side, shaped as Toss sends each event type
// (https://docs.tosspayments.com/reference/using-api/webhook-events): PAYMENT_STATUS_CHANGED
// `{eventType, createdAt, data: Payment}` unsigned; DEPOSIT_CALLBACK `{createdAt, secret,
// status, transactionKey, orderId}` unsigned, carrying the virtual account's secret;
// payout.changed and seller.changed signed with `tosspayments-webhook-signature`
// (https://techchat.tosspayments.com/m/1308725417263497257). `createdAt` has no zone offset.
#include <fmt/format.h>

#include "core/codec.h"
#include "net/client.h"
#include "sim/sim_common.h"
#include "sim/simulator.h"
#include "toss/toss_client.h"
#include "webhook/signature.h"

namespace payedge {
namespace {

using nlohmann::json;

using sim_detail::kKst;

// Toss's createdAt: local time (KST) without an offset, milliseconds.
std::string created_at(EpochMs now) {
  std::string t = format_with_offset(now, kKst);  // 2026-11-26T10:02:03.123+09:00
  return t.substr(0, t.size() - 6);
}

bool signed_type(std::string_view type) {
  return type == "payout.changed" || type == "seller.changed";
}

}  // namespace

awaitable<json> Simulator::post_webhook(const std::string& url, const std::string& body, bool sign,
                                        const json& request) {
  auto endpoint = parse_toss_url(url);
  if (!endpoint) co_return json{{"status", 0}, {"error", "url must be http://HOST:PORT/path"}};
  const std::string& host = endpoint->host;
  if (!(host.starts_with("127.") || host == "localhost" || host == "[::1]")) {
    co_return json{{"status", 0}, {"error", "the simulator only delivers to loopback addresses"}};
  }
  FetchRequest r;
  r.host = endpoint->host;
  r.port = endpoint->port;
  r.method = http::verb::post;
  r.target = endpoint->prefix.empty() ? "/" : endpoint->prefix;
  r.body = body;
  r.headers = {{"User-Agent", "TossPayments-Webhook/sim"}};
  if (sign) {
    const std::string time =
        request.value("transmissionTime", format_with_offset(clock_.now_ms(), kKst));
    const std::string secret = request.value("secret", options_.webhook_secret);
    // Toss's form: one prefix, two values; the second is the signature with the same key
    // (as when a rotation overlaps both values are live).
    std::string signature = sign_webhook(body, time, secret);
    signature += "," + signature.substr(3);
    r.headers.push_back({"tosspayments-webhook-signature", request.value("signature", signature)});
    r.headers.push_back({"tosspayments-webhook-transmission-time", time});
  }
  r.timeout_ms = 10'000;
  FetchResult res = co_await http_fetch(std::move(r));
  ++webhooks_sent_;
  co_return json{{"status", res.status}, {"body", res.body}, {"error", res.error}, {"sent", body}};
}

awaitable<HttpResponse> Simulator::deliver_webhook(const json& request) {
  // {"url", "paymentKey", "eventType"?, "signed"?, "secret"?, "transmissionTime"?,
  //  "signature"?, "body"?}: payment events go out unsigned unless a signature is asked for.
  if (!request.is_object() || !request.contains("url") || !request["url"].is_string())
    co_return sim_detail::toss_error(400, "INVALID_REQUEST", "url is required");
  const std::string url = request["url"];
  const std::string type = request.contains("eventType") && request["eventType"].is_string()
                               ? request["eventType"].get<std::string>()
                               : std::string("PAYMENT_STATUS_CHANGED");
  std::string body;
  if (request.contains("body") && request["body"].is_string()) {
    body = request["body"];  // raw, for tests of odd bodies
  } else {
    const std::string key = request.value("paymentKey", std::string());
    json data = json{{"paymentKey", key}};
    if (auto it = payments_.find(key); it != payments_.end()) {
      refresh_expiry(it->second);
      data = it->second.object;
    }
    if (request.contains("data") && request["data"].is_object()) data.update(request["data"]);
    if (signed_type(type)) {
      body = json{
          {"eventType", type},
          {"createdAt", format_with_offset(clock_.now_ms(), kKst)},
          {"version", "2022-11-16"},
          {"eventId", random_hex(12)},
          {"entityType", type.substr(0, type.find('.'))},
          {"entityBody",
           data}}.dump();
    } else {
      body = json{{"eventType", type}, {"createdAt", created_at(clock_.now_ms())}, {"data", data}}
                 .dump();
    }
  }
  const bool sign = request.value("signed", signed_type(type)) || request.contains("secret") ||
                    request.contains("signature") || request.contains("transmissionTime");
  json sent = co_await post_webhook(url, body, sign, request);
  if (sent.value("status", 0) == 0 && sent.contains("error") && !sent.contains("sent"))
    co_return sim_detail::toss_error(400, "INVALID_REQUEST", sent["error"].get<std::string>());
  co_return json_response(200, sent.dump());
}

awaitable<HttpResponse> Simulator::deposit(const json& request) {
  // {"paymentKey", "url"?, "secret"?}: the buyer pays into the virtual account.
  const std::string key = request.is_object() ? request.value("paymentKey", std::string()) : "";
  if (!payment_object(key))
    co_return sim_detail::toss_error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
  auto p = mark_deposited(key);
  if (!p)
    co_return sim_detail::toss_error(400, "INVALID_REQUEST",
                                     "the payment is not waiting for a deposit");
  const std::string url = request.value("url", options_.webhook_url);
  json out = {{"paymentKey", key}, {"status", "DONE"}};
  if (!url.empty()) {
    const std::string secret = p->contains("secret") && (*p)["secret"].is_string()
                                   ? (*p)["secret"].get<std::string>()
                                   : "";
    const json body = {{"createdAt", created_at(clock_.now_ms())},
                       {"secret", request.value("secret", secret)},
                       {"status", "DONE"},
                       {"transactionKey", (*p)["lastTransactionKey"]},
                       {"orderId", (*p)["orderId"]}};
    out["delivery"] = co_await post_webhook(url, body.dump(), false, json::object());
  }
  co_return json_response(200, out.dump());
}

awaitable<HttpResponse> Simulator::expire(const json& request) {
  // {"paymentKey", "url"?}: the due date passes without a deposit.
  const std::string key = request.is_object() ? request.value("paymentKey", std::string()) : "";
  if (!payment_object(key))
    co_return sim_detail::toss_error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
  // "flag_only": the due date passes and Toss marks the account expired (virtualAccount.expired)
  // but leaves the status WAITING_FOR_DEPOSIT, and tells nobody: what the reconciler must catch.
  const bool flag_only = request.value("flag_only", false);
  auto p = flag_only ? mark_account_expired(key) : mark_expired(key);
  if (!p)
    co_return sim_detail::toss_error(400, "INVALID_REQUEST",
                                     "the payment is not waiting for a deposit");
  if (flag_only)
    co_return json_response(200, json{{"paymentKey", key}, {"status", (*p)["status"]}}.dump());
  const std::string url = request.value("url", options_.webhook_url);
  json out = {{"paymentKey", key}, {"status", "EXPIRED"}};
  if (!url.empty()) {
    const json body = {{"eventType", "PAYMENT_STATUS_CHANGED"},
                       {"createdAt", created_at(clock_.now_ms())},
                       {"data", *p}};
    out["delivery"] = co_await post_webhook(url, body.dump(), false, json::object());
  }
  co_return json_response(200, out.dump());
}

}  // namespace payedge
