// The Toss webhook receiver, free of HTTP: `receive` decides what can be decided at once (the
// signature of signed events, a DEPOSIT_CALLBACK's secret, the body's shape), stores the event
// and says how to answer; the processor then works through stored events in the background
// (re-fetch from Toss, compare, apply, one log line each) with bounded retries, and picks up
// what a previous process left pending. Toss retries any non-200 answer 7 times over almost
// four days (https://docs.tosspayments.com/guides/webhook), so the answer must not wait for
// Toss's own API.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "confirm/confirm_service.h"
#include "net/asio.h"
#include "obs/request_log.h"
#include "store/store.h"
#include "toss/toss_client.h"
#include "webhook/signature.h"
#include "webhook/webhook_event.h"

namespace payedge {

// One delivery as the transport received it.
struct WebhookDelivery {
  std::string_view body;
  bool body_too_large = false;
  std::vector<std::string_view> signatures;  // every tosspayments-webhook-signature value
  std::vector<std::string_view> transmission_times;
  std::string request_id;
  std::string ip;
  std::string ua;
};

enum class WebhookVerdict {
  kQueued,            // stored; answer 200; processed in the background
  kDuplicate,         // this body was stored before: answer 200, nothing new happens
  kInvalidBody,       // 400 E_INVALID_REQUEST: not a Toss event, or a field of the wrong type
  kTooLarge,          // 413 E_PAYLOAD_TOO_LARGE
  kBadSignature,      // 401 E_WEBHOOK_INVALID_SIG: signature missing, malformed, wrong or stale
  kBadDepositSecret,  // 401 E_WEBHOOK_INVALID_SIG: DEPOSIT_CALLBACK secret missing or wrong
  kStoreFailed,       // 500: not stored, so Toss must deliver it again
};
std::string_view to_string(WebhookVerdict v);

struct WebhookReceipt {
  WebhookVerdict verdict = WebhookVerdict::kQueued;
  std::string detail;  // the log line's error_detail: a refusal's reason, or what was stored
  std::string event_type;
  std::string payment_key;
  std::string order_id;
  std::optional<Error> error;  // every verdict but kQueued and kDuplicate
};

// What processing one stored event came to.
enum class ProcessOutcome {
  kApplied,    // Toss's state written (a cancel, a deposit, an open confirm finished, …)
  kUnchanged,  // nothing to change: we already agree with Toss
  kIgnored,    // not ours to act on (an event type we do not use, a payment we never saw)
  kRefused,    // Toss's record contradicts the body: a forgery; nothing changed
  kRetry,      // Toss or the store could not be asked: try again later
};
std::string_view to_string(ProcessOutcome o);

struct ProcessResult {
  ProcessOutcome outcome = ProcessOutcome::kRetry;
  std::string detail;
  int toss_http_status = 0;
  int toss_latency_ms = -1;
  std::string toss_status;
  std::optional<Error> error;  // for kRetry: why
};

// The secrets in force: the stored rotation history when there is one, else the environment.
WebhookSecrets resolve_webhook_secrets(const std::vector<StoredSecret>& stored, const Secrets& env);

// Delay before attempt `attempts + 1` of an event (1 s, 2 s, 4 s, … capped).
EpochMs webhook_retry_delay_ms(int attempts, int base_ms, int max_ms);

class WebhookService {
 public:
  WebhookService(asio::io_context& ioc, asio::thread_pool& pool, Store& store, TossClient& toss,
                 ConfirmService& confirm, const Config& config, const Clock& clock, LogSink& log);

  // Runs on the I/O thread (like every request handler).
  awaitable<WebhookReceipt> receive(const WebhookDelivery& delivery);

  // The background processor: pending events, including those a previous process left.
  void start();
  void stop();

  // One pass over the events due now; how many were processed. Never throws.
  awaitable<int> process_due();

 private:
  awaitable<void> run();
  awaitable<WebhookSecrets> current_secrets();
  awaitable<ProcessResult> process(const WebhookEvent& event);
  awaitable<ProcessResult> apply_toss_state(const std::string& payment_key, const TossPayment& toss,
                                            ProcessResult result);
  void log_processed(const WebhookEvent& event, const ProcessResult& r, int latency_ms,
                     bool gave_up);
  void wake();

  asio::io_context& ioc_;
  asio::thread_pool& pool_;
  Store& store_;
  TossClient& toss_;
  ConfirmService& confirm_;
  const Config& config_;
  const Clock& clock_;
  LogSink& log_;
  asio::steady_timer wake_timer_;
  bool wake_requested_ = false;
  bool running_ = false;
  bool stopping_ = false;
};

}  // namespace payedge
