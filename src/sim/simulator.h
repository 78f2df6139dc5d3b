// `payedge sim`: the Toss Payments API on loopback (SPEC section 6) with payment sessions,
// Idempotency-Key replay, TossPayments-Test-Code, fault injection and counters.
// All state lives on the single I/O thread; nothing here is locked.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "core/catalog.h"
#include "core/time.h"
#include "net/server.h"

namespace payedge {

struct SimFaults {
  double error_rate = 0;      // answer error_status before processing
  double get_error_rate = 0;  // GET /v1/payments/… answers 500 (webhook and reconciler tests)
  int error_status = 500;
  std::string error_code;  // non-empty: injected errors carry this Toss code with its status
  int latency_min_ms = 0;  // uniform extra latency on every API call
  int latency_max_ms = 0;
  double timeout_rate = 0;            // hang past the client's timeout, then drop the connection
  double approve_then_fail_rate = 0;  // approve, then answer 500 or cut the connection
  int cancel_error_status = 0;  // non-zero: every cancel is refused with it (ops cancel tests)
  int get_latency_ms = 0;       // every GET /v1/payments/… takes this long (webhook tests)
  // GET /v1/payments/{key} of these keys answers 200 with a mistyped body (status a number,
  // totalAmount a string): what a reader must survive without throwing (reconciler tests).
  std::set<std::string> get_mistyped_keys;
  nlohmann::json to_json() const;
};

struct SimOptions {
  std::string secret_key;
  bool auto_sessions = false;
  int timeout_hang_ms = 15'000;  // how long a "timeout" fault holds the request
  std::string webhook_secret;    // signs the payout/seller webhooks it delivers
  std::string jwks_file;  // served at Supabase's /auth/v1/.well-known/jwks.json (read per request)
  std::string webhook_url;  // where /__sim/deposit and /__sim/expire deliver by default
};

class Simulator {
 public:
  Simulator(SimOptions options, const Clock& clock);
  awaitable<HttpAnswer> handle(HttpRequest& req);

  // Virtual accounts, for the deposit and expiry endpoints (and their webhooks). A payment
  // confirmed with "method":"VIRTUAL_ACCOUNT" waits in WAITING_FOR_DEPOSIT, its Payment object
  // carrying `virtualAccount` and the deposit `secret`.
  // mark_deposited: WAITING_FOR_DEPOSIT → DONE (approvedAt now, settlementStatus COMPLETED);
  // mark_expired: WAITING_FOR_DEPOSIT → EXPIRED (virtualAccount.expired true);
  // mark_account_expired: the due date passed, virtualAccount.expired true, the status left
  // WAITING_FOR_DEPOSIT. Each returns the updated Payment object, or nullopt when the payment is
  // unknown or not waiting.
  std::optional<nlohmann::json> mark_deposited(const std::string& payment_key);
  std::optional<nlohmann::json> mark_expired(const std::string& payment_key);
  std::optional<nlohmann::json> mark_account_expired(const std::string& payment_key);
  // The Payment object as GET /v1/payments/{key} would answer it (nullopt: unknown key).
  std::optional<nlohmann::json> payment_object(const std::string& payment_key) const;

 private:
  struct SimPayment {
    nlohmann::json object;  // the Toss Payment object
    EpochMs created_at = 0;
    bool confirmed = false;
    bool virtual_account = false;  // the session was opened for a virtual account (가상계좌)
  };
  struct IdempotentReply {
    bool done = false;
    int status = 0;
    std::string body;
  };

  awaitable<HttpAnswer> confirm(HttpRequest& req);
  HttpResponse cancel(HttpRequest& req, const std::string& payment_key);
  HttpResponse get_payment(const std::string& payment_key);
  // GET /v1/transactions (sim/transactions.cpp): Toss's transaction list for a window.
  HttpResponse list_transactions(const HttpRequest& req);
  HttpResponse receive(const std::string& kind, const std::string& body);
  HttpResponse received() const;
  HttpResponse create_session(const nlohmann::json& body);
  HttpResponse set_faults(const nlohmann::json& body);
  HttpResponse stats() const;
  HttpResponse jwks();
  // Webhooks as Toss sends them (sim/webhook_delivery.cpp): payment events unsigned,
  // DEPOSIT_CALLBACK with the account's secret, payout/seller events signed.
  awaitable<HttpResponse> deliver_webhook(const nlohmann::json& request);
  awaitable<HttpResponse> deposit(const nlohmann::json& request);
  awaitable<HttpResponse> expire(const nlohmann::json& request);
  awaitable<nlohmann::json> post_webhook(const std::string& url, const std::string& body, bool sign,
                                         const nlohmann::json& request);
  SimPayment& new_session(const std::string& payment_key, const std::string& order_id, Krw amount,
                          bool virtual_account = false);
  // Idempotency-Keys are scoped per key, method and path, as at Toss.
  static std::string idempotency_scope(const HttpRequest& req, std::string_view key);
  bool test_codes_allowed() const { return options_.secret_key.starts_with("test_"); }
  void refresh_expiry(SimPayment& p);
  bool roll(double rate);
  std::string random_digits(int n);
  void count_fault(const char* kind);
  awaitable<void> pause_ms(int ms);

  SimOptions options_;
  const Clock& clock_;
  SimFaults faults_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::map<std::string, SimPayment> payments_;          // by paymentKey
  std::map<std::string, std::string> orders_;           // orderId → paymentKey
  std::map<std::string, IdempotentReply> idempotency_;  // by idempotency_scope
  unsigned long long confirm_calls_ = 0;
  int in_flight_ = 0;
  unsigned long long webhooks_sent_ = 0;
  unsigned long long get_calls_ = 0;      // GET /v1/payments/… received
  unsigned long long gets_answered_ = 0;  // … and answered (after any get_latency_ms)
  unsigned long long faults_injected_ = 0;
  std::map<std::string, unsigned long long> faults_by_kind_;
  unsigned long long approvals_ = 0;
  unsigned long long duplicate_confirms_ = 0;  // confirms of a DONE payment outside a key replay
  std::map<std::string, unsigned long long> confirms_by_key_;
  std::map<std::string, unsigned long long> approvals_by_key_;
  std::map<std::string, std::vector<nlohmann::json>> received_;  // alert deliveries by receiver
  // The alerts as Alertmanager holds them: one per label set (its identity), the startsAt of
  // the first delivery, the annotations and endsAt of the latest.
  std::map<std::string, nlohmann::json> alertmanager_alerts_;
  int receivers_fail_next_ = 0;
  int receivers_fail_status_ = 500;
  unsigned long long receivers_rejected_ = 0;
  unsigned long long jwks_fetches_ = 0;
};

// The HTTP status Toss uses for an error code (TossPayments-Test-Code and our own answers).
int toss_status_for(std::string_view code);

}  // namespace payedge
