// Webhook signing secrets at rest (docs/DEPLOY.md "Secrets at rest"): AES-256-GCM with a
// 32-byte key from the environment (PAYEDGE_SECRETS_KEY). HMAC verification needs the secret
// itself, so a hash alone cannot be stored; encryption keeps a copied database file useless
// without the key. Sealed text: "enc:v1:" + base64(nonce 12 | ciphertext | tag 16).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace payedge {

inline constexpr std::string_view kSealedPrefix = "enc:v1:";

// The key: 32 bytes as 64 hex digits or as base64 (`openssl rand -base64 32`).
Result<std::string> parse_secrets_key(std::string_view text);

bool is_sealed(std::string_view text);
// `key` is 32 raw bytes (parse_secrets_key's result).
std::string seal_secret(std::string_view key, std::string_view plaintext);
// Fails on a wrong key or a changed text (the GCM tag does not match).
Result<std::string> open_secret(std::string_view key, std::string_view sealed);

}  // namespace payedge
