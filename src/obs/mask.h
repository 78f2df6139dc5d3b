// PII masking of SPEC section 11.
#pragma once

#include <string>
#include <string_view>

namespace payedge {

// What JWTs and secrets become.
inline constexpr std::string_view kRedacted = "[REDACTED]";

// First 4 and last 4 characters; shorter keys are masked whole.
std::string mask_payment_key(std::string_view key);

// The Luhn checksum over a string of ASCII digits (false when it holds anything else).
bool luhn_valid(std::string_view digits);

// "kim@example.com" → "k***@example.com". Text that is not an e-mail comes back unchanged.
std::string mask_email(std::string_view email);

// IPv4 to its /24 ("203.0.113.77" → "203.0.113.0/24"), IPv6 to its /48; anything else unchanged.
std::string mask_ip(std::string_view ip);

// A secret of this process (the JWT secret, the admin token, a webhook secret, the Toss key):
// mask_text redacts it wherever it appears, even without a marker such as "secret=". Called
// while the process starts, before any thread masks (the list is read without a lock).
void add_known_secret(std::string_view secret);

// Every kind of SPEC section 11 PII found inside free text: JWTs, bearer/basic credentials,
// Toss secret keys and `secret=...`-style values become [REDACTED]; e-mails keep their first
// character and domain; phone numbers lose their middle group ("010-****-5678"); digit runs
// of 13–19 digits passing Luhn keep their last 4; IPv4 addresses become their /24.
// Applying it twice gives the same text as applying it once.
std::string mask_text(std::string_view text);

// A string value of a log field: by its name first (payment_key, ip, secret-like names),
// then mask_text. `name` is the field's key ("" for array elements).
std::string mask_field(std::string_view name, std::string_view value);

}  // namespace payedge
