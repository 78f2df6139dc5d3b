// The asynchronous Toss Payments API client: one HTTP exchange per `call`, and `confirm` with
// the same-key retry policy (network errors, timeouts, 429 and IDEMPOTENT_REQUEST_PROCESSING
// retried with jittered backoff inside a deadline; any other answer returned to the caller,
// which classifies it with toss/toss_errors.h); reads (GET a payment) retried the same way and
// on any 5xx as well.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/catalog.h"
#include "net/asio.h"
#include "net/client.h"
#include "obs/request_log.h"
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

// The same-key retry policy of `confirm`. Retried under the same Idempotency-Key: no answer
// (Toss may still be working on it, so a new key could put two confirms in flight), 429 and
// 409 IDEMPOTENT_REQUEST_PROCESSING; every other answer goes back to the caller.
bool retry_same_key(const TossReply& r);
// The policy of reads (GET a payment): those of `retry_same_key` and any 5xx, since a read
// changes nothing at Toss.
bool retry_read(const TossReply& r);
// The longest wait before the try after `attempt` (0-based): min(backoff_max_ms,
// backoff_base_ms·2^attempt); the wait is drawn uniformly from [0, this] (full jitter).
long long backoff_cap_ms(const TossConfig& c, int attempt);

using TossEndpoint = HttpEndpoint;  // prefix: the path before /v1, usually empty
Result<TossEndpoint> parse_toss_url(const std::string& url);

class TossClient {
 public:
  TossClient(TossEndpoint endpoint, TossConfig config, std::string secret_key);
  // Where a `toss_tls_error` line goes (stderr when unset).
  void set_log(LogSink* log) { log_ = log; }

  awaitable<TossReply> call(http::verb method, std::string target,
                            std::optional<nlohmann::json> body, std::string idempotency_key,
                            int timeout_ms);

  // `deadline_ms` 0: the configured toss.deadline_ms.
  awaitable<TossConfirmResult> confirm(const std::string& payment_key, const std::string& order_id,
                                       Krw amount, const std::string& idempotency_key,
                                       int deadline_ms = 0);
  // Reads, retried like `confirm` (retry_read, within toss.deadline_ms): one slow or failed
  // answer is not a verdict for the reconciler, a webhook or `ops verify`.
  awaitable<TossReply> get_payment(const std::string& payment_key);
  awaitable<TossReply> get_payment_by_order(const std::string& order_id);
  awaitable<TossReply> cancel(const std::string& payment_key, const std::string& reason,
                              std::optional<Krw> amount, const std::string& idempotency_key);

 private:
  // `call` again while `retryable` says so, with full-jitter backoff, up to toss.max_attempts
  // tries inside `deadline_ms` (0: toss.deadline_ms).
  awaitable<TossConfirmResult> call_with_retries(http::verb method, std::string target,
                                                 std::optional<nlohmann::json> body,
                                                 std::string idempotency_key, int deadline_ms,
                                                 bool (*retryable)(const TossReply&));
  void log_tls_error(const std::string& reason);

  TossEndpoint endpoint_;
  TossConfig config_;
  std::string authorization_;
  HttpClient http_;  // kept-alive connections to Toss: a confirm does not pay a TLS handshake
  LogSink* log_ = nullptr;
};

std::string url_encode_path(std::string_view segment);

}  // namespace payedge
