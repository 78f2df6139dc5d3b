// SPEC section 4: the confirm-payment body, field by field. Every refusal is E_INVALID_REQUEST.
#include "core/confirm_request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace payedge {
namespace {

using nlohmann::json;

json valid_body() {
  return {{"paymentKey", "tgen_20261126abcdEFGH1234"},
          {"orderId", "order_ABC-123"},
          {"amount", 45000},
          {"courseId", "course-1"},
          {"couponCode", "WELCOME10"}};
}

json with(const char* field, json value) {
  json b = valid_body();
  b[field] = std::move(value);
  return b;
}

json without(const char* field) {
  json b = valid_body();
  b.erase(field);
  return b;
}

Result<ConfirmRequest> parse(const json& body) { return parse_confirm_request(body.dump()); }

// Asserts `r` is E_INVALID_REQUEST whose detail mentions `needle` (when not empty).
testing::AssertionResult Invalid(const Result<ConfirmRequest>& r, std::string_view needle = {}) {
  if (r) return testing::AssertionFailure() << "parsed, expected E_INVALID_REQUEST";
  if (r.error().code != ErrorCode::kInvalidRequest) {
    return testing::AssertionFailure()
           << "code " << r.error().name() << " (" << r.error().detail << ")";
  }
  if (!needle.empty() && r.error().detail.find(needle) == std::string::npos) {
    return testing::AssertionFailure()
           << "detail \"" << r.error().detail << "\" does not mention \"" << needle << "\"";
  }
  return testing::AssertionSuccess();
}

// --- the happy path --------------------------------------------------------------------------

TEST(ConfirmRequest, ValidBodyIsParsed) {
  auto r = parse(valid_body());
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->payment_key, "tgen_20261126abcdEFGH1234");
  EXPECT_EQ(r->order_id, "order_ABC-123");
  EXPECT_EQ(r->amount, 45000);
  EXPECT_EQ(r->course_id, "course-1");
  EXPECT_EQ(r->coupon_code, std::optional<std::string>("WELCOME10"));
}

TEST(ConfirmRequest, RawTextBodyIsParsed) {
  auto r = parse_confirm_request(
      R"({"paymentKey":"pk_1","orderId":"ord-0001","amount":1,"courseId":"c"})");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->payment_key, "pk_1");
  EXPECT_EQ(r->order_id, "ord-0001");
  EXPECT_EQ(r->amount, 1);
  EXPECT_EQ(r->course_id, "c");
  EXPECT_FALSE(r->coupon_code.has_value());
}

TEST(ConfirmRequest, WhitespaceAroundTheBodyIsAccepted) {
  EXPECT_TRUE(parse_confirm_request("  \n\t" + valid_body().dump(2) + "\r\n  "));
}

TEST(ConfirmRequest, UnknownExtraFieldsAreIgnored) {
  json b = valid_body();
  b["extra"] = "x";
  b["nested"] = {{"a", {1, 2, 3}}, {"b", nullptr}};
  b["method"] = json::array({"CARD"});
  auto r = parse(b);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->amount, 45000);
}

TEST(ConfirmRequest, FieldOrderDoesNotMatter) {
  auto r = parse_confirm_request(
      R"({"couponCode":null,"courseId":"c1","amount":7,"orderId":"abcdef","paymentKey":"k"})");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->order_id, "abcdef");
  EXPECT_EQ(r->amount, 7);
}

TEST(ConfirmRequest, NonAsciiPaymentKeyAndCourseIdAreKeptVerbatim) {
  auto r = parse(with("courseId", "강의-1"));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->course_id, "강의-1");
}

// --- string fields: missing, null, empty, wrong type -----------------------------------------

class RequiredStringField : public testing::TestWithParam<const char*> {};

TEST_P(RequiredStringField, MissingIsRefused) {
  EXPECT_TRUE(Invalid(parse(without(GetParam())), GetParam()));
}

TEST_P(RequiredStringField, NullIsRefused) {
  EXPECT_TRUE(Invalid(parse(with(GetParam(), nullptr)), GetParam()));
}

TEST_P(RequiredStringField, EmptyIsRefused) {
  EXPECT_TRUE(Invalid(parse(with(GetParam(), "")), GetParam()));
}

TEST_P(RequiredStringField, NumberIsRefused) {
  EXPECT_TRUE(Invalid(parse(with(GetParam(), 123456)), GetParam()));
  EXPECT_TRUE(Invalid(parse(with(GetParam(), 1.5)), GetParam()));
  EXPECT_TRUE(Invalid(parse(with(GetParam(), -1)), GetParam()));
}

TEST_P(RequiredStringField, BoolIsRefused) {
  EXPECT_TRUE(Invalid(parse(with(GetParam(), true)), GetParam()));
  EXPECT_TRUE(Invalid(parse(with(GetParam(), false)), GetParam()));
}

TEST_P(RequiredStringField, ArrayIsRefused) {
  EXPECT_TRUE(Invalid(parse(with(GetParam(), json::array({"order_ABC-123"}))), GetParam()));
  EXPECT_TRUE(Invalid(parse(with(GetParam(), json::array())), GetParam()));
}

TEST_P(RequiredStringField, ObjectIsRefused) {
  EXPECT_TRUE(Invalid(parse(with(GetParam(), json{{"value", "order_ABC-123"}})), GetParam()));
  EXPECT_TRUE(Invalid(parse(with(GetParam(), json::object())), GetParam()));
}

TEST_P(RequiredStringField, EscapedControlCharacterIsRefused) {
  // Built as JSON so the control characters arrive \u-escaped, the only way JSON admits them.
  for (std::string bad :
       {std::string("abc\x01xyz"), std::string("abcdef\n"), std::string("\tabcdef"),
        std::string("abc\x7f"
                    "def"),
        std::string("abc\0def", 7)}) {
    SCOPED_TRACE(json(bad).dump());
    EXPECT_TRUE(Invalid(parse(with(GetParam(), bad)), GetParam()));
  }
}

TEST_P(RequiredStringField, RawControlCharacterIsRefused) {
  // An unescaped control character makes the body invalid JSON.
  std::string body = valid_body().dump();
  const std::string value = valid_body()[GetParam()].get<std::string>();
  body.replace(body.find(value), value.size(),
               "ab\x01"
               "cdefg");
  EXPECT_TRUE(Invalid(parse_confirm_request(body)));
}

INSTANTIATE_TEST_SUITE_P(Fields, RequiredStringField,
                         testing::Values("paymentKey", "orderId", "courseId"),
                         [](const auto& p) { return std::string(p.param); });

// --- paymentKey length -----------------------------------------------------------------------

TEST(ConfirmRequest, PaymentKeyOf200CharactersIsAccepted) {
  const std::string key(200, 'k');
  auto r = parse(with("paymentKey", key));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->payment_key, key);
}

TEST(ConfirmRequest, PaymentKeyOf201CharactersIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("paymentKey", std::string(201, 'k'))), "paymentKey"));
}

TEST(ConfirmRequest, PaymentKeyOfOneCharacterIsAccepted) {
  EXPECT_TRUE(parse(with("paymentKey", "k")));
}

TEST(ConfirmRequest, HugePaymentKeyIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("paymentKey", std::string(20'000, 'k'))), "paymentKey"));
}

// --- orderId ---------------------------------------------------------------------------------

TEST(ConfirmRequest, OrderIdOf6And64CharactersIsAccepted) {
  for (size_t n : {6u, 64u}) {
    SCOPED_TRACE(n);
    const std::string id(n, 'a');
    auto r = parse(with("orderId", id));
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(r->order_id, id);
  }
}

TEST(ConfirmRequest, OrderIdOf5And65CharactersIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("orderId", std::string(5, 'a'))), "orderId"));
  EXPECT_TRUE(Invalid(parse(with("orderId", std::string(65, 'a'))), "orderId"));
}

TEST(ConfirmRequest, OrderIdWithEveryAllowedCharacterIsAccepted) {
  const std::string id = "ABCXYZ-abcxyz_0123456789";
  auto r = parse(with("orderId", id));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->order_id, id);
}

TEST(ConfirmRequest, OrderIdWithBadCharactersIsRefused) {
  for (const char* id : {"order 123", "order.123", "주문번호123456", "order/123", "order+123",
                         "order=123", "order%20123", "order:123", "order\\123", "order'123",
                         "order\"123", "order<12>", " order123", "order123 ", "order123\u00e9"}) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(Invalid(parse(with("orderId", id)), "orderId"));
  }
}

TEST(ValidOrderId, MatchesThePattern) {
  EXPECT_TRUE(valid_order_id("abcdef"));
  EXPECT_TRUE(valid_order_id("A_B-C9"));
  EXPECT_TRUE(valid_order_id(std::string(64, 'Z')));
  EXPECT_FALSE(valid_order_id(""));
  EXPECT_FALSE(valid_order_id("abcde"));
  EXPECT_FALSE(valid_order_id(std::string(65, 'Z')));
  EXPECT_FALSE(valid_order_id("abc def"));
  EXPECT_FALSE(valid_order_id("abc.def"));
  EXPECT_FALSE(valid_order_id("abc/def"));
  EXPECT_FALSE(valid_order_id("한국어주문번호"));
  EXPECT_FALSE(valid_order_id(std::string_view("abc\0def", 7)));
}

// --- courseId --------------------------------------------------------------------------------

TEST(ConfirmRequest, CourseIdTooLongIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("courseId", std::string(10'000, 'c'))), "courseId"));
}

// --- amount ----------------------------------------------------------------------------------

TEST(ConfirmRequest, AmountOneAndMaxAreAccepted) {
  auto one = parse(with("amount", 1));
  ASSERT_TRUE(one) << one.error().detail;
  EXPECT_EQ(one->amount, 1);
  auto max = parse(with("amount", kMaxAmount));
  ASSERT_TRUE(max) << max.error().detail;
  EXPECT_EQ(max->amount, kMaxAmount);
}

TEST(ConfirmRequest, AmountMissingOrNullIsRefused) {
  EXPECT_TRUE(Invalid(parse(without("amount")), "amount"));
  EXPECT_TRUE(Invalid(parse(with("amount", nullptr)), "amount"));
}

TEST(ConfirmRequest, AmountZeroIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("amount", 0)), "amount"));
}

TEST(ConfirmRequest, NegativeAmountIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("amount", -1)), "amount"));
  EXPECT_TRUE(Invalid(parse(with("amount", -45000)), "amount"));
  EXPECT_TRUE(Invalid(
      parse_confirm_request(R"({"paymentKey":"k","orderId":"abcdef","amount":-0,"courseId":"c"})"),
      "amount"));
  EXPECT_TRUE(Invalid(
      parse_confirm_request(
          R"({"paymentKey":"k","orderId":"abcdef","amount":-9223372036854775808,"courseId":"c"})"),
      "amount"));
}

TEST(ConfirmRequest, FractionalAmountIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("amount", 1.5)), "amount"));
  EXPECT_TRUE(Invalid(parse(with("amount", 45000.01)), "amount"));
}

TEST(ConfirmRequest, AmountInFloatNotationIsRefused) {
  // 1e3 and 1.0 are integral in value but not integers on the wire.
  for (const char* amount : {"1e3", "1E3", "1.0", "45000.0", "4.5e4"}) {
    SCOPED_TRACE(amount);
    const std::string body = std::string(R"({"paymentKey":"k","orderId":"abcdef","amount":)") +
                             amount + R"(,"courseId":"c"})";
    EXPECT_TRUE(Invalid(parse_confirm_request(body), "amount"));
  }
}

TEST(ConfirmRequest, HugeAmountIsRefused) {
  for (const char* amount :
       {"1e20", "18446744073709551615", "18446744073709551616", "9223372036854775807",
        "9223372036854775808", "1000000001", "99999999999999999999999999999999999999"}) {
    SCOPED_TRACE(amount);
    const std::string body = std::string(R"({"paymentKey":"k","orderId":"abcdef","amount":)") +
                             amount + R"(,"courseId":"c"})";
    EXPECT_TRUE(Invalid(parse_confirm_request(body), "amount"));
  }
}

TEST(ConfirmRequest, AmountJustAboveMaxIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("amount", kMaxAmount + 1)), "amount"));
}

TEST(ConfirmRequest, AmountOfWrongTypeIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("amount", "45000")), "amount"));
  EXPECT_TRUE(Invalid(parse(with("amount", "")), "amount"));
  EXPECT_TRUE(Invalid(parse(with("amount", true)), "amount"));
  EXPECT_TRUE(Invalid(parse(with("amount", false)), "amount"));
  EXPECT_TRUE(Invalid(parse(with("amount", json::array({45000}))), "amount"));
  EXPECT_TRUE(Invalid(parse(with("amount", json{{"value", 45000}})), "amount"));
}

TEST(ConfirmRequest, NonJsonNumberLiteralsAreRefused) {
  for (const char* amount : {"NaN", "Infinity", "-Infinity", "0x10", "+45000", "045000", ".5"}) {
    SCOPED_TRACE(amount);
    const std::string body = std::string(R"({"paymentKey":"k","orderId":"abcdef","amount":)") +
                             amount + R"(,"courseId":"c"})";
    EXPECT_TRUE(Invalid(parse_confirm_request(body)));
  }
}

// --- couponCode ------------------------------------------------------------------------------

TEST(ConfirmRequest, CouponCodeNullIsNoCoupon) {
  auto r = parse(with("couponCode", nullptr));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_FALSE(r->coupon_code.has_value());
}

TEST(ConfirmRequest, CouponCodeAbsentIsNoCoupon) {
  auto r = parse(without("couponCode"));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_FALSE(r->coupon_code.has_value());
}

TEST(ConfirmRequest, CouponCodeEmptyIsNoCoupon) {
  auto r = parse(with("couponCode", ""));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_FALSE(r->coupon_code.has_value());
}

TEST(ConfirmRequest, CouponCodeOf64CharactersIsAccepted) {
  auto r = parse(with("couponCode", std::string(64, 'C')));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->coupon_code, std::optional<std::string>(std::string(64, 'C')));
}

TEST(ConfirmRequest, CouponCodeTooLongIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("couponCode", std::string(65, 'C'))), "couponCode"));
  EXPECT_TRUE(Invalid(parse(with("couponCode", std::string(5'000, 'C'))), "couponCode"));
}

TEST(ConfirmRequest, CouponCodeOfWrongTypeIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("couponCode", 10)), "couponCode"));
  EXPECT_TRUE(Invalid(parse(with("couponCode", 1.5)), "couponCode"));
  EXPECT_TRUE(Invalid(parse(with("couponCode", true)), "couponCode"));
  EXPECT_TRUE(Invalid(parse(with("couponCode", json::array({"WELCOME10"}))), "couponCode"));
  EXPECT_TRUE(Invalid(parse(with("couponCode", json{{"code", "WELCOME10"}})), "couponCode"));
}

TEST(ConfirmRequest, CouponCodeWithControlCharactersIsRefused) {
  EXPECT_TRUE(Invalid(parse(with("couponCode", "WEL\x01COME")), "couponCode"));
  EXPECT_TRUE(Invalid(parse(with("couponCode", "WELCOME\n")), "couponCode"));
}

// --- the body as a whole ---------------------------------------------------------------------

TEST(ConfirmRequest, EmptyBodyIsRefused) {
  EXPECT_TRUE(Invalid(parse_confirm_request("")));
  EXPECT_TRUE(Invalid(parse_confirm_request("   \n")));
}

TEST(ConfirmRequest, NonJsonIsRefused) {
  for (const char* body :
       {"paymentKey=k&orderId=abcdef&amount=1&courseId=c", "hello", "<xml/>", "{paymentKey: 'k'}",
        "{'paymentKey':'k','orderId':'abcdef','amount':1,'courseId':'c'}", "undefined"}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(Invalid(parse_confirm_request(body)));
  }
}

TEST(ConfirmRequest, TruncatedJsonIsRefused) {
  const std::string full = valid_body().dump();
  for (size_t n : {size_t{1}, size_t{10}, full.size() / 2, full.size() - 1}) {
    SCOPED_TRACE(n);
    EXPECT_TRUE(Invalid(parse_confirm_request(full.substr(0, n))));
  }
}

TEST(ConfirmRequest, TrailingGarbageIsRefused) {
  EXPECT_TRUE(Invalid(parse_confirm_request(valid_body().dump() + "x")));
  EXPECT_TRUE(Invalid(parse_confirm_request(valid_body().dump() + valid_body().dump())));
  EXPECT_TRUE(Invalid(parse_confirm_request(valid_body().dump() + ",")));
}

TEST(ConfirmRequest, TrailingCommaAndCommentsAreRefused) {
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"paymentKey":"k","orderId":"abcdef","amount":1,"courseId":"c",})")));
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"paymentKey":"k","orderId":"abcdef","amount":1,"courseId":"c"} // hi)")));
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({/* c */"paymentKey":"k","orderId":"abcdef","amount":1,"courseId":"c"})")));
}

TEST(ConfirmRequest, NonObjectTopLevelIsRefused) {
  for (const char* body : {"[]", R"([{"paymentKey":"k"}])", R"("paymentKey")", "42", "-1", "1.5",
                           "true", "false", "null"}) {
    SCOPED_TRACE(body);
    EXPECT_TRUE(Invalid(parse_confirm_request(body)));
  }
  EXPECT_TRUE(Invalid(parse_confirm_request("[" + valid_body().dump() + "]")));
}

TEST(ConfirmRequest, EmptyObjectIsRefused) {
  EXPECT_TRUE(Invalid(parse_confirm_request("{}"), "paymentKey"));
}

TEST(ConfirmRequest, DuplicateAmountIsRefused) {
  // A proxy and this parser might read different values of a duplicated key.
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"paymentKey":"k","orderId":"abcdef","amount":1,"amount":45000,"courseId":"c"})")));
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"paymentKey":"k","orderId":"abcdef","amount":45000,"amount":45000,"courseId":"c"})")));
}

TEST(ConfirmRequest, DuplicateStringKeysAreRefused) {
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"paymentKey":"k1","paymentKey":"k2","orderId":"abcdef","amount":1,"courseId":"c"})")));
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"paymentKey":"k","orderId":"abcdef","amount":1,"courseId":"c","courseId":"d"})")));
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"paymentKey":"k","orderId":"abcdef","amount":1,"courseId":"c","couponCode":null,"couponCode":"X"})")));
}

TEST(ConfirmRequest, DuplicateUnknownTopLevelKeysAreRefused) {
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"x":1,"paymentKey":"k","orderId":"abcdef","amount":1,"courseId":"c","x":2})")));
}

TEST(ConfirmRequest, DuplicateKeysInsideNestedExtraObjectAreTolerated) {
  // Only the top level is read; a nested extra object is ignored as a whole.
  auto r = parse_confirm_request(
      R"({"paymentKey":"k","orderId":"abcdef","amount":1,"courseId":"c","meta":{"a":1,"a":2}})");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->amount, 1);
}

TEST(ConfirmRequest, NestedGarbageIsRefused) {
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"paymentKey":"k","orderId":"abcdef","amount":1,"courseId":"c","meta":{"a":[1,2,}})")));
  EXPECT_TRUE(Invalid(
      parse_confirm_request(
          R"({"paymentKey":{"paymentKey":"k"},"orderId":"abcdef","amount":1,"courseId":"c"})"),
      "paymentKey"));
  EXPECT_TRUE(
      Invalid(parse_confirm_request(
                  R"({"request":{"paymentKey":"k","orderId":"abcdef","amount":1,"courseId":"c"}})"),
              "paymentKey"));
}

TEST(ConfirmRequest, DeeplyNestedBodyIsRefusedWithoutCrashing) {
  const std::string deep = std::string(10'000, '[') + std::string(10'000, ']');
  EXPECT_TRUE(Invalid(parse_confirm_request(deep)));
  json b = valid_body();
  const std::string body = b.dump();
  const std::string nested = body.substr(0, body.size() - 1) + R"(,"deep":)" +
                             std::string(5'000, '[') + std::string(5'000, ']') + "}";
  EXPECT_TRUE(parse_confirm_request(nested));
}

TEST(ConfirmRequest, InvalidUtf8InsideAStringIsRefused) {
  for (const char* bad : {"\xff", "\xc3\x28", "\xe2\x82", "\xf0\x28\x8c\xbc", "\xc0\xaf",
                          "\xed\xa0\x80" /* UTF-16 surrogate */}) {
    SCOPED_TRACE(testing::PrintToString(std::string(bad)));
    const std::string body = std::string(R"({"paymentKey":"k)") + bad +
                             R"(","orderId":"abcdef","amount":1,"courseId":"c"})";
    EXPECT_TRUE(Invalid(parse_confirm_request(body)));
    const std::string coupon = std::string(R"({"paymentKey":"k","orderId":"abcdef","amount":1,)") +
                               R"("courseId":"c","couponCode":"A)" + bad + R"("})";
    EXPECT_TRUE(Invalid(parse_confirm_request(coupon)));
  }
}

TEST(ConfirmRequest, LoneSurrogateEscapeIsRefused) {
  EXPECT_TRUE(Invalid(parse_confirm_request(
      R"({"paymentKey":"k\ud800","orderId":"abcdef","amount":1,"courseId":"c"})")));
}

TEST(ConfirmRequest, EscapedNulInsideAStringIsRefused) {
  EXPECT_TRUE(
      Invalid(parse_confirm_request(
                  R"({"paymentKey":"k\u0000","orderId":"abcdef","amount":1,"courseId":"c"})"),
              "paymentKey"));
}

TEST(ConfirmRequest, EscapedPrintableCharactersAreDecoded) {
  auto r = parse_confirm_request(
      R"({"paymentKey":"\u0070k","orderId":"abc\u0064ef","amount":1,"courseId":"c"})");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->payment_key, "pk");
  EXPECT_EQ(r->order_id, "abcdef");
}

TEST(ConfirmRequest, EscapedDotInOrderIdIsStillRefused) {
  EXPECT_TRUE(
      Invalid(parse_confirm_request(
                  R"({"paymentKey":"k","orderId":"abc\u002edef","amount":1,"courseId":"c"})"),
              "orderId"));
}

}  // namespace
}  // namespace payedge
