// A table of malformed requests across both public endpoints: each gets its exact error
// code and leaves nothing stored.
#include <gtest/gtest.h>

#include "core/codec.h"
#include "core/time.h"
#include "harness.h"
#include "webhook/signature.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

struct BadRequest {
  std::string name;
  std::string method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;
  int status;
  std::string code;
};

std::string unsigned_token(const json& header, const json& claims, const std::string& secret) {
  const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  return input + "." + base64url_encode(hmac_sha256(secret, input));
}

TEST(BadInput, EveryMalformedRequestGetsItsCodeAndStoresNothing) {
  Stack stack;
  const std::string confirm = "/functions/v1/confirm-payment";
  const std::string webhook = "/functions/v1/toss-webhook";
  const std::map<std::string, std::string> auth = {
      {"Authorization", "Bearer " + token_for("user-bad")}};
  const long long now_s = SystemClock::instance().now_ms() / 1000;
  const json valid = {{"paymentKey", "bad-input-key-1"},
                      {"orderId", "order-bad-0001"},
                      {"amount", 49000},
                      {"courseId", "course-sql"},
                      {"couponCode", nullptr}};
  auto with = [&](const std::string& field, json value) {
    json b = valid;
    b[field] = std::move(value);
    return b.dump();
  };
  auto without = [&](const std::string& field) {
    json b = valid;
    b.erase(field);
    return b.dump();
  };
  const std::string now_time = format_with_offset(SystemClock::instance().now_ms(), 540);
  auto signed_headers = [&](const std::string& body, const std::string& time,
                            const std::string& secret) {
    return std::map<std::string, std::string>{
        {"tosspayments-webhook-signature", sign_webhook(body, time, secret)},
        {"tosspayments-webhook-transmission-time", time}};
  };
  const std::string event = R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"paymentKey":"x"}})";

  std::vector<BadRequest> cases = {
      {"no token", "POST", confirm, valid.dump(), {}, 401, "E_UNAUTHORIZED"},
      {"empty bearer",
       "POST",
       confirm,
       valid.dump(),
       {{"Authorization", "Bearer "}},
       401,
       "E_UNAUTHORIZED"},
      {"basic auth",
       "POST",
       confirm,
       valid.dump(),
       {{"Authorization", "Basic dXNlcjpwYXNz"}},
       401,
       "E_UNAUTHORIZED"},
      {"garbage token",
       "POST",
       confirm,
       valid.dump(),
       {{"Authorization", "Bearer a.b.c"}},
       401,
       "E_UNAUTHORIZED"},
      {"alg none",
       "POST",
       confirm,
       valid.dump(),
       {{"Authorization", "Bearer " + base64url_encode(R"({"alg":"none"})") + "." +
                              base64url_encode(json{{"sub", "u"}, {"exp", now_s + 600}}.dump()) +
                              "."}},
       401,
       "E_UNAUTHORIZED"},
      {"other secret",
       "POST",
       confirm,
       valid.dump(),
       {{"Authorization",
         "Bearer " +
             unsigned_token({{"alg", "HS256"}}, {{"sub", "u"}, {"exp", now_s + 600}}, "nope")}},
       401,
       "E_UNAUTHORIZED"},
      {"no sub",
       "POST",
       confirm,
       valid.dump(),
       {{"Authorization",
         "Bearer " + unsigned_token({{"alg", "HS256"}}, {{"exp", now_s + 600}}, kJwtSecret)}},
       401,
       "E_UNAUTHORIZED"},
      {"not yet valid",
       "POST",
       confirm,
       valid.dump(),
       {{"Authorization",
         "Bearer " + unsigned_token({{"alg", "HS256"}},
                                    {{"sub", "u"}, {"exp", now_s + 600}, {"nbf", now_s + 300}},
                                    kJwtSecret)}},
       401,
       "E_UNAUTHORIZED"},
      {"expired",
       "POST",
       confirm,
       valid.dump(),
       {{"Authorization", "Bearer " + token_for("u", -120)}},
       401,
       "E_UNAUTHORIZED"},
      {"empty body", "POST", confirm, "", auth, 400, "E_INVALID_REQUEST"},
      {"null body", "POST", confirm, "null", auth, 400, "E_INVALID_REQUEST"},
      {"array body", "POST", confirm, "[]", auth, 400, "E_INVALID_REQUEST"},
      {"string body", "POST", confirm, "\"hi\"", auth, 400, "E_INVALID_REQUEST"},
      {"truncated", "POST", confirm, valid.dump().substr(0, 30), auth, 400, "E_INVALID_REQUEST"},
      {"duplicate key", "POST", confirm,
       R"({"paymentKey":"k1234","orderId":"order-bad-0001","amount":1,"amount":49000,"courseId":"course-sql"})",
       auth, 400, "E_INVALID_REQUEST"},
      {"no paymentKey", "POST", confirm, without("paymentKey"), auth, 400, "E_INVALID_REQUEST"},
      {"numeric paymentKey", "POST", confirm, with("paymentKey", 12345), auth, 400,
       "E_INVALID_REQUEST"},
      {"empty paymentKey", "POST", confirm, with("paymentKey", ""), auth, 400, "E_INVALID_REQUEST"},
      {"long paymentKey", "POST", confirm, with("paymentKey", std::string(201, 'k')), auth, 400,
       "E_INVALID_REQUEST"},
      {"short orderId", "POST", confirm, with("orderId", "abc"), auth, 400, "E_INVALID_REQUEST"},
      {"orderId with space", "POST", confirm, with("orderId", "order 0001"), auth, 400,
       "E_INVALID_REQUEST"},
      {"korean orderId", "POST", confirm, with("orderId", "주문번호00001"), auth, 400,
       "E_INVALID_REQUEST"},
      {"long orderId", "POST", confirm, with("orderId", std::string(65, 'o')), auth, 400,
       "E_INVALID_REQUEST"},
      {"no amount", "POST", confirm, without("amount"), auth, 400, "E_INVALID_REQUEST"},
      {"string amount", "POST", confirm, with("amount", "49000"), auth, 400, "E_INVALID_REQUEST"},
      {"zero amount", "POST", confirm, with("amount", 0), auth, 400, "E_INVALID_REQUEST"},
      {"negative amount", "POST", confirm, with("amount", -49000), auth, 400, "E_INVALID_REQUEST"},
      {"fractional amount", "POST", confirm, with("amount", 49000.5), auth, 400,
       "E_INVALID_REQUEST"},
      {"huge amount", "POST", confirm, with("amount", 1e20), auth, 400, "E_INVALID_REQUEST"},
      {"object amount", "POST", confirm, with("amount", json::object()), auth, 400,
       "E_INVALID_REQUEST"},
      {"no courseId", "POST", confirm, without("courseId"), auth, 400, "E_INVALID_REQUEST"},
      {"array courseId", "POST", confirm, with("courseId", json::array()), auth, 400,
       "E_INVALID_REQUEST"},
      {"numeric coupon", "POST", confirm, with("couponCode", 5), auth, 400, "E_INVALID_REQUEST"},
      {"long coupon", "POST", confirm, with("couponCode", std::string(65, 'C')), auth, 400,
       "E_INVALID_REQUEST"},
      {"control character", "POST", confirm, with("courseId", "course\x01sql"), auth, 400,
       "E_INVALID_REQUEST"},
      {"invalid utf-8", "POST", confirm,
       "{\"paymentKey\":\"k\xff\xfe\",\"orderId\":\"order-bad-0001\",\"amount\":1,\"courseId\":"
       "\"c\"}",
       auth, 400, "E_INVALID_REQUEST"},
      {"17 KiB body", "POST", confirm, std::string(17 * 1024, ' ') + valid.dump(), auth, 413,
       "E_PAYLOAD_TOO_LARGE"},
      {"GET confirm", "GET", confirm, "", auth, 400, "E_INVALID_REQUEST"},
      {"unknown course", "POST", confirm, with("courseId", "course-none"), auth, 404,
       "E_COURSE_NOT_FOUND"},
      {"wrong amount", "POST", confirm, with("amount", 1000), auth, 400, "E_AMOUNT_MISMATCH"},
      {"unknown coupon", "POST", confirm, with("couponCode", "FREE100"), auth, 400,
       "E_COUPON_INVALID"},
      {"unsigned webhook",
       "POST",
       webhook,
       event,
       {{"tosspayments-webhook-transmission-time", now_time}},
       401,
       "E_WEBHOOK_INVALID_SIG"},
      {"garbage signature",
       "POST",
       webhook,
       event,
       {{"tosspayments-webhook-signature", "garbage"},
        {"tosspayments-webhook-transmission-time", now_time}},
       401,
       "E_WEBHOOK_INVALID_SIG"},
      {"wrong secret", "POST", webhook, event,
       signed_headers(event, now_time, "wrong-secret-000000000"), 401, "E_WEBHOOK_INVALID_SIG"},
      {"no transmission time",
       "POST",
       webhook,
       event,
       {{"tosspayments-webhook-signature", sign_webhook(event, now_time, kWebhookSecret)}},
       401,
       "E_WEBHOOK_INVALID_SIG"},
      {"garbage time", "POST", webhook, event, signed_headers(event, "yesterday", kWebhookSecret),
       401, "E_WEBHOOK_INVALID_SIG"},
      {"stale webhook", "POST", webhook, event,
       signed_headers(event, format_with_offset(SystemClock::instance().now_ms() - 3'600'000, 540),
                      kWebhookSecret),
       401, "E_WEBHOOK_INVALID_SIG"},
      {"signed non-JSON", "POST", webhook, "not json",
       signed_headers("not json", now_time, kWebhookSecret), 400, "E_INVALID_REQUEST"},
      {"signed array", "POST", webhook, "[1,2]", signed_headers("[1,2]", now_time, kWebhookSecret),
       400, "E_INVALID_REQUEST"},
      {"17 KiB webhook",
       "POST",
       webhook,
       std::string(17 * 1024, 'x'),
       {},
       413,
       "E_PAYLOAD_TOO_LARGE"},
      {"GET webhook", "GET", webhook, "", {}, 400, "E_INVALID_REQUEST"},
      // Unsigned: what Toss's payment webhooks look like, so the body itself is judged.
      {"unsigned non-event", "POST", webhook, R"({"hello":"world"})", {}, 400, "E_INVALID_REQUEST"},
      {"unsigned non-JSON", "POST", webhook, "not json", {}, 400, "E_INVALID_REQUEST"},
      {"paymentKey of the wrong type",
       "POST",
       webhook,
       R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"paymentKey":42}})",
       {},
       400,
       "E_INVALID_REQUEST"},
      {"totalAmount of the wrong type",
       "POST",
       webhook,
       R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"paymentKey":"k","totalAmount":"1"}})",
       {},
       400,
       "E_INVALID_REQUEST"},
      {"201-character paymentKey",
       "POST",
       webhook,
       R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"paymentKey":")" + std::string(201, 'k') +
           R"("}})",
       {},
       400,
       "E_INVALID_REQUEST"},
      {"unsigned payout event",
       "POST",
       webhook,
       R"({"eventType":"payout.changed"})",
       {},
       401,
       "E_WEBHOOK_INVALID_SIG"},
      {"deposit callback for no payment",
       "POST",
       webhook,
       R"({"createdAt":"2026-01-01T00:00:00.000","secret":"guess","status":"DONE",)"
       R"("transactionKey":"t","orderId":"order-nobody-1"})",
       {},
       401,
       "E_WEBHOOK_INVALID_SIG"},
  };
  ASSERT_GE(cases.size(), 40u);
  for (const auto& c : cases) {
    auto r = http_call(stack.api_port(), c.method, c.path, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    json b = r.json();
    ASSERT_TRUE(b.is_object()) << c.name << ": " << r.body;
    EXPECT_EQ(b["error"]["code"], c.code) << c.name << ": " << r.body;
    EXPECT_EQ(read_json_lines(stack.log_path()).back()["error_code"], c.code) << c.name;
  }
  EXPECT_EQ(stack.db().count("payments"), 0);
  EXPECT_EQ(stack.db().count("enrollments"), 0);
  EXPECT_EQ(stack.db().count("confirm_attempts"), 0);
  EXPECT_EQ(stack.db().count("webhook_events"), 0);
  EXPECT_EQ(stack.db().scalar("SELECT SUM(redemptions) FROM coupons"), "0");
  EXPECT_EQ(stack.sim_stats()["confirm_calls"], 0);
}

}  // namespace
}  // namespace payedge::testing
