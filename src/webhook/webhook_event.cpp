#include "webhook/webhook_event.h"

#include <fmt/format.h>

#include "core/codec.h"

namespace payedge {
namespace {

using nlohmann::json;

Error invalid(std::string detail) {
  return make_error(ErrorCode::kInvalidRequest, std::move(detail));
}

// A string field when present; an error when present with another type. Absent or null: "".
Result<std::string> string_field(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::unexpected(invalid(fmt::format("{} must be a string", name)));
  return it->get<std::string>();
}

// Toss's statuses in the order a payment can move through them.
int stage(std::string_view s) {
  if (s == "READY") return 0;
  if (s == "IN_PROGRESS") return 1;
  if (s == "WAITING_FOR_DEPOSIT") return 2;
  if (s == "DONE") return 3;
  if (s == "PARTIAL_CANCELED") return 4;
  if (s == "CANCELED" || s == "EXPIRED" || s == "ABORTED") return 5;
  return -1;
}

}  // namespace

Result<WebhookClaims> parse_webhook_body(std::string_view body) {
  const json event = json::parse(body, nullptr, false);
  if (!event.is_object()) return std::unexpected(invalid("webhook body is not a JSON object"));
  WebhookClaims c;
  const json* fields = &event;
  if (event.contains("eventType")) {
    auto type = string_field(event, "eventType");
    if (!type) return std::unexpected(type.error());
    if (type->empty()) return std::unexpected(invalid("eventType is empty"));
    c.event_type = std::move(*type);
    if (event.contains("data") && !event["data"].is_null()) {
      if (!event["data"].is_object()) return std::unexpected(invalid("data must be an object"));
      fields = &event["data"];
    }
  } else if (event.contains("secret") && event.contains("orderId") && event.contains("status")) {
    c.event_type = "DEPOSIT_CALLBACK";  // Toss sends it without eventType
  } else {
    return std::unexpected(invalid("not a Toss webhook event"));
  }
  if (c.event_type == "PAYMENT_STATUS_CHANGED") {
    c.kind = WebhookKind::kPaymentStatusChanged;
  } else if (c.event_type == "DEPOSIT_CALLBACK") {
    c.kind = WebhookKind::kDepositCallback;
  }
  if (c.kind == WebhookKind::kOther) return c;  // not ours to read further

  for (auto [name, out] : {std::pair{"paymentKey", &c.payment_key},
                           std::pair{"orderId", &c.order_id}, std::pair{"status", &c.status}}) {
    auto v = string_field(*fields, name);
    if (!v) return std::unexpected(v.error());
    *out = std::move(*v);
  }
  if (c.payment_key.size() > kMaxWebhookPaymentKey)
    return std::unexpected(invalid("paymentKey is longer than 200 characters"));
  if (auto it = fields->find("totalAmount"); it != fields->end() && !it->is_null()) {
    if (!it->is_number_integer()) return std::unexpected(invalid("totalAmount must be an integer"));
    c.total_amount = it->get<Krw>();
  }
  if (c.kind == WebhookKind::kPaymentStatusChanged && c.payment_key.empty())
    return std::unexpected(invalid("PAYMENT_STATUS_CHANGED without a paymentKey"));
  if (c.kind == WebhookKind::kDepositCallback) {
    if (c.order_id.empty()) return std::unexpected(invalid("DEPOSIT_CALLBACK without an orderId"));
    if (auto it = fields->find("secret"); it != fields->end() && !it->is_null()) {
      if (!it->is_string()) return std::unexpected(invalid("secret must be a string"));
      c.secret = it->get<std::string>();
      c.has_secret = true;
    }
  }
  return c;
}

std::string redact_webhook_body(std::string_view body) {
  json event = json::parse(body, nullptr, false);
  if (!event.is_object()) return std::string(body);
  bool changed = false;
  if (event.contains("secret")) event["secret"] = "[REDACTED]", changed = true;
  if (event.contains("data") && event["data"].is_object() && event["data"].contains("secret"))
    event["data"]["secret"] = "[REDACTED]", changed = true;
  return changed ? event.dump(-1, ' ', false, json::error_handler_t::replace) : std::string(body);
}

bool toss_status_reachable(std::string_view from, std::string_view to) {
  if (from == to) return true;
  const int a = stage(from), b = stage(to);
  if (a < 0 || b < 0) return false;
  if (a == 5) return false;                               // CANCELED, EXPIRED and ABORTED are final
  if (to == "EXPIRED" || to == "ABORTED") return a <= 2;  // only before the money came
  return b > a;
}

std::optional<std::string> refetch_contradiction(const WebhookClaims& claims,
                                                 const TossPayment& toss) {
  if (!claims.payment_key.empty() && toss.payment_key != claims.payment_key)
    return "paymentKey differs from Toss's";
  if (!claims.order_id.empty() && claims.order_id != toss.order_id)
    return "orderId differs from Toss's";
  if (claims.total_amount && *claims.total_amount != toss.total_amount)
    return "totalAmount differs from Toss's";
  if (!claims.status.empty() && !toss_status_reachable(claims.status, toss.status))
    return fmt::format("status {} but Toss has {}", claims.status, toss.status);
  return std::nullopt;
}

bool deposit_secret_matches(std::string_view sent, std::string_view stored) {
  if (stored.empty()) return false;
  // Equal-length digests: the comparison takes the same time whatever the lengths.
  return constant_time_equal(sha256_hex(sent), sha256_hex(stored));
}

}  // namespace payedge
