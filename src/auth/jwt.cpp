#include "auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/codec.h"

namespace payedge {
namespace {

using nlohmann::json;

// Year 9999: a NumericDate past it is not a date anyone issues; refusing it keeps every
// conversion (seconds → milliseconds, the skew added) far from overflow.
constexpr std::int64_t kMaxNumericDate = 253'402'300'799;
constexpr size_t kMaxSub = 128;
constexpr size_t kMaxKid = 128;

Result<json> decode_part(std::string_view part, const char* what) {
  auto raw = base64url_decode(part);
  if (!raw) return fail(ErrorCode::kUnauthorized, std::string(what) + " is not base64url");
  json j = json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::kUnauthorized, std::string(what) + " is not a JSON object");
  }
  return j;
}

struct TokenParts {
  std::string_view header, payload, signing_input, signature;
};

Result<TokenParts> split(std::string_view token) {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(ErrorCode::kUnauthorized, "token is not a JWT");
  }
  return TokenParts{token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1),
                    token.substr(0, dot2), token.substr(dot2 + 1)};
}

// RFC 7519 NumericDate (seconds, a fraction allowed). Absent → nullopt; anything that is not a
// number in [0, year 9999] — 1e300, 2^64, 9e18, NaN can't be written in JSON — is refused
// before any conversion, so nothing overflows.
Result<std::optional<std::int64_t>> numeric_date(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<std::int64_t>();
  const std::string bad = std::string(name) + " out of range";
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(kMaxNumericDate)) return fail(ErrorCode::kUnauthorized, bad);
    return std::optional<std::int64_t>(static_cast<std::int64_t>(v));
  }
  if (it->is_number_integer()) {
    const auto v = it->get<std::int64_t>();
    if (v < 0 || v > kMaxNumericDate) return fail(ErrorCode::kUnauthorized, bad);
    return std::optional<std::int64_t>(v);
  }
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < 0 || v > static_cast<double>(kMaxNumericDate)) {
      return fail(ErrorCode::kUnauthorized, bad);
    }
    return std::optional<std::int64_t>(static_cast<std::int64_t>(std::floor(v)));
  }
  return fail(ErrorCode::kUnauthorized, std::string(name) + " is not a number");
}

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// A kid goes into the log line's reason: printable ASCII and short, or not echoed at all.
bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool verify_hs256(std::string_view secret, const TokenParts& t, std::string_view signature) {
  return constant_time_equal(signature, hmac_sha256(secret, t.signing_input));
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

// JWS ES256 carries the signature as raw r||s (RFC 7518 section 3.4); OpenSSL verifies DER.
std::optional<std::string> es256_raw_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool verify_with_key(const VerifyKey& key, const TokenParts& t, std::string_view signature) {
  std::string der;
  if (key.type == KeyType::kEcP256) {
    auto converted = es256_raw_to_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key.key.get()))) {
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(t.signing_input.data()),
                          t.signing_input.size()) == 1;
}

Status check_audience(const json& claims, const AuthPolicy& policy) {
  if (policy.audiences.empty()) return {};
  auto aud = claims.find("aud");
  if (aud == claims.end()) return fail(ErrorCode::kUnauthorized, "aud missing");
  if (aud->is_string() && contains(policy.audiences, aud->get_ref<const std::string&>())) return {};
  if (aud->is_array()) {
    for (const json& a : *aud) {
      if (a.is_string() && contains(policy.audiences, a.get_ref<const std::string&>())) return {};
    }
  }
  return fail(ErrorCode::kUnauthorized, "aud not accepted");
}

Result<JwtClaims> check_claims(const json& claims, const AuthPolicy& policy, EpochMs now) {
  const std::int64_t now_s = now / 1000;
  const std::int64_t skew = std::clamp(policy.clock_skew_s, 0, 86'400);
  auto exp = numeric_date(claims, "exp");
  if (!exp) return std::unexpected(exp.error());
  if (!*exp) return fail(ErrorCode::kUnauthorized, "exp is required");
  if (now_s >= **exp + skew) return fail(ErrorCode::kUnauthorized, "token expired");
  auto nbf = numeric_date(claims, "nbf");
  if (!nbf) return std::unexpected(nbf.error());
  if (*nbf && now_s + skew < **nbf) return fail(ErrorCode::kUnauthorized, "token not yet valid");
  auto iat = numeric_date(claims, "iat");
  if (!iat) return std::unexpected(iat.error());
  if (*iat && now_s + skew < **iat) return fail(ErrorCode::kUnauthorized, "iat in the future");

  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty() ||
      sub->get_ref<const std::string&>().size() > kMaxSub) {
    return fail(ErrorCode::kUnauthorized, "sub is missing");
  }
  if (auto st = check_audience(claims, policy); !st) return std::unexpected(st.error());
  if (!policy.roles.empty()) {
    auto role = claims.find("role");
    if (role == claims.end() || !role->is_string() ||
        !contains(policy.roles, role->get_ref<const std::string&>())) {
      return fail(ErrorCode::kUnauthorized, "role not accepted");
    }
  }
  if (!policy.issuer.empty()) {
    auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() || *iss != policy.issuer) {
      return fail(ErrorCode::kUnauthorized, "iss not accepted");
    }
  }
  if (auto anon = claims.find("is_anonymous"); anon != claims.end()) {
    if (!anon->is_boolean()) return fail(ErrorCode::kUnauthorized, "is_anonymous is not boolean");
    if (anon->get<bool>() && !policy.allow_anonymous) {
      return fail(ErrorCode::kUnauthorized, "anonymous user refused");
    }
  }
  return JwtClaims{sub->get<std::string>(), **exp * 1000};
}

}  // namespace

Result<JwtHeader> read_jwt_header(std::string_view token) {
  auto parts = split(token);
  if (!parts) return std::unexpected(parts.error());
  auto header = decode_part(parts->header, "header");
  if (!header) return std::unexpected(header.error());
  JwtHeader h;
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) {
    return fail(ErrorCode::kUnauthorized, "alg missing");
  }
  h.alg = alg->get<std::string>();
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->is_string() || kid->get_ref<const std::string&>().size() > kMaxKid ||
        !printable(kid->get_ref<const std::string&>())) {
      return fail(ErrorCode::kUnauthorized, "kid malformed");
    }
    h.kid = kid->get<std::string>();
  }
  return h;
}

Result<JwtClaims> verify_jwt(std::string_view token, const VerifyKeys& keys,
                             const AuthPolicy& policy, EpochMs now) {
  auto parts = split(token);
  if (!parts) return std::unexpected(parts.error());
  auto header = read_jwt_header(token);
  if (!header) return std::unexpected(header.error());
  const std::string& alg = header->alg;
  // The algorithm list is closed: "none", HS512, "hs256" and friends never reach a key.
  const bool known = alg == "HS256" || alg == "ES256" || alg == "RS256";
  if (!known || !contains(policy.algorithms, alg)) {
    return fail(
        ErrorCode::kUnauthorized,
        "alg " + (known || (alg.size() <= 16 && printable(alg)) ? alg : "?") + " not accepted");
  }
  const VerifyKey* key = nullptr;
  if (!header->kid.empty() && keys.jwks) {
    if (auto it = keys.jwks->by_kid.find(header->kid); it != keys.jwks->by_kid.end()) {
      key = &it->second;
    }
  }
  if (alg == "HS256") {
    // Algorithm confusion: an HS256 token naming a public key is never checked with it.
    if (key) {
      return fail(ErrorCode::kUnauthorized, "alg HS256 does not fit key " + header->kid + " (" +
                                                std::string(algorithm_of(key->type)) + ")");
    }
    if (keys.hs256_secret.empty()) {
      return fail(ErrorCode::kUnauthorized, "HS256 without a shared secret configured");
    }
    auto signature = base64url_decode(parts->signature);
    if (!signature) return fail(ErrorCode::kUnauthorized, "signature is not base64url");
    if (!verify_hs256(keys.hs256_secret, *parts, *signature)) {
      return fail(ErrorCode::kUnauthorized, "bad signature");
    }
  } else {
    if (header->kid.empty()) return fail(ErrorCode::kUnauthorized, "kid missing");
    if (!key) return fail(ErrorCode::kUnauthorized, "unknown kid " + header->kid);
    if (algorithm_of(key->type) != alg) {
      return fail(ErrorCode::kUnauthorized, "alg " + alg + " does not fit key " + header->kid +
                                                " (" + std::string(algorithm_of(key->type)) + ")");
    }
    auto signature = base64url_decode(parts->signature);
    if (!signature) return fail(ErrorCode::kUnauthorized, "signature is not base64url");
    if (!verify_with_key(*key, *parts, *signature)) {
      return fail(ErrorCode::kUnauthorized, "bad signature");
    }
  }
  auto claims = decode_part(parts->payload, "payload");
  if (!claims) return std::unexpected(claims.error());
  return check_claims(*claims, policy, now);
}

Result<JwtClaims> verify_jwt(std::string_view token, std::string_view secret, EpochMs now,
                             int clock_skew_s) {
  AuthPolicy policy;
  policy.clock_skew_s = clock_skew_s;
  policy.algorithms = {"HS256"};
  return verify_jwt(token, VerifyKeys{secret, nullptr}, policy, now);
}

std::string dev_claims_json(std::string_view sub, EpochMs now, int ttl_s) {
  return json{{"sub", std::string(sub)}, {"aud", "authenticated"}, {"role", "authenticated"},
              {"is_anonymous", false},   {"iat", now / 1000},      {"exp", now / 1000 + ttl_s}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string sign_jwt(std::string_view sub, std::string_view secret, EpochMs now, int ttl_s) {
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  std::string signing_input =
      base64url_encode(header.dump()) + "." + base64url_encode(dev_claims_json(sub, now, ttl_s));
  return signing_input + "." + base64url_encode(hmac_sha256(secret, signing_input));
}

Result<std::string> sign_jwt_with_key(std::string_view claims_json, EVP_PKEY* key,
                                      std::string_view kid) {
  const bool ec = EVP_PKEY_is_a(key, "EC");
  if (!ec && !EVP_PKEY_is_a(key, "RSA")) {
    return fail(ErrorCode::kInvalidRequest, "signing key must be EC P-256 or RSA");
  }
  const json header = {{"alg", ec ? "ES256" : "RS256"}, {"typ", "JWT"}, {"kid", std::string(kid)}};
  const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims_json);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return fail(ErrorCode::kInternal, "signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return fail(ErrorCode::kInternal, "signing failed");
  }
  sig.resize(len);
  if (ec) {
    // OpenSSL signs DER; the JWS wants raw r||s, each 32 bytes.
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    std::unique_ptr<ECDSA_SIG, SigFree> parsed(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
    if (!parsed) return fail(ErrorCode::kInternal, "signing failed");
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    if (BN_bn2binpad(ECDSA_SIG_get0_r(parsed.get()), out, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(parsed.get()), out + 32, 32) != 32) {
      return fail(ErrorCode::kInternal, "signing failed");
    }
    sig = std::move(raw);
  }
  return input + "." + base64url_encode(sig);
}

}  // namespace payedge
