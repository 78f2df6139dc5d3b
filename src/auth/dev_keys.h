// Development signing keys for `payedge token --init-keys DIR` and `--alg ES256`: an EC P-256
// key pair in DIR/private.pem and the public half in DIR/jwks.json, in the shape Supabase
// publishes at /auth/v1/.well-known/jwks.json. The kid is the key's RFC 7638 thumbprint.
#pragma once

#include <string>

#include "auth/jwk.h"
#include "core/error.h"

namespace payedge {

struct SigningKey {
  PkeyPtr key;
  std::string kid;
};

// Writes a new key. An existing DIR/jwks.json keeps its keys after the new one (a rotation:
// tokens signed with the old key still verify), at most `keep_old` of them.
Result<SigningKey> init_dev_keys(const std::string& dir, int keep_old = 2);
// DIR/private.pem (EC P-256 or RSA, PEM) and its kid.
Result<SigningKey> load_signing_key(const std::string& dir);

}  // namespace payedge
