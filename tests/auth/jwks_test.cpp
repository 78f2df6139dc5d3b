// ES256/RS256 tokens against a JWKS (SPEC section 4): keys generated here through OpenSSL,
// vectors signed by the `openssl` command line (its DER signature turned into the JWS r||s by
// reading `openssl asn1parse`, not by payedge's code), and the refusals: unknown kid, algorithm
// confusion, `none`, malformed signatures and JWKS documents.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "auth/dev_keys.h"
#include "auth/jwk.h"
#include "auth/jwt.h"
#include "core/codec.h"
#include "token_test_util.h"

namespace payedge {
namespace {

using nlohmann::json;

constexpr std::int64_t kNowS = 1'790'000'000;
constexpr EpochMs kNow = kNowS * 1000;

using test_util::b64url;
using test_util::Refused;

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string claims(std::string_view sub = "user-es", std::int64_t exp = kNowS + 600) {
  return R"({"sub":")" + std::string(sub) +
         R"(","aud":"authenticated","role":"authenticated","exp":)" + std::to_string(exp) + "}";
}

std::string bn_b64(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  EXPECT_TRUE(EVP_PKEY_get_bn_param(key, name, &bn));
  const int len = pad ? pad : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(len), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
  BN_free(bn);
  return b64url(out);
}

// The public JWK, written here from the key's parameters (not by payedge's public_jwk_json).
json jwk_of(EVP_PKEY* key, const std::string& kid) {
  if (EVP_PKEY_is_a(key, "EC")) {
    return {{"kty", "EC"},
            {"crv", "P-256"},
            {"kid", kid},
            {"alg", "ES256"},
            {"use", "sig"},
            {"x", bn_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, 32)},
            {"y", bn_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32)}};
  }
  return {{"kty", "RSA"},
          {"kid", kid},
          {"alg", "RS256"},
          {"use", "sig"},
          {"n", bn_b64(key, OSSL_PKEY_PARAM_RSA_N)},
          {"e", bn_b64(key, OSSL_PKEY_PARAM_RSA_E)}};
}

std::shared_ptr<const KeySet> key_set(const json& keys) {
  auto set = parse_jwks(json{{"keys", keys}}.dump());
  EXPECT_TRUE(set) << set.error().detail;
  return std::make_shared<const KeySet>(set ? std::move(*set) : KeySet{});
}

std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

class JwksTest : public testing::Test {
 protected:
  // One key pair of each kind for the suite: RSA generation is slow.
  static void SetUpTestSuite() {
    shared_ec_ = new PkeyPtr(wrap_pkey(EVP_EC_gen("P-256")));
    shared_rsa_ = new PkeyPtr(wrap_pkey(EVP_RSA_gen(2048)));
  }
  static void TearDownTestSuite() {
    delete shared_ec_;
    delete shared_rsa_;
  }
  void SetUp() override {
    ec_ = *shared_ec_;
    rsa_ = *shared_rsa_;
    ASSERT_TRUE(ec_ && rsa_);
    keys_ = key_set(json::array({jwk_of(ec_.get(), "ec-1"), jwk_of(rsa_.get(), "rsa-1")}));
  }
  static inline PkeyPtr* shared_ec_ = nullptr;
  static inline PkeyPtr* shared_rsa_ = nullptr;
  Result<JwtClaims> verify(const std::string& token, AuthPolicy policy = {}) {
    return verify_jwt(token, VerifyKeys{"legacy-secret-of-the-project", keys_}, policy, kNow);
  }
  std::string sign(EVP_PKEY* key, const std::string& kid, const std::string& payload = claims()) {
    auto t = sign_jwt_with_key(payload, key, kid);
    EXPECT_TRUE(t) << t.error().detail;
    return t.value_or("");
  }

  PkeyPtr ec_, rsa_;
  std::shared_ptr<const KeySet> keys_;
};

TEST_F(JwksTest, Es256IsAccepted) {
  auto r = verify(sign(ec_.get(), "ec-1"));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "user-es");
}

TEST_F(JwksTest, Rs256IsAccepted) {
  auto r = verify(sign(rsa_.get(), "rsa-1", claims("user-rs")));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "user-rs");
}

TEST_F(JwksTest, ClaimsAreCheckedAfterTheSignature) {
  EXPECT_TRUE(Refused(verify(sign(ec_.get(), "ec-1", claims("u", kNowS - 3600))), "expired"));
  EXPECT_TRUE(Refused(verify(sign(ec_.get(), "ec-1",
                                  R"({"sub":"u","aud":"anon","role":"authenticated","exp":)" +
                                      std::to_string(kNowS + 60) + "}")),
                      "aud"));
}

TEST_F(JwksTest, TamperedPayloadIsRefused) {
  for (EVP_PKEY* key : {ec_.get(), rsa_.get()}) {
    const std::string token = sign(key, key == ec_.get() ? "ec-1" : "rsa-1");
    const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
    const std::string forged =
        token.substr(0, dot1 + 1) + b64url(claims("admin")) + token.substr(dot2);
    EXPECT_TRUE(Refused(verify(forged), "bad signature"));
  }
}

TEST_F(JwksTest, AnotherKeyUnderTheSameKidIsRefused) {
  PkeyPtr other = wrap_pkey(EVP_EC_gen("P-256"));
  EXPECT_TRUE(Refused(verify(sign(other.get(), "ec-1")), "bad signature"));
}

TEST_F(JwksTest, UnknownOrMissingKidIsRefused) {
  EXPECT_TRUE(Refused(verify(sign(ec_.get(), "ec-2")), "unknown kid ec-2"));
  const std::string input = b64url(R"({"alg":"ES256","typ":"JWT"})") + "." + b64url(claims());
  const std::string with_kid = sign(ec_.get(), "ec-1");
  EXPECT_TRUE(Refused(verify(input + with_kid.substr(with_kid.rfind('.'))), "kid missing"));
}

TEST_F(JwksTest, AlgMustFitTheKeyType) {
  // An RS256 header naming the EC key, and the reverse: refused before any verification.
  const std::string es = sign(ec_.get(), "ec-1");
  const std::string rs_header = b64url(R"({"alg":"RS256","kid":"ec-1"})");
  EXPECT_TRUE(Refused(verify(rs_header + es.substr(es.find('.'))), "does not fit key ec-1"));
  const std::string rs = sign(rsa_.get(), "rsa-1");
  const std::string es_header = b64url(R"({"alg":"ES256","kid":"rsa-1"})");
  EXPECT_TRUE(Refused(verify(es_header + rs.substr(rs.find('.'))), "does not fit key rsa-1"));
}

TEST_F(JwksTest, AlgorithmConfusionWithThePublicKeyAsHmacSecretIsRefused) {
  // The classic attack: HS256 "signed" with the public key's bytes, which anyone can fetch.
  for (EVP_PKEY* key : {ec_.get(), rsa_.get()}) {
    const std::string kid = key == ec_.get() ? "ec-1" : "rsa-1";
    const std::string pem = public_pem(key);
    for (const std::string& header : {R"({"alg":"HS256","typ":"JWT","kid":")" + kid + "\"}",
                                      std::string(R"({"alg":"HS256"})")}) {
      SCOPED_TRACE(header);
      const std::string input = b64url(header) + "." + b64url(claims());
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      HMAC(EVP_sha256(), pem.data(), static_cast<int>(pem.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), md, &len);
      const std::string token =
          input + "." + b64url(std::string_view(reinterpret_cast<char*>(md), len));
      EXPECT_TRUE(Refused(verify(token)));
    }
    const std::string with_kid = b64url(R"({"alg":"HS256","kid":")" + kid + "\"}") + ".x.y";
    EXPECT_TRUE(Refused(verify(with_kid), "alg HS256 does not fit key " + kid));
  }
}

TEST_F(JwksTest, AlgNoneIsRefusedEvenWithAKnownKid) {
  const std::string token = b64url(R"({"alg":"none","kid":"ec-1"})") + "." + b64url(claims()) + ".";
  EXPECT_TRUE(Refused(verify(token), "alg none not accepted"));
}

TEST_F(JwksTest, NarrowedAlgorithmsRefuseTheOthers) {
  AuthPolicy p;
  p.algorithms = {"ES256"};
  EXPECT_TRUE(verify(sign(ec_.get(), "ec-1"), p));
  EXPECT_TRUE(Refused(verify(sign(rsa_.get(), "rsa-1"), p), "alg RS256 not accepted"));
}

TEST_F(JwksTest, MalformedEs256SignaturesAreRefused) {
  const std::string token = sign(ec_.get(), "ec-1");
  const std::string input = token.substr(0, token.rfind('.'));
  const std::string raw = *base64url_decode(token.substr(token.rfind('.') + 1));
  ASSERT_EQ(raw.size(), 64u);
  for (const std::string& sig :
       {raw.substr(0, 63), raw + std::string(1, '\0'), std::string(64, '\0'),
        std::string(64, '\xff'), raw.substr(32) + raw.substr(0, 32)}) {
    EXPECT_TRUE(Refused(verify(input + "." + b64url(sig)), "bad signature"));
  }
  // OpenSSL's own DER form is not a JWS signature.
  EXPECT_TRUE(
      Refused(verify(input + "." +
                     b64url("\x30\x44\x02\x20" + raw.substr(0, 32) + "\x02\x20" + raw.substr(32))),
              "bad signature"));
}

// --- vectors from the openssl command line -----------------------------------------------------

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

class OpensslCli : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/payedge-jwks-XXXXXX";
    dir_ = mkdtemp(tmpl);
    if (run("command -v openssl").empty()) GTEST_SKIP() << "openssl command not installed";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(path(name), std::ios::binary) << text;
  }
  // `openssl dgst -sha256 -sign` over the signing input: DER for EC, PKCS#1 v1.5 for RSA.
  std::string sign_with_cli(const std::string& key, const std::string& input) {
    write("input", input);
    run("openssl dgst -sha256 -sign " + path(key) + " -out " + path("sig") + " " + path("input"));
    std::ifstream in(path("sig"), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

TEST_F(OpensslCli, Es256VectorVerifies) {
  run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + path("ec.pem") +
      " 2>/dev/null");
  // The public point is the last 65 bytes (04 || x || y) of the SubjectPublicKeyInfo DER.
  const std::string spki = unhex(run("openssl pkey -in " + path("ec.pem") +
                                     " -pubout -outform DER | od -An -v -tx1 | tr -d ' \\n'"));
  ASSERT_EQ(spki.size(), 91u);
  const std::string point = spki.substr(spki.size() - 65);
  ASSERT_EQ(point[0], '\x04');
  const json jwk = {{"kty", "EC"},
                    {"crv", "P-256"},
                    {"kid", "cli-ec"},
                    {"x", b64url(point.substr(1, 32))},
                    {"y", b64url(point.substr(33, 32))}};
  const std::string input =
      b64url(R"({"alg":"ES256","typ":"JWT","kid":"cli-ec"})") + "." + b64url(claims("user-cli"));
  sign_with_cli("ec.pem", input);
  // r and s as `openssl asn1parse` prints them, each left-padded to 32 bytes.
  const std::string parsed = run("openssl asn1parse -inform DER -in " + path("sig"));
  std::regex integer(R"(INTEGER\s*:([0-9A-F]+))");
  std::string raw;
  for (auto it = std::sregex_iterator(parsed.begin(), parsed.end(), integer);
       it != std::sregex_iterator(); ++it) {
    std::string hex = (*it)[1];
    if (hex.size() % 2) hex = "0" + hex;
    std::string bytes = unhex(hex);
    while (bytes.size() > 32 && bytes.front() == '\0') bytes.erase(0, 1);
    raw += std::string(32 - bytes.size(), '\0') + bytes;
  }
  ASSERT_EQ(raw.size(), 64u) << parsed;
  auto keys = key_set(json::array({jwk}));
  auto r = verify_jwt(input + "." + b64url(raw), VerifyKeys{"", keys}, AuthPolicy{}, kNow);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "user-cli");
}

TEST_F(OpensslCli, Rs256VectorVerifies) {
  run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + path("rsa.pem") +
      " 2>/dev/null");
  std::string modulus = run("openssl rsa -in " + path("rsa.pem") + " -noout -modulus");
  ASSERT_TRUE(modulus.starts_with("Modulus="));
  modulus = modulus.substr(8, modulus.find_first_of("\r\n") - 8);
  const json jwk = {{"kty", "RSA"},
                    {"kid", "cli-rsa"},
                    {"alg", "RS256"},
                    {"n", b64url(unhex(modulus))},
                    {"e", "AQAB"}};
  const std::string input = b64url(R"({"alg":"RS256","typ":"JWT","kid":"cli-rsa"})") + "." +
                            b64url(claims("user-cli-rsa"));
  const std::string sig = sign_with_cli("rsa.pem", input);
  ASSERT_EQ(sig.size(), 256u);
  auto keys = key_set(json::array({jwk}));
  auto r = verify_jwt(input + "." + b64url(sig), VerifyKeys{"", keys}, AuthPolicy{}, kNow);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "user-cli-rsa");
  // And payedge's own RS256 signature is the bytes the command line makes over the same input
  // (PKCS#1 v1.5 is deterministic).
  FILE* f = std::fopen(path("rsa.pem").c_str(), "r");
  ASSERT_TRUE(f);
  PkeyPtr key = wrap_pkey(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  auto ours = sign_jwt_with_key(claims("user-cli-rsa"), key.get(), "cli-rsa");
  ASSERT_TRUE(ours);
  const std::string cli_sig = sign_with_cli("rsa.pem", ours->substr(0, ours->rfind('.')));
  EXPECT_EQ(ours->substr(ours->rfind('.') + 1), b64url(cli_sig));
}

// --- JWKS documents ------------------------------------------------------------------------------

TEST(ParseJwks, SkipsKeysThatDoNotSign) {
  PkeyPtr ec = wrap_pkey(EVP_EC_gen("P-256"));
  json good = jwk_of(ec.get(), "good");
  json enc = jwk_of(ec.get(), "enc");
  enc["use"] = "enc";
  json no_kid = jwk_of(ec.get(), "");
  no_kid.erase("kid");
  json oct = {{"kty", "oct"}, {"kid", "legacy"}, {"k", "c2VjcmV0"}};
  json p384 = {{"kty", "EC"}, {"crv", "P-384"}, {"kid", "p384"}, {"x", "AA"}, {"y", "AA"}};
  json wrong_alg = jwk_of(ec.get(), "wrong-alg");
  wrong_alg["alg"] = "RS256";
  json ops = jwk_of(ec.get(), "sign-only");
  ops["key_ops"] = json::array({"sign"});
  auto set = parse_jwks(json{{"keys", {good, enc, no_kid, oct, p384, wrong_alg, ops}}}.dump());
  ASSERT_TRUE(set) << set.error().detail;
  EXPECT_EQ(set->by_kid.size(), 1u);
  EXPECT_TRUE(set->by_kid.contains("good"));
  EXPECT_EQ(set->skipped.size(), 6u);
}

TEST(ParseJwks, RefusesBrokenDocumentsAndKeys) {
  PkeyPtr ec = wrap_pkey(EVP_EC_gen("P-256"));
  json off_curve = jwk_of(ec.get(), "off");
  off_curve["y"] = b64url(std::string(32, '\x01'));
  json short_x = jwk_of(ec.get(), "short");
  short_x["x"] = b64url(std::string(31, '\x01'));
  PkeyPtr small = wrap_pkey(EVP_RSA_gen(1024));
  for (const std::string& doc :
       {std::string("not json"), std::string("[]"), std::string(R"({"keys":{}})"),
        std::string(R"({"keys":[1]})"), json{{"keys", {off_curve}}}.dump(),
        json{{"keys", {short_x}}}.dump(), json{{"keys", {jwk_of(small.get(), "rsa-1024")}}}.dump(),
        json{{"keys", {jwk_of(ec.get(), "dup"), jwk_of(ec.get(), "dup")}}}.dump()}) {
    SCOPED_TRACE(doc.substr(0, 60));
    EXPECT_FALSE(parse_jwks(doc));
  }
  auto empty = parse_jwks(R"({"keys":[]})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->by_kid.empty());
}

TEST(ParseJwks, PublicJwkRoundTripsAndItsThumbprintIsTheKid) {
  PkeyPtr ec = wrap_pkey(EVP_EC_gen("P-256"));
  auto kid = jwk_thumbprint(ec.get());
  ASSERT_TRUE(kid);
  EXPECT_EQ(kid->size(), 43u);  // base64url of 32 bytes
  auto jwk = public_jwk_json(ec.get(), *kid);
  ASSERT_TRUE(jwk);
  auto set = parse_jwks(R"({"keys":[)" + *jwk + "]}");
  ASSERT_TRUE(set);
  ASSERT_TRUE(set->by_kid.contains(*kid));
  EXPECT_EQ(*jwk_thumbprint(set->by_kid.at(*kid).key.get()), *kid);
}

// --- the dev keys of `payedge token --init-keys` -------------------------------------------------

TEST(DevKeys, InitWritesAPrivateKeyOnlyTheOwnerReadsAndRotationKeepsTheOldKey) {
  char tmpl[] = "/tmp/payedge-devkeys-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  auto first = init_dev_keys(dir);
  ASSERT_TRUE(first) << first.error().detail;
  struct stat st {};
  ASSERT_EQ(stat((dir + "/private.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = load_signing_key(dir);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->kid, first->kid);
  const std::string old_token = *sign_jwt_with_key(claims("old"), loaded->key.get(), loaded->kid);

  auto second = init_dev_keys(dir);
  ASSERT_TRUE(second);
  EXPECT_NE(second->kid, first->kid);
  std::ifstream in(dir + "/jwks.json");
  std::stringstream text;
  text << in.rdbuf();
  auto set = parse_jwks(text.str());
  ASSERT_TRUE(set);
  EXPECT_EQ(set->by_kid.size(), 2u);
  auto keys = std::make_shared<const KeySet>(std::move(*set));
  EXPECT_TRUE(verify_jwt(old_token, VerifyKeys{"", keys}, AuthPolicy{}, kNow));
  const std::string new_token = *sign_jwt_with_key(claims("new"), second->key.get(), second->kid);
  EXPECT_TRUE(verify_jwt(new_token, VerifyKeys{"", keys}, AuthPolicy{}, kNow));
  std::filesystem::remove_all(dir);
}

TEST(DevKeys, MissingFolderNamesTheInitCommand) {
  auto r = load_signing_key("/nonexistent/payedge-keys");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("--init-keys"), std::string::npos);
}

}  // namespace
}  // namespace payedge
