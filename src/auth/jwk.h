// Public keys of a Supabase project's JWKS (`/auth/v1/.well-known/jwks.json`) as OpenSSL
// EVP_PKEYs, by `kid`; and the dev key pair of `payedge token --init-keys`.
// Supabase publishes EC P-256 (ES256) and RSA (RS256) keys there; the legacy HS256 secret is
// never in it (https://supabase.com/docs/guides/auth/signing-keys).
#pragma once

#include <openssl/evp.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace payedge {

// The type of a key decides the one algorithm it verifies: EC P-256 → ES256, RSA → RS256.
enum class KeyType { kEcP256, kRsa };
std::string_view algorithm_of(KeyType type);

using PkeyPtr = std::shared_ptr<EVP_PKEY>;
PkeyPtr wrap_pkey(EVP_PKEY* key);  // takes ownership (nullptr stays nullptr)

struct VerifyKey {
  std::string kid;
  KeyType type = KeyType::kEcP256;
  PkeyPtr key;
};

struct KeySet {
  std::map<std::string, VerifyKey, std::less<>> by_kid;
  std::vector<std::string> skipped;  // keys not usable for verifying, and why (no key material)
};

// A JWKS document → its signature keys. Keys for encryption, symmetric keys, other curves and
// keys without a kid are skipped (listed in `skipped`); a document that is not a JWKS, or a key
// of a supported type with broken parameters, is an error naming the key.
Result<KeySet> parse_jwks(std::string_view text);

// The public JWK of `key` (EC P-256 or RSA) with `kid`, `alg`, `use: sig`.
Result<std::string> public_jwk_json(EVP_PKEY* key, const std::string& kid);
// RFC 7638 thumbprint (base64url of SHA-256 over the required members) — a stable kid.
Result<std::string> jwk_thumbprint(EVP_PKEY* key);

}  // namespace payedge
