#include "auth/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <nlohmann/json.hpp>

#include "core/codec.h"

namespace payedge {
namespace {

using nlohmann::json;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

// A base64url member of a JWK, decoded; nullopt when absent, not a string or not base64url.
std::optional<std::string> b64_member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return base64url_decode(it->get_ref<const std::string&>());
}

std::string string_member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// OpenSSL 3: a public key from its parameters (EVP_PKEY_fromdata), then checked.
Result<PkeyPtr> key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return fail(ErrorCode::kInvalidRequest, "key parameters rejected by OpenSSL");
  }
  PkeyPtr key = wrap_pkey(raw);
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) <= 0) {
    return fail(ErrorCode::kInvalidRequest, "public key fails OpenSSL's check");
  }
  return key;
}

Result<PkeyPtr> ec_key(const json& jwk) {
  if (string_member(jwk, "crv") != "P-256") {
    return fail(ErrorCode::kInvalidRequest, "curve is not P-256");
  }
  auto x = b64_member(jwk, "x");
  auto y = b64_member(jwk, "y");
  if (!x || !y || x->size() != 32 || y->size() != 32) {
    return fail(ErrorCode::kInvalidRequest, "x and y must be 32 bytes of base64url");
  }
  const std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return fail(ErrorCode::kInternal, "OpenSSL parameter builder failed");
  }
  return key_from_params("EC", bld.get());
}

Result<PkeyPtr> rsa_key(const json& jwk) {
  auto n = b64_member(jwk, "n");
  auto e = b64_member(jwk, "e");
  if (!n || !e || n->empty() || e->empty() || e->size() > 8) {
    return fail(ErrorCode::kInvalidRequest, "n and e must be base64url");
  }
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                       static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                       static_cast<int>(e->size()), nullptr));
  // Below 2048 bits RSA is not a signature anyone should trust (NIST SP 800-131A).
  if (!bn_n || !bn_e || BN_num_bits(bn_n.get()) < 2048 || BN_num_bits(bn_n.get()) > 8192) {
    return fail(ErrorCode::kInvalidRequest, "RSA modulus must be 2048..8192 bits");
  }
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return fail(ErrorCode::kInternal, "OpenSSL parameter builder failed");
  }
  return key_from_params("RSA", bld.get());
}

std::optional<KeyType> type_of(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return KeyType::kRsa;
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) &&
        (std::string_view(group) == "prime256v1" || std::string_view(group) == "P-256")) {
      return KeyType::kEcP256;
    }
  }
  return std::nullopt;
}

std::optional<std::string> bn_param(EVP_PKEY* key, const char* name, int pad_to = 0) {
  BIGNUM* raw = nullptr;
  if (!EVP_PKEY_get_bn_param(key, name, &raw)) return std::nullopt;
  BnPtr bn(raw);
  const int len = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string out(static_cast<size_t>(len), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), len) != len) {
    return std::nullopt;
  }
  return out;
}

// The members RFC 7638 requires, which are also all a public JWK needs.
Result<json> required_members(EVP_PKEY* key) {
  const auto type = type_of(key);
  if (!type) return fail(ErrorCode::kInvalidRequest, "only EC P-256 and RSA keys are supported");
  if (*type == KeyType::kEcP256) {
    auto x = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
    auto y = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    if (!x || !y) return fail(ErrorCode::kInternal, "cannot read the EC public point");
    return json{
        {"crv", "P-256"}, {"kty", "EC"}, {"x", base64url_encode(*x)}, {"y", base64url_encode(*y)}};
  }
  auto n = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
  auto e = bn_param(key, OSSL_PKEY_PARAM_RSA_E);
  if (!n || !e) return fail(ErrorCode::kInternal, "cannot read the RSA public key");
  return json{{"e", base64url_encode(*e)}, {"kty", "RSA"}, {"n", base64url_encode(*n)}};
}

}  // namespace

std::string_view algorithm_of(KeyType type) { return type == KeyType::kEcP256 ? "ES256" : "RS256"; }

PkeyPtr wrap_pkey(EVP_PKEY* key) { return PkeyPtr(key, EVP_PKEY_free); }

Result<KeySet> parse_jwks(std::string_view text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorCode::kInvalidRequest, "JWKS is not a JSON object");
  }
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) {
    return fail(ErrorCode::kInvalidRequest, "JWKS has no \"keys\" array");
  }
  KeySet set;
  for (const json& jwk : *keys) {
    if (!jwk.is_object()) return fail(ErrorCode::kInvalidRequest, "a JWKS key is not an object");
    const std::string kid = string_member(jwk, "kid");
    const std::string kty = string_member(jwk, "kty");
    const std::string use = string_member(jwk, "use");
    const std::string alg = string_member(jwk, "alg");
    const std::string name = kid.empty() ? "(no kid)" : kid;
    if (kty != "EC" && kty != "RSA") {
      set.skipped.push_back(name + ": kty " + (kty.empty() ? "missing" : kty) + " not used");
      continue;
    }
    if (!use.empty() && use != "sig") {
      set.skipped.push_back(name + ": use " + use);
      continue;
    }
    if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
      bool verify = false;
      if (ops->is_array()) {
        for (const json& op : *ops) verify = verify || (op.is_string() && op == "verify");
      }
      if (!verify) {
        set.skipped.push_back(name + ": key_ops without verify");
        continue;
      }
    }
    if (kid.empty()) {
      set.skipped.push_back(name + ": no kid");
      continue;
    }
    if (kty == "EC" && string_member(jwk, "crv") != "P-256") {
      set.skipped.push_back(kid + ": curve " + string_member(jwk, "crv") + " not supported");
      continue;
    }
    const KeyType type = kty == "EC" ? KeyType::kEcP256 : KeyType::kRsa;
    // A key's own alg, when it names one, must be the one its type allows.
    if (!alg.empty() && alg != algorithm_of(type)) {
      set.skipped.push_back(kid + ": alg " + alg + " does not fit kty " + kty);
      continue;
    }
    auto key = type == KeyType::kEcP256 ? ec_key(jwk) : rsa_key(jwk);
    if (!key) {
      return fail(ErrorCode::kInvalidRequest, "JWKS key " + kid + ": " + key.error().detail);
    }
    if (set.by_kid.contains(kid)) {
      return fail(ErrorCode::kInvalidRequest, "JWKS has kid " + kid + " twice");
    }
    set.by_kid.emplace(kid, VerifyKey{kid, type, std::move(*key)});
  }
  return set;
}

Result<std::string> jwk_thumbprint(EVP_PKEY* key) {
  auto members = required_members(key);
  if (!members) return std::unexpected(members.error());
  // nlohmann's object is ordered by key and dumps without whitespace: RFC 7638's form.
  const std::string canonical = members->dump();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(canonical.data(), canonical.size(), md, &len, EVP_sha256(), nullptr)) {
    return fail(ErrorCode::kInternal, "SHA-256 failed");
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

Result<std::string> public_jwk_json(EVP_PKEY* key, const std::string& kid) {
  auto members = required_members(key);
  if (!members) return std::unexpected(members.error());
  json jwk = *members;
  jwk["kid"] = kid;
  jwk["alg"] = std::string(algorithm_of(*type_of(key)));
  jwk["use"] = "sig";
  jwk["key_ops"] = json::array({"verify"});
  return jwk.dump();
}

}  // namespace payedge
