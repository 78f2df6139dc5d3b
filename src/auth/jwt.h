// Supabase-style JWTs: HS256 only (alg pinned), `sub` is the user id, `exp`/`nbf` checked.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/time.h"

namespace payedge {

struct JwtClaims {
  std::string sub;
  EpochMs expires_at = 0;
};

// E_UNAUTHORIZED with the reason in the detail (never the token), or the claims.
Result<JwtClaims> verify_jwt(std::string_view token, std::string_view secret, EpochMs now,
                             int clock_skew_s = 30);

// A signed HS256 token for `sub`, valid for `ttl_s` seconds from `now` (dev tokens, tests).
std::string sign_jwt(std::string_view sub, std::string_view secret, EpochMs now, int ttl_s);

}  // namespace payedge
