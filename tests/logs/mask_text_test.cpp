// SPEC section 11 inside free text: e-mails, phones, cards (Luhn), JWTs, secrets, IPv4.
#include <gtest/gtest.h>

#include "obs/mask.h"

namespace payedge {
namespace {

TEST(MaskText, EmailsKeepTheirFirstLetterAndDomain) {
  EXPECT_EQ(mask_text("kim@example.com"), "k***@example.com");
  EXPECT_EQ(mask_text("mail kim.minsu+pay@mail.example.co.kr now."),
            "mail k***@mail.example.co.kr now.");
  EXPECT_EQ(mask_text("a@b.cd, b@c.de"), "a***@b.cd, b***@c.de");
  EXPECT_EQ(mask_email("x@y.org"), "x***@y.org");
  // Not e-mails.
  EXPECT_EQ(mask_text("user@localhost"), "user@localhost");
  EXPECT_EQ(mask_text("@handle"), "@handle");
}

TEST(MaskText, KoreanPhoneNumbers) {
  EXPECT_EQ(mask_text("010-1234-5678"), "010-****-5678");
  EXPECT_EQ(mask_text("전화 010-123-5678 로"), "전화 010-***-5678 로");
  EXPECT_EQ(mask_text("call 01012345678."), "call 010****5678.");
  EXPECT_EQ(mask_text("010 1234 5678"), "010 **** 5678");
  EXPECT_EQ(mask_text("02-123-4567"), "02-***-4567");
  EXPECT_EQ(mask_text("+82-10-1234-5678"), "+82-10-****-5678");
  EXPECT_EQ(mask_text("+821012345678"), "+8210****5678");
  // Dates, times, order ids and amounts stay.
  EXPECT_EQ(mask_text("2026-11-26 10:02:03"), "2026-11-26 10:02:03");
  EXPECT_EQ(mask_text("order-0001-2345-6789"), "order-0001-2345-6789");
  EXPECT_EQ(mask_text("amount 49000"), "amount 49000");
}

// Issue 14: phones that `logs export --mask` missed.
TEST(MaskText, PhonesFollowedByDigitsOrKoreanOrAfterACard) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case c : {
           Case{"010-1234-5678 2", "010-****-5678 2"},
           Case{"연락처 010-1234-5678 2층", "연락처 010-****-5678 2층"},
           Case{"010-1234-5678번으로", "010-****-5678번으로"},
           Case{"연락처010-1234-5678", "연락처010-****-5678"},
           Case{"010 1234 5678 12 34", "010 **** 5678 12 34"},
           Case{"1 010-1234-5678", "1 010-****-5678"},
           Case{"4111 1111 1111 1111 010-1234-5678", "**** **** **** 1111 010-****-5678"},
           Case{"4111111111111111 01012345678", "************1111 010****5678"},
           Case{"카드 4111-1111-1111-1111 전화 010.1234.5678",
                "카드 ****-****-****-1111 전화 010.****.5678"},
           // Still not phones: dates and ids in a chain.
           Case{"2026-11-26 10 20", "2026-11-26 10 20"},
           Case{"010-1234-5678-9", "010-1234-5678-9"},
       }) {
    EXPECT_EQ(mask_text(c.in), c.out) << c.in;
    EXPECT_EQ(mask_text(mask_text(c.in)), c.out) << "twice: " << c.in;
  }
}

TEST(MaskText, CardNumbersPassingLuhnKeepTheLastFour) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_EQ(mask_text("card 4111111111111111 declined"), "card ************1111 declined");
  EXPECT_EQ(mask_text("4111 1111 1111 1111"), "**** **** **** 1111");
  EXPECT_EQ(mask_text("5500-0000-0000-0004"), "****-****-****-0004");
  EXPECT_EQ(mask_text("amex 3782 822463 10005"), "amex **** ****** *0005");
  EXPECT_EQ(mask_text("visa13 4222222222222"), "visa13 *********2222");
  EXPECT_EQ(mask_text("19 digits 6011000000000000001"), "19 digits ***************0001");
  // Failing Luhn, too short, too long, or part of a word: left alone.
  EXPECT_EQ(mask_text("4111111111111112"), "4111111111111112");
  EXPECT_EQ(mask_text("411111111111"), "411111111111");
  EXPECT_EQ(mask_text("41111111111111111111"), "41111111111111111111");
  EXPECT_EQ(mask_text("tgen4111111111111111"), "tgen4111111111111111");
}

TEST(MaskText, JwtsAndSecretsAreRedacted) {
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjE4MDAwMDAwMDB9."
      "c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
  EXPECT_EQ(mask_text("token " + jwt + " expired"), "token [REDACTED] expired");
  EXPECT_EQ(mask_text("Authorization: Bearer " + jwt), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(mask_text("Authorization: Basic dGVzdF9za19hYmNkZWZnOg=="),
            "Authorization: Basic [REDACTED]");
  EXPECT_EQ(mask_text("key test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R used"), "key [REDACTED] used");
  EXPECT_EQ(mask_text("live_gsk_abc123 and live_sk_xyz"), "[REDACTED] and [REDACTED]");
  EXPECT_EQ(mask_text("secret=abcd1234&x=1"), "secret=[REDACTED]&x=1");
  EXPECT_EQ(mask_text(R"({"password": "hunter2", "user": "u"})"),
            R"({"password": "[REDACTED]", "user": "u"})");
  EXPECT_EQ(mask_text("WEBHOOK_SECRET: whsec_123"), "WEBHOOK_SECRET: [REDACTED]");
  EXPECT_EQ(mask_text("posted to https://hooks.slack.com/services/T0/B0/XyZ ok"),
            "posted to [REDACTED] ok");
  // Words that merely mention them stay.
  EXPECT_EQ(mask_text("Bearer token missing"), "Bearer token missing");
}

TEST(MaskText, Ipv4BecomesItsSlash24) {
  EXPECT_EQ(mask_text("from 203.0.113.77 via 10.0.0.1:443"),
            "from 203.0.113.0/24 via 10.0.0.0/24:443");
  EXPECT_EQ(mask_text("http://192.168.1.20/path"), "http://192.168.1.0/24/path");
  // Versions, timestamps and decimals are not addresses.
  EXPECT_EQ(mask_text("Chrome/120.0.0.0 Safari/537.36"), "Chrome/120.0.0.0 Safari/537.36");
  EXPECT_EQ(mask_text("v1.2.3.4.5"), "v1.2.3.4.5");
  EXPECT_EQ(mask_text("999.1.1.1"), "999.1.1.1");
  EXPECT_EQ(mask_ip("203.0.113.77"), "203.0.113.0/24");
  EXPECT_EQ(mask_ip("2001:db8:abcd:12::1"), "2001:db8:abcd::/48");
}

TEST(MaskText, EverythingInOneFreeTextField) {
  const std::string text =
      "user kim@example.com (010-1234-5678) paid with 4111-1111-1111-1111 from 198.51.100.23, "
      "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig_nature-123";
  const std::string masked = mask_text(text);
  EXPECT_EQ(masked,
            "user k***@example.com (010-****-5678) paid with ****-****-****-1111 from "
            "198.51.100.0/24, jwt [REDACTED]");
  EXPECT_EQ(mask_text(masked), masked);  // idempotent
}

TEST(MaskField, ByName) {
  EXPECT_EQ(mask_field("payment_key", "tgen_20261126abcdEFGH1234"), "tgen*****************1234");
  EXPECT_EQ(mask_field("ip", "203.0.113.77"), "203.0.113.0/24");
  // A card number sent as a paymentKey keeps its last 4 only (not its first 4 too).
  EXPECT_EQ(mask_field("payment_key", "4111111111111111"), "************1111");
  EXPECT_EQ(mask_field("paymentKey", "4111-1111-1111-1111"), "****-****-****-1111");
  EXPECT_EQ(mask_payment_key("4111111111111111"), "************1111");
  EXPECT_EQ(mask_payment_key("01012345678"), "010****5678");
  EXPECT_EQ(mask_field("client_secret", "abc"), "[REDACTED]");
  EXPECT_EQ(mask_field("access_token", "abc"), "[REDACTED]");
  EXPECT_EQ(mask_field("user_id", "kim@example.com"), "k***@example.com");
  EXPECT_EQ(mask_field("order_id", "order-0001"), "order-0001");
  EXPECT_EQ(mask_field("ts", "2026-11-26T01:02:03.123Z"), "2026-11-26T01:02:03.123Z");
  EXPECT_EQ(mask_field("request_id", "550e8400-e29b-41d4-a716-446655440000"),
            "550e8400-e29b-41d4-a716-446655440000");
}

}  // namespace
}  // namespace payedge
