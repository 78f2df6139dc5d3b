// Toss webhook signature vectors, computed here with OpenSSL directly (not with payedge's
// own HMAC/base64 helpers), against verify_webhook_signature.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "webhook/signature.h"

namespace payedge {
namespace {

const std::string kBody =
    R"({"eventType":"PAYMENT_STATUS_CHANGED","data":{"paymentKey":"tgen_1","status":"DONE"}})";
const std::string kTime = "2024-09-05T12:19:21+09:00";
const EpochMs kNow = *parse_rfc3339(kTime);
const WebhookSecrets kSecrets{"current-secret-0123456789", "", 0};

std::string independent_signature(const std::string& body, const std::string& time,
                                  const std::string& secret) {
  const std::string message = body + ":" + time;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  std::string b64(4 * ((len + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(len));
  b64.resize(static_cast<size_t>(n));
  return "v1:" + b64;
}

SignatureCheck check(const std::vector<std::string_view>& headers,
                     std::optional<std::string_view> time = kTime, const std::string& body = kBody,
                     const WebhookSecrets& secrets = kSecrets, EpochMs now = kNow) {
  return verify_webhook_signature(body, headers, time, secrets, now, 300);
}

TEST(WebhookSignature, ValidSignatureIsAccepted) {
  const std::string sig = independent_signature(kBody, kTime, kSecrets.current);
  EXPECT_TRUE(check({sig}).ok());
  EXPECT_EQ(sign_webhook(kBody, kTime, kSecrets.current), sig);  // the simulator signs the same way
}

TEST(WebhookSignature, OneOfTwoSignaturesValidIsEnough) {
  const std::string good = independent_signature(kBody, kTime, kSecrets.current);
  const std::string bad = independent_signature(kBody, kTime, "some-other-secret-xxxxxxxx");
  EXPECT_TRUE(check({bad + "," + good}).ok());
  EXPECT_TRUE(check({good + "," + bad}).ok());
  EXPECT_EQ(check({bad + "," + bad}).failure, SignatureFailure::kMismatch);
}

// Toss's own example header is `v1:A,B`: one prefix, two values, either may match
// (https://techchat.tosspayments.com/m/1308725417263497257).
TEST(WebhookSignature, TwoValuesAfterOnePrefixEitherMayMatch) {
  const std::string good = independent_signature(kBody, kTime, kSecrets.current).substr(3);
  const std::string bad =
      independent_signature(kBody, kTime, "some-other-secret-xxxxxxxx").substr(3);
  EXPECT_TRUE(check({"v1:" + bad + "," + good}).ok());
  EXPECT_TRUE(check({"v1:" + good + "," + bad}).ok());
  EXPECT_TRUE(check({"v1:" + bad + ", " + good}).ok());
  EXPECT_EQ(check({"v1:" + bad + "," + bad}).failure, SignatureFailure::kMismatch);
  auto parsed = parse_signature_header("v1:" + bad + "," + good);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->size(), 2u);
  // A value after another scheme's prefix belongs to that scheme, not to v1.
  EXPECT_EQ(check({"v1:" + bad + ",v2:" + good}).failure, SignatureFailure::kMismatch);
  EXPECT_EQ(check({"v2:" + bad + "," + good}).failure, SignatureFailure::kMalformed);
  // The Toss form with a broken second value is malformed, not half-checked.
  EXPECT_EQ(check({"v1:" + good + ",!!!"}).failure, SignatureFailure::kMalformed);
}

TEST(WebhookSignature, PreviousSecretInsideAndAfterTheGracePeriod) {
  const WebhookSecrets rotated{"new-secret-abcdefghijklmn", kSecrets.current, kNow + 3600'000};
  const std::string old_sig = independent_signature(kBody, kTime, kSecrets.current);
  auto inside = check({old_sig}, kTime, kBody, rotated, kNow);
  EXPECT_TRUE(inside.ok());
  EXPECT_TRUE(inside.matched_previous);
  // After the grace period the previous secret is refused (the time itself is still fresh).
  const WebhookSecrets expired{"new-secret-abcdefghijklmn", kSecrets.current, kNow - 1};
  EXPECT_EQ(check({old_sig}, kTime, kBody, expired, kNow).failure, SignatureFailure::kMismatch);
  EXPECT_TRUE(
      check({independent_signature(kBody, kTime, rotated.current)}, kTime, kBody, rotated).ok());
}

TEST(WebhookSignature, BodyChangedByOneByteIsAMismatch) {
  const std::string sig = independent_signature(kBody, kTime, kSecrets.current);
  std::string changed = kBody;
  changed[changed.size() - 3] = 'X';
  EXPECT_EQ(check({sig}, kTime, changed).failure, SignatureFailure::kMismatch);
}

TEST(WebhookSignature, TransmissionTimeIsSigned) {
  const std::string sig = independent_signature(kBody, kTime, kSecrets.current);
  EXPECT_EQ(check({sig}, "2024-09-05T12:19:22+09:00").failure, SignatureFailure::kMismatch);
}

TEST(WebhookSignature, StaleBy301SecondsButNot300) {
  const std::string sig = independent_signature(kBody, kTime, kSecrets.current);
  EXPECT_TRUE(check({sig}, kTime, kBody, kSecrets, kNow + 300'000).ok());
  EXPECT_EQ(check({sig}, kTime, kBody, kSecrets, kNow + 301'000).failure, SignatureFailure::kStale);
  EXPECT_EQ(check({sig}, kTime, kBody, kSecrets, kNow - 301'000).failure, SignatureFailure::kStale);
}

TEST(WebhookSignature, HeaderWithSpacesIsAccepted) {
  const std::string good = independent_signature(kBody, kTime, kSecrets.current);
  const std::string bad = independent_signature(kBody, kTime, "other-secret-0000000000");
  EXPECT_TRUE(check({"  " + bad + " ,  " + good + "  "}).ok());
}

TEST(WebhookSignature, MissingEmptyDuplicatedAndHugeHeaders) {
  const std::string sig = independent_signature(kBody, kTime, kSecrets.current);
  EXPECT_EQ(check({}).failure, SignatureFailure::kMissing);
  EXPECT_EQ(check({""}).failure, SignatureFailure::kMissing);
  EXPECT_EQ(check({sig}, std::nullopt).failure, SignatureFailure::kMissing);
  EXPECT_EQ(check({sig, sig}).failure, SignatureFailure::kMalformed);
  std::string huge = sig;
  while (huge.size() < 10 * 1024) huge += "," + sig;
  EXPECT_EQ(check({huge}).failure, SignatureFailure::kMalformed);
}

TEST(WebhookSignature, MalformedHeadersAndTimes) {
  const std::string sig = independent_signature(kBody, kTime, kSecrets.current);
  EXPECT_EQ(check({"v1:"}).failure, SignatureFailure::kMalformed);
  EXPECT_EQ(check({"v1:!!!notbase64"}).failure, SignatureFailure::kMalformed);
  EXPECT_EQ(check({"v1:" + std::string(43, 'A') + "="}).failure,
            SignatureFailure::kMismatch);                               // 32 zero bytes
  EXPECT_EQ(check({"v1:QUJD"}).failure, SignatureFailure::kMalformed);  // not 32 bytes
  EXPECT_EQ(check({"v2:abc"}).failure, SignatureFailure::kMalformed);   // no v1 at all
  EXPECT_EQ(check({sig.substr(3)}).failure, SignatureFailure::kMalformed);
  EXPECT_EQ(check({sig}, "yesterday").failure, SignatureFailure::kMalformed);
  EXPECT_EQ(check({sig}, "").failure, SignatureFailure::kMalformed);
}

TEST(WebhookSignature, NoSecretConfiguredMatchesNothing) {
  const std::string sig = independent_signature(kBody, kTime, "");
  EXPECT_EQ(check({sig}, kTime, kBody, WebhookSecrets{}).failure, SignatureFailure::kMismatch);
}

}  // namespace
}  // namespace payedge
