// The Toss webhook signature scheme (payout.changed, seller.changed): header
// `tosspayments-webhook-signature: v1:<b64>,<b64>` (or `v1:<b64>,v1:<b64>`)
// over `raw_body + ":" + transmission_time`, HMAC-SHA256, base64; any v1 may match the
// current secret or, during a rotation, the previous one; the time within ±tolerance.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace payedge {

enum class SignatureFailure { kNone, kMissing, kMalformed, kMismatch, kStale };
std::string_view to_string(SignatureFailure f);

struct WebhookSecrets {
  std::string current;
  std::string previous;              // accepted until previous_valid_until
  EpochMs previous_valid_until = 0;  // 0 with a previous secret: accepted without end (env)
};

struct SignatureCheck {
  SignatureFailure failure = SignatureFailure::kNone;
  bool matched_previous = false;
  bool ok() const { return failure == SignatureFailure::kNone; }
};

inline constexpr size_t kMaxSignatureHeader = 2048;
inline constexpr size_t kMaxSignatures = 8;

// The decoded v1 signatures, or nullopt when the header is not of the scheme's shape.
std::optional<std::vector<std::string>> parse_signature_header(std::string_view header);

// `signature_headers` holds every value of the header (more than one is malformed).
SignatureCheck verify_webhook_signature(std::string_view body,
                                        const std::vector<std::string_view>& signature_headers,
                                        std::optional<std::string_view> transmission_time,
                                        const WebhookSecrets& secrets, EpochMs now,
                                        int tolerance_s);

// "v1:<base64>" for `secret` (the simulator signs with it).
std::string sign_webhook(std::string_view body, std::string_view transmission_time,
                         std::string_view secret);

}  // namespace payedge
