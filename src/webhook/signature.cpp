#include "webhook/signature.h"

#include "core/codec.h"
#include "core/text.h"

namespace payedge {
namespace {

bool matches_any(const std::vector<std::string>& signatures, std::string_view secret,
                 std::string_view message) {
  if (secret.empty()) return false;
  const std::string expected = hmac_sha256(secret, message);
  bool match = false;
  // Compare against every candidate, constant time each, without stopping early.
  for (const auto& s : signatures) match = constant_time_equal(s, expected) || match;
  return match;
}

}  // namespace

std::string_view to_string(SignatureFailure f) {
  switch (f) {
    case SignatureFailure::kNone:
      return "ok";
    case SignatureFailure::kMissing:
      return "missing";
    case SignatureFailure::kMalformed:
      return "malformed";
    case SignatureFailure::kMismatch:
      return "mismatch";
    case SignatureFailure::kStale:
      return "stale";
  }
  return "?";
}

std::optional<std::vector<std::string>> parse_signature_header(std::string_view header) {
  if (header.size() > kMaxSignatureHeader) return std::nullopt;
  // Toss's own example is `v1:A,B`: one prefix, then every value up to the next prefix is of
  // that scheme (https://techchat.tosspayments.com/m/1308725417263497257). `v1:A,v1:B` is the
  // same pair. Base64 has no ':', so a value with one starts a new scheme.
  std::vector<std::string> out;
  bool in_v1 = false;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view part = trim_ows(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (part.empty()) continue;
    if (const auto colon = part.find(':'); colon != std::string_view::npos) {
      in_v1 = part.substr(0, colon) == "v1";
      part = trim_ows(part.substr(colon + 1));
    }
    if (!in_v1) continue;  // other schemes (or values before any prefix) are not ours to judge
    auto raw = base64_decode(part);
    if (!raw || raw->size() != 32) return std::nullopt;
    if (out.size() == kMaxSignatures) return std::nullopt;
    out.push_back(std::move(*raw));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

SignatureCheck verify_webhook_signature(std::string_view body,
                                        const std::vector<std::string_view>& signature_headers,
                                        std::optional<std::string_view> transmission_time,
                                        const WebhookSecrets& secrets, EpochMs now,
                                        int tolerance_s) {
  SignatureCheck check;
  if (signature_headers.empty() || !transmission_time || trim_ows(signature_headers[0]).empty()) {
    check.failure = SignatureFailure::kMissing;
    return check;
  }
  if (signature_headers.size() > 1) {
    check.failure = SignatureFailure::kMalformed;
    return check;
  }
  auto signatures = parse_signature_header(signature_headers[0]);
  auto sent_at = parse_rfc3339(*transmission_time);
  if (!signatures || !sent_at) {
    check.failure = SignatureFailure::kMalformed;
    return check;
  }
  std::string message(body);
  message += ':';
  message += *transmission_time;
  const bool previous_live = !secrets.previous.empty() && (secrets.previous_valid_until == 0 ||
                                                           now < secrets.previous_valid_until);
  const bool current = matches_any(*signatures, secrets.current, message);
  const bool previous = previous_live && matches_any(*signatures, secrets.previous, message);
  if (!current && !previous) {
    check.failure = SignatureFailure::kMismatch;
    return check;
  }
  // The time is signed too, so it is judged only once the signature holds.
  const EpochMs skew = now > *sent_at ? now - *sent_at : *sent_at - now;
  if (skew > tolerance_s * 1000LL) {
    check.failure = SignatureFailure::kStale;
    return check;
  }
  check.matched_previous = !current && previous;
  return check;
}

std::string sign_webhook(std::string_view body, std::string_view transmission_time,
                         std::string_view secret) {
  std::string message(body);
  message += ':';
  message += transmission_time;
  return "v1:" + base64_encode(hmac_sha256(secret, message));
}

}  // namespace payedge
