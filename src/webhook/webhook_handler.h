// POST /functions/v1/toss-webhook: verify the signature, dedupe, re-fetch the payment from
// Toss (the body is not trusted), and apply what Toss says: finish an open confirm, or
// cancel the payment and its enrollment together.
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "confirm/confirm_service.h"
#include "net/server.h"
#include "obs/request_log.h"
#include "webhook/signature.h"

namespace payedge {

class WebhookHandler {
 public:
  WebhookHandler(asio::thread_pool& pool, Store& store, TossClient& toss, ConfirmService& confirm,
                 const Config& config, const Clock& clock);

  // Fills `log` (status, error code, reason) and returns the answer for Toss.
  awaitable<HttpResponse> handle(HttpRequest& req, RequestLog& log);

 private:
  awaitable<WebhookSecrets> current_secrets();
  // What happened to the event, or an error that makes Toss deliver it again.
  awaitable<Result<std::string>> apply_payment_status(const std::string& payment_key);

  asio::thread_pool& pool_;
  Store& store_;
  TossClient& toss_;
  ConfirmService& confirm_;
  const Config& config_;
  const Clock& clock_;
};

// The secrets in force: the stored rotation history when there is one, else the environment.
WebhookSecrets resolve_webhook_secrets(const std::vector<StoredSecret>& stored, const Secrets& env);

}  // namespace payedge
