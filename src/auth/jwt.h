// Supabase user access tokens (SPEC section 4): HS256 with the legacy shared secret, ES256 and
// RS256 with the project's JWKS keys by `kid`. The algorithm must fit the key; `exp` is
// required, `nbf`/`iat` are honoured with the skew; `aud` and `role` are checked; `sub` is the
// user id. https://supabase.com/docs/guides/auth/jwts,
// https://supabase.com/docs/guides/auth/signing-keys
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwk.h"
#include "core/error.h"
#include "core/time.h"

namespace payedge {

struct JwtClaims {
  std::string sub;
  EpochMs expires_at = 0;
};

// What a token must satisfy besides its signature ([auth] in payedge.toml).
struct AuthPolicy {
  int clock_skew_s = 30;
  std::vector<std::string> algorithms = {"HS256", "ES256", "RS256"};
  std::vector<std::string> audiences = {"authenticated"};  // `aud` (string or array) meets one
  std::vector<std::string> roles = {"authenticated"};
  std::string issuer;            // empty: `iss` not checked
  bool allow_anonymous = false;  // Supabase anonymous sign-ins carry is_anonymous: true
};

// The keys a token may be verified with.
struct VerifyKeys {
  std::string_view hs256_secret;       // empty: HS256 refused
  std::shared_ptr<const KeySet> jwks;  // may be null
};

// The header fields that choose a key, read before any verification.
struct JwtHeader {
  std::string alg;
  std::string kid;
};
Result<JwtHeader> read_jwt_header(std::string_view token);

// E_UNAUTHORIZED with the reason in the detail (never the token), or the claims.
Result<JwtClaims> verify_jwt(std::string_view token, const VerifyKeys& keys,
                             const AuthPolicy& policy, EpochMs now);

// HS256 only, the default policy with `clock_skew_s` (legacy callers, the fuzz target).
Result<JwtClaims> verify_jwt(std::string_view token, std::string_view secret, EpochMs now,
                             int clock_skew_s = 30);

// Supabase-shaped claims for `sub`: aud/role authenticated, iat, exp = now + ttl.
std::string dev_claims_json(std::string_view sub, EpochMs now, int ttl_s);

// A signed HS256 token for `sub`, valid for `ttl_s` seconds from `now` (dev tokens, tests).
std::string sign_jwt(std::string_view sub, std::string_view secret, EpochMs now, int ttl_s);

// A JWS over `claims_json` signed with `key` (EC P-256 → ES256, RSA → RS256) and `kid`.
Result<std::string> sign_jwt_with_key(std::string_view claims_json, EVP_PKEY* key,
                                      std::string_view kid);

}  // namespace payedge
