// Supabase-style HS256 JWTs (SPEC section 4). Tokens are built here with OpenSSL directly, not
// with payedge's own sign_jwt/codec helpers, so a shared bug cannot hide itself.
#include "auth/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

#include "token_test_util.h"

namespace payedge {
namespace {

constexpr std::string_view kSecret = "super-secret-jwt-token-with-at-least-32-characters-long";
constexpr std::int64_t kNowS = 1'790'000'000;  // 2026-09-21
constexpr EpochMs kNow = kNowS * 1000;

using test_util::b64url;
using test_util::Refused;

std::string hs256(std::string_view key, std::string_view msg) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string hs512(std::string_view key, std::string_view msg) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

constexpr std::string_view kHs256Header = R"({"alg":"HS256","typ":"JWT"})";
const std::string kAudRole = R"("aud":"authenticated","role":"authenticated")";

// header.payload.HMAC-SHA256(secret, header.payload), from raw JSON texts.
std::string make_token(std::string_view header_json, std::string_view payload_json,
                       std::string_view secret = kSecret) {
  const std::string input = b64url(header_json) + "." + b64url(payload_json);
  return input + "." + b64url(hs256(secret, input));
}

std::string claims(std::string_view sub, std::int64_t exp) {
  return R"({"sub":")" + std::string(sub) +
         R"(","aud":"authenticated","role":"authenticated","exp":)" + std::to_string(exp) + "}";
}

std::string good_token() { return make_token(kHs256Header, claims("user-1", kNowS + 3600)); }

// The token must be refused with E_UNAUTHORIZED; `needle` (when given) must be in the detail.
TEST(Jwt, IndependentHelpersMatchRfc7515Example) {
  // RFC 7515 appendix A.1 uses JSON with CRLFs; the base64url of its header is fixed.
  EXPECT_EQ(b64url("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"),
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
}

TEST(Jwt, ValidTokenIsAccepted) {
  auto r = verify_jwt(good_token(), kSecret, kNow);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "user-1");
  EXPECT_EQ(r->expires_at, (kNowS + 3600) * 1000);
}

TEST(Jwt, SupabaseShapedTokenIsAccepted) {
  const std::string payload =
      R"({"aud":"authenticated","exp":)" + std::to_string(kNowS + 60) + R"(,"iat":)" +
      std::to_string(kNowS - 60) +
      R"(,"iss":"https://abc.supabase.co/auth/v1","sub":"8b3a8a4e-7c1f-4e0a-9f3e-3c2d1b0a9f8e",)"
      R"("email":"kim@example.com","role":"authenticated","session_id":"s"})";
  auto r = verify_jwt(make_token(kHs256Header, payload), kSecret, kNow);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "8b3a8a4e-7c1f-4e0a-9f3e-3c2d1b0a9f8e");
}

TEST(Jwt, HeaderWithoutTypIsAccepted) {
  EXPECT_TRUE(verify_jwt(make_token(R"({"alg":"HS256"})", claims("u", kNowS + 60)), kSecret, kNow));
}

TEST(Jwt, BadSignatureIsRefused) {
  std::string token = good_token();
  // Flip one character in the middle of the signature (not the last, whose low bits may be
  // padding).
  const size_t pos = token.rfind('.') + 5;
  token[pos] = token[pos] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "signature"));
}

TEST(Jwt, TruncatedSignatureIsRefused) {
  const std::string token = good_token();
  EXPECT_TRUE(Refused(verify_jwt(token.substr(0, token.size() - 4), kSecret, kNow)));
  EXPECT_TRUE(Refused(verify_jwt(token.substr(0, token.rfind('.') + 1), kSecret, kNow)));
}

TEST(Jwt, TamperedPayloadIsRefused) {
  const std::string token = good_token();
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.rfind('.');
  const std::string forged =
      token.substr(0, dot1 + 1) + b64url(claims("admin", kNowS + 3600)) + token.substr(dot2);
  EXPECT_TRUE(Refused(verify_jwt(forged, kSecret, kNow), "signature"));
}

TEST(Jwt, SignedWithAnotherSecretIsRefused) {
  const std::string token =
      make_token(kHs256Header, claims("user-1", kNowS + 3600), "another-secret-of-equal-length!!");
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "signature"));
}

TEST(Jwt, EmptySecretDoesNotVerifyRealTokens) {
  EXPECT_TRUE(Refused(verify_jwt(good_token(), "", kNow)));
}

TEST(Jwt, ExpiredBeyondSkewIsRefused) {
  const std::string token = make_token(kHs256Header, claims("user-1", kNowS - 31));
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow, 30), "expired"));
  const std::string old = make_token(kHs256Header, claims("user-1", kNowS - 86400));
  EXPECT_TRUE(Refused(verify_jwt(old, kSecret, kNow, 30), "expired"));
}

TEST(Jwt, ExpiredExactlyAtSkewIsRefused) {
  const std::string token = make_token(kHs256Header, claims("user-1", kNowS - 30));
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow, 30), "expired"));
}

TEST(Jwt, ExpiredInsideSkewIsAccepted) {
  const std::string token = make_token(kHs256Header, claims("user-1", kNowS - 10));
  auto r = verify_jwt(token, kSecret, kNow, 30);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "user-1");
}

TEST(Jwt, ExpiringExactlyNowWithoutSkewIsRefused) {
  const std::string token = make_token(kHs256Header, claims("user-1", kNowS));
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow, 0), "expired"));
  EXPECT_TRUE(verify_jwt(token, kSecret, kNow - 1000, 0));
}

TEST(Jwt, NotBeforeInTheFutureIsRefused) {
  const std::string payload = R"({"sub":"user-1","exp":)" + std::to_string(kNowS + 3600) +
                              R"(,"nbf":)" + std::to_string(kNowS + 600) + "}";
  EXPECT_TRUE(
      Refused(verify_jwt(make_token(kHs256Header, payload), kSecret, kNow, 30), "not yet valid"));
}

TEST(Jwt, NotBeforeInsideSkewIsAccepted) {
  const std::string payload = R"({"sub":"user-1",)" + kAudRole + R"(,"exp":)" +
                              std::to_string(kNowS + 3600) + R"(,"nbf":)" +
                              std::to_string(kNowS + 10) + "}";
  EXPECT_TRUE(verify_jwt(make_token(kHs256Header, payload), kSecret, kNow, 30));
}

TEST(Jwt, NotBeforeInThePastIsAccepted) {
  const std::string payload = R"({"sub":"user-1",)" + kAudRole + R"(,"exp":)" +
                              std::to_string(kNowS + 3600) + R"(,"nbf":)" +
                              std::to_string(kNowS - 10) + "}";
  EXPECT_TRUE(verify_jwt(make_token(kHs256Header, payload), kSecret, kNow, 0));
}

TEST(Jwt, AlgNoneWithEmptySignatureIsRefused) {
  const std::string token =
      b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(claims("user-1", kNowS + 3600)) + ".";
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "alg"));
  // Case variations of "none" as well.
  for (const char* alg : {"None", "NONE", "nOnE"}) {
    SCOPED_TRACE(alg);
    const std::string t = b64url(std::string(R"({"alg":")") + alg + R"("})") + "." +
                          b64url(claims("user-1", kNowS + 3600)) + ".";
    EXPECT_TRUE(Refused(verify_jwt(t, kSecret, kNow), "alg"));
  }
}

TEST(Jwt, AlgNoneWithAValidHs256SignatureIsStillRefused) {
  const std::string token = make_token(R"({"alg":"none"})", claims("user-1", kNowS + 3600));
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "alg"));
}

TEST(Jwt, AlgHs512IsRefusedEvenWhenCorrectlySigned) {
  const std::string input =
      b64url(R"({"alg":"HS512","typ":"JWT"})") + "." + b64url(claims("user-1", kNowS + 3600));
  const std::string token = input + "." + b64url(hs512(kSecret, input));
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "alg"));
}

TEST(Jwt, AlgRs256IsRefused) {
  // The classic confusion attack: RS256 in the header, HMAC with the "public key" as secret.
  const std::string token =
      make_token(R"({"alg":"RS256","typ":"JWT"})", claims("user-1", kNowS + 3600));
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "alg"));
}

TEST(Jwt, MissingOrOddAlgIsRefused) {
  for (const char* header :
       {R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":256})", R"({"alg":["HS256"]})",
        R"({"alg":"hs256"})", R"({"alg":"HS256 "})", R"({"alg":""})"}) {
    SCOPED_TRACE(header);
    EXPECT_TRUE(Refused(verify_jwt(make_token(header, claims("u", kNowS + 60)), kSecret, kNow)));
  }
}

TEST(Jwt, MissingExpIsRefused) {
  const std::string token = make_token(kHs256Header, R"({"sub":"user-1","role":"authenticated"})");
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "exp"));
}

TEST(Jwt, NonNumericExpIsRefused) {
  for (const std::string& exp : {"\"" + std::to_string(kNowS + 60) + "\"", std::string("null"),
                                 std::string("true"), std::string("[1]")}) {
    SCOPED_TRACE(exp);
    const std::string token = make_token(kHs256Header, R"({"sub":"u","exp":)" + exp + "}");
    EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "exp"));
  }
}

TEST(Jwt, FractionalExpIsAccepted) {
  // NumericDate may carry a fraction (RFC 7519 section 2).
  const std::string token = make_token(kHs256Header, R"({"sub":"u",)" + kAudRole + R"(,"exp":)" +
                                                         std::to_string(kNowS + 60) + ".5}");
  EXPECT_TRUE(verify_jwt(token, kSecret, kNow, 0));
}

TEST(Jwt, MissingSubIsRefused) {
  const std::string token =
      make_token(kHs256Header, R"({"role":"anon","exp":)" + std::to_string(kNowS + 60) + "}");
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "sub"));
}

TEST(Jwt, EmptySubIsRefused) {
  EXPECT_TRUE(
      Refused(verify_jwt(make_token(kHs256Header, claims("", kNowS + 60)), kSecret, kNow), "sub"));
}

TEST(Jwt, NonStringSubIsRefused) {
  for (const char* sub : {"42", "null", "true", R"(["u"])", R"({"id":"u"})"}) {
    SCOPED_TRACE(sub);
    const std::string token =
        make_token(kHs256Header, std::string(R"({"sub":)") + sub + R"(,"exp":)" +
                                     std::to_string(kNowS + 60) + "}");
    EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow), "sub"));
  }
}

TEST(Jwt, OverlongSubIsRefused) {
  EXPECT_TRUE(Refused(verify_jwt(
      make_token(kHs256Header, claims(std::string(129, 'u'), kNowS + 60)), kSecret, kNow)));
  EXPECT_TRUE(verify_jwt(make_token(kHs256Header, claims(std::string(128, 'u'), kNowS + 60)),
                         kSecret, kNow));
}

TEST(Jwt, NotThreePartsIsRefused) {
  const std::string token = good_token();
  const std::string no_sig = token.substr(0, token.rfind('.'));
  for (const std::string& t :
       {std::string(), std::string("."), std::string(".."), std::string("abc"), no_sig, token + ".",
        token + "." + token.substr(token.rfind('.') + 1), "Bearer " + token,
        std::string("a.b.c.d.e")}) {
    SCOPED_TRACE(t);
    EXPECT_TRUE(Refused(verify_jwt(t, kSecret, kNow)));
  }
}

TEST(Jwt, GarbageBase64IsRefused) {
  const std::string token = good_token();
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.rfind('.');
  const std::string header = token.substr(0, dot1);
  const std::string payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string sig = token.substr(dot2 + 1);
  for (const std::string& t : {
           "!!!!." + payload + "." + sig,         // header not base64
           header + ".@@@@." + sig,               // payload not base64
           header + "." + payload + ".%%%%",      // signature not base64
           header + "==." + payload + "." + sig,  // padding is not base64url
           header + "." + payload + "." + sig + "=",
           "e." + payload + "." + sig,           // impossible length (4n+1)
           header + ".e." + sig,                 // impossible length (4n+1)
           header + "." + payload + ".e",        // impossible length (4n+1)
           header + "+." + payload + "." + sig,  // standard, not URL, alphabet
           header + "." + payload + "." + sig + "/",
       }) {
    SCOPED_TRACE(t);
    EXPECT_TRUE(Refused(verify_jwt(t, kSecret, kNow)));
  }
}

TEST(Jwt, WhitespaceInsideTheTokenIsRefused) {
  const std::string token = good_token();
  EXPECT_TRUE(Refused(verify_jwt(" " + token, kSecret, kNow)));
  EXPECT_TRUE(Refused(verify_jwt(token + " ", kSecret, kNow)));
  EXPECT_TRUE(Refused(verify_jwt(token + "\n", kSecret, kNow)));
  std::string spaced = token;
  spaced.insert(token.find('.') + 3, " ");
  EXPECT_TRUE(Refused(verify_jwt(spaced, kSecret, kNow)));
}

TEST(Jwt, NonJsonPartsAreRefused) {
  const std::string not_json = make_token("not json", claims("user-1", kNowS + 60));
  EXPECT_TRUE(Refused(verify_jwt(not_json, kSecret, kNow), "header"));
  const std::string array_payload = make_token(kHs256Header, R"(["sub","user-1"])");
  EXPECT_TRUE(Refused(verify_jwt(array_payload, kSecret, kNow), "payload"));
  const std::string garbage_payload = make_token(kHs256Header, "\x01\x02\x03");
  EXPECT_TRUE(Refused(verify_jwt(garbage_payload, kSecret, kNow), "payload"));
}

TEST(Jwt, DetailNeverContainsTheToken) {
  const std::string token =
      make_token(kHs256Header, claims("user-1", kNowS + 3600), "another-secret-of-equal-length!!");
  auto r = verify_jwt(token, kSecret, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail.find(token.substr(token.rfind('.') + 1)), std::string::npos);
  EXPECT_EQ(r.error().detail.find(kSecret), std::string::npos);
}

// --- sign_jwt --------------------------------------------------------------------------------

TEST(SignJwt, RoundTripsThroughVerify) {
  const std::string token = sign_jwt("user-42", kSecret, kNow, 3600);
  auto r = verify_jwt(token, kSecret, kNow);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "user-42");
  EXPECT_EQ(r->expires_at, kNow + 3600 * 1000);
}

TEST(SignJwt, MatchesAnIndependentHs256Signature) {
  const std::string token = sign_jwt("user-42", kSecret, kNow, 3600);
  const size_t dot2 = token.rfind('.');
  EXPECT_EQ(token.substr(dot2 + 1), b64url(hs256(kSecret, token.substr(0, dot2))));
  EXPECT_EQ(token.find('='), std::string::npos);
  EXPECT_EQ(token.find('+'), std::string::npos);
  EXPECT_EQ(token.find('/'), std::string::npos);
}

TEST(SignJwt, ExpiresAfterTtlPlusSkew) {
  const std::string token = sign_jwt("user-42", kSecret, kNow, 60);
  EXPECT_TRUE(verify_jwt(token, kSecret, kNow + 60'000 + 29'000, 30));
  EXPECT_TRUE(Refused(verify_jwt(token, kSecret, kNow + 60'000 + 30'000, 30), "expired"));
}

TEST(SignJwt, OtherSecretDoesNotVerify) {
  const std::string token = sign_jwt("user-42", kSecret, kNow, 3600);
  EXPECT_TRUE(Refused(verify_jwt(token, "some-other-secret", kNow), "signature"));
}

TEST(SignJwt, SubWithQuotesIsEscaped) {
  const std::string token = sign_jwt(R"(a"b\c)", kSecret, kNow, 60);
  auto r = verify_jwt(token, kSecret, kNow);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, R"(a"b\c)");
}

// --- claims as Supabase issues them ----------------------------------------------------------

std::string with_exp(std::string_view extra, std::int64_t exp = kNowS + 60) {
  return R"({"sub":"u","exp":)" + std::to_string(exp) + (extra.empty() ? "" : ",") +
         std::string(extra) + "}";
}

Result<JwtClaims> verify_payload(std::string_view payload, AuthPolicy policy = {}) {
  return verify_jwt(make_token(kHs256Header, payload), VerifyKeys{kSecret, nullptr}, policy, kNow);
}

TEST(JwtClaims, AudienceMustBeAuthenticated) {
  EXPECT_TRUE(verify_payload(with_exp(kAudRole)));
  EXPECT_TRUE(Refused(verify_payload(with_exp(R"("role":"authenticated")")), "aud missing"));
  EXPECT_TRUE(Refused(verify_payload(with_exp(R"("aud":"anon","role":"authenticated")")),
                      "aud not accepted"));
  EXPECT_TRUE(Refused(verify_payload(with_exp(R"("aud":7,"role":"authenticated")")), "aud"));
  // RFC 7519: aud may be an array; one accepted audience is enough.
  EXPECT_TRUE(verify_payload(with_exp(R"("aud":["x","authenticated"],"role":"authenticated")")));
  EXPECT_TRUE(Refused(verify_payload(with_exp(R"("aud":["x",1],"role":"authenticated")")), "aud"));
}

TEST(JwtClaims, RoleMustBeAuthenticated) {
  EXPECT_TRUE(Refused(verify_payload(with_exp(R"("aud":"authenticated")")), "role"));
  for (const char* role : {R"("anon")", R"("service_role")", "null", R"(["authenticated"])"}) {
    SCOPED_TRACE(role);
    EXPECT_TRUE(Refused(
        verify_payload(with_exp(std::string(R"("aud":"authenticated","role":)") + role)), "role"));
  }
}

TEST(JwtClaims, AudienceAndRoleListsAreConfigurable) {
  AuthPolicy p;
  p.audiences = {"payedge", "authenticated"};
  p.roles = {"authenticated", "premium"};
  EXPECT_TRUE(verify_payload(with_exp(R"("aud":"payedge","role":"premium")"), p));
  p.audiences.clear();  // not checked
  EXPECT_TRUE(verify_payload(with_exp(R"("role":"premium")"), p));
}

TEST(JwtClaims, AnonymousUsersAreRefusedUnlessAllowed) {
  const auto anon = with_exp(kAudRole + R"(,"is_anonymous":true)");
  EXPECT_TRUE(Refused(verify_payload(anon), "anonymous"));
  AuthPolicy p;
  p.allow_anonymous = true;
  EXPECT_TRUE(verify_payload(anon, p));
  EXPECT_TRUE(verify_payload(with_exp(kAudRole + R"(,"is_anonymous":false)")));
  EXPECT_TRUE(
      Refused(verify_payload(with_exp(kAudRole + R"(,"is_anonymous":"true")")), "is_anonymous"));
}

TEST(JwtClaims, IssuerIsCheckedWhenConfigured) {
  AuthPolicy p;
  p.issuer = "https://abc.supabase.co/auth/v1";
  EXPECT_TRUE(
      verify_payload(with_exp(kAudRole + R"(,"iss":"https://abc.supabase.co/auth/v1")"), p));
  EXPECT_TRUE(Refused(
      verify_payload(with_exp(kAudRole + R"(,"iss":"https://evil.supabase.co/auth/v1")"), p),
      "iss"));
  EXPECT_TRUE(Refused(verify_payload(with_exp(kAudRole), p), "iss"));
}

TEST(JwtClaims, IssuedInTheFutureBeyondSkewIsRefused) {
  EXPECT_TRUE(Refused(
      verify_payload(with_exp(kAudRole + R"(,"iat":)" + std::to_string(kNowS + 120))), "iat"));
  EXPECT_TRUE(verify_payload(with_exp(kAudRole + R"(,"iat":)" + std::to_string(kNowS + 10))));
}

TEST(JwtClaims, OutOfRangeNumericDatesAreRefusedWithoutOverflow) {
  // 1e300 and 2^64 are floats to a JSON parser, 9e18 fits int64 but not as milliseconds,
  // -1 is before the epoch. None may be converted blindly (that is undefined behaviour).
  for (const char* v :
       {"1e300", "18446744073709551616", "18446744073709551615", "9000000000000000000", "9e18",
        "-1", "-1e300", "253402300800", "1.7976931348623157e308"}) {
    SCOPED_TRACE(v);
    EXPECT_TRUE(Refused(verify_payload(R"({"sub":"u",)" + kAudRole + R"(,"exp":)" + v + "}"),
                        "exp out of range"));
    EXPECT_TRUE(Refused(verify_payload(with_exp(kAudRole + R"(,"nbf":)" + v)), "nbf"));
    EXPECT_TRUE(Refused(verify_payload(with_exp(kAudRole + R"(,"iat":)" + v)), "iat"));
  }
  // The largest accepted date works and its milliseconds do not overflow.
  auto r = verify_payload(R"({"sub":"u",)" + kAudRole + R"(,"exp":253402300799})");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->expires_at, 253'402'300'799'000LL);
}

TEST(JwtClaims, AlgorithmsCanBeNarrowed) {
  AuthPolicy p;
  p.algorithms = {"ES256"};
  EXPECT_TRUE(Refused(verify_payload(with_exp(kAudRole), p), "alg HS256 not accepted"));
}

TEST(JwtClaims, Hs256WithoutASecretIsRefused) {
  EXPECT_TRUE(Refused(verify_jwt(good_token(), VerifyKeys{"", nullptr}, AuthPolicy{}, kNow),
                      "shared secret"));
}

}  // namespace
}  // namespace payedge
