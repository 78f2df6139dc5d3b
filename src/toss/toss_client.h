// The asynchronous Toss Payments API client: one HTTP exchange per `call`, and `confirm` with
// the same-key retry policy (network errors, timeouts, 429 and IDEMPOTENT_REQUEST_PROCESSING
// retried with jittered backoff inside a deadline; any other answer returned to the caller,
// which classifies it with toss/toss_errors.h).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>

#include "config/config.h"
#include "core/catalog.h"
#include "net/asio.h"
#include "net/client.h"
#include "toss/toss_payment.h"

namespace payedge {

struct TossReply {
  int http_status = 0;  // 0: no HTTP answer (network error or timeout)
  bool timed_out = false;
  std::string transport_error;
  nlohmann::json body;  // parsed JSON, or null
  int latency_ms = 0;

  bool answered() const { return http_status != 0; }
  bool server_error() const { return !answered() || http_status >= 500; }
  std::string code() const;  // Toss's error `code`, or ""
  std::string message() const;
  // The body as a Payment object: only a 200 answer carries one.
  Result<TossPayment> payment() const;
};

// The outcome of a confirm with retries: the last reply and what it took.
struct TossConfirmResult {
  TossReply last;
  int tries = 0;
  int total_latency_ms = 0;
};

using TossEndpoint = HttpEndpoint;  // prefix: the path before /v1, usually empty
Result<TossEndpoint> parse_toss_url(const std::string& url);

class TossClient {
 public:
  TossClient(TossEndpoint endpoint, TossConfig config, std::string secret_key);

  awaitable<TossReply> call(http::verb method, std::string target,
                            std::optional<nlohmann::json> body, std::string idempotency_key,
                            int timeout_ms);

  // `deadline_ms` 0: the configured toss.deadline_ms.
  awaitable<TossConfirmResult> confirm(const std::string& payment_key, const std::string& order_id,
                                       Krw amount, const std::string& idempotency_key,
                                       int deadline_ms = 0);
  awaitable<TossReply> get_payment(const std::string& payment_key);
  awaitable<TossReply> get_payment_by_order(const std::string& order_id);
  awaitable<TossReply> cancel(const std::string& payment_key, const std::string& reason,
                              std::optional<Krw> amount, const std::string& idempotency_key);

 private:
  TossEndpoint endpoint_;
  TossConfig config_;
  std::string authorization_;
  std::mt19937_64 rng_{std::random_device{}()};
};

std::string url_encode_path(std::string_view segment);

}  // namespace payedge
