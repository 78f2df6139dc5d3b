// Thin wrappers over OpenSSL: base64 (standard and URL alphabets), HMAC-SHA256, SHA-256,
// constant-time comparison and random identifiers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace payedge {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);  // no padding, as JWTs use
std::optional<std::string> base64url_decode(std::string_view text);

std::string hmac_sha256(std::string_view key, std::string_view message);  // raw 32 bytes
std::string sha256_hex(std::string_view data);
bool constant_time_equal(std::string_view a, std::string_view b);
std::string random_hex(size_t bytes);

}  // namespace payedge
