// libFuzzer target: the webhook signature header parser and verifier, and the body parser.
// The input is split into header | time | body; nothing may crash, and a forged input must
// never verify.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "webhook/signature.h"
#include "webhook/webhook_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto first = input.find('|');
  const auto second = first == std::string_view::npos ? first : input.find('|', first + 1);
  if (second == std::string_view::npos) {
    (void)payedge::parse_signature_header(input);
    return 0;
  }
  const std::string_view header = input.substr(0, first);
  const std::string_view time = input.substr(first + 1, second - first - 1);
  const std::string_view body = input.substr(second + 1);
  // The body parser sees the same untrusted bytes as the receiver: it must never throw.
  if (auto claims = payedge::parse_webhook_body(body); claims) {
    if (claims->payment_key.size() > payedge::kMaxWebhookPaymentKey) std::abort();
    (void)payedge::redact_webhook_body(body);
  }
  const payedge::WebhookSecrets secrets{"fuzz-current-secret-0123", "fuzz-previous-secret-0123", 0};
  const auto now = payedge::parse_rfc3339(time).value_or(0);
  auto check = payedge::verify_webhook_signature(body, {header}, time, secrets, now, 300);
  // The fuzzer cannot know the secrets: a pass means the verifier accepted a forgery —
  // unless the input carries the real signature, which only sign_webhook can make.
  if (check.ok() &&
      std::string(header).find(payedge::sign_webhook(body, time, secrets.current).substr(3)) ==
          std::string::npos &&
      std::string(header).find(payedge::sign_webhook(body, time, secrets.previous).substr(3)) ==
          std::string::npos) {
    std::abort();
  }
  return 0;
}
