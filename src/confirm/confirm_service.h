// The confirm flow: replay or conflict from the idempotency record, kill switch, course and
// price checks, the attempt recorded before Toss is called, the Toss confirm, and one
// transaction for payment + enrollment. Duplicates in this process wait for the first.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/confirm_request.h"
#include "core/error.h"
#include "core/time.h"
#include "net/asio.h"
#include "obs/metrics.h"
#include "store/store.h"
#include "toss/toss_client.h"

namespace payedge {

// What the caller answers and logs.
struct ConfirmOutcome {
  std::optional<Error> error;  // set on failure
  nlohmann::json result;       // on success: {payment, enrollment}
  bool replayed = false;
  std::optional<Krw> expected_amount;
  int toss_http_status = 0;
  std::string toss_code;
  int toss_latency_ms = -1;
  int toss_tries = 0;
};

// The fields of a request that must match for a replay: same payment, order, amount, buyer, course.
std::string confirm_fingerprint(const ConfirmRequest& req, const std::string& user_id);

// The Payment row of an attempt that Toss confirmed (or holds WAITING_FOR_DEPOSIT): the one
// place a payment is built from an attempt and Toss's record (with the virtual account, its
// number masked and Toss's deposit secret, while a deposit is awaited).
Payment payment_for(const ConfirmAttempt& attempt, const TossPayment& toss_payment,
                    std::string source);

// The Idempotency-Key the attempt's next confirm is sent under: the first key, then
// "<first>-n" once the attempt moved on (key_seq n).
std::string attempt_idempotency_key(const ConfirmAttempt& attempt);

// What the reconciler did with one open attempt.
enum class ReconcileAction {
  kRecorded,    // Toss had it DONE: payment and enrollment written
  kRedriven,    // Toss still waited for our confirm: sent it again with the same key
  kFailed,      // Toss says it will never be paid (expired, aborted, unknown): closed
  kWaiting,     // not a verdict yet (e.g. WAITING_FOR_DEPOSIT)
  kUnresolved,  // Toss could not be asked, or the re-drive was inconclusive
};
std::string_view to_string(ReconcileAction a);

// The decision for a Toss payment status (or HTTP status when there is no payment).
ReconcileAction decide_reconcile(int http_status, const std::string& toss_status);

struct ReconcileResult {
  ReconcileAction action = ReconcileAction::kUnresolved;
  std::string toss_status;  // Toss's payment status, or its error code
  ConfirmOutcome outcome;
};

class ConfirmService {
 public:
  ConfirmService(asio::thread_pool& store_pool, Store& store, TossClient& toss,
                 const Config& config, const Clock& clock, Metrics& metrics);

  // Must run on the single I/O thread: the in-flight table is not locked.
  awaitable<ConfirmOutcome> confirm(const ConfirmRequest& req, const std::string& user_id);

  // Settles one open attempt that the caller has claimed, by asking Toss what became of it.
  // With `dry_run` it only asks and reports.
  // `source` is what a recorded payment says about its road: "reconcile" or "webhook".
  awaitable<ReconcileResult> reconcile(const ConfirmAttempt& attempt, bool dry_run,
                                       std::string source = "reconcile");

  // The Toss client it confirms with (the reconciler re-fetches virtual accounts with it).
  TossClient& toss() { return toss_; }

 private:
  struct InFlight {
    std::optional<ConfirmOutcome> outcome;
    std::vector<asio::steady_timer*> waiters;
  };

  awaitable<ConfirmOutcome> handle_existing(const ConfirmAttempt& attempt,
                                            const ConfirmRequest& req, const std::string& user_id);
  awaitable<ConfirmOutcome> wait_for(std::shared_ptr<InFlight> flight);
  // Runs `body` as the in-process owner of the attempt: duplicates arriving meanwhile wait.
  template <class Body>
  awaitable<ConfirmOutcome> own(const std::string& payment_key, Body body);
  awaitable<ConfirmOutcome> drive(ConfirmAttempt attempt);
  awaitable<ConfirmOutcome> drive_toss(const ConfirmAttempt& attempt);
  awaitable<ConfirmOutcome> record_success(const ConfirmAttempt& attempt,
                                           const TossPayment& toss_payment, ConfirmOutcome outcome,
                                           int toss_calls, std::string source = "confirm");
  awaitable<ConfirmOutcome> record_rejection(const ConfirmAttempt& attempt, Error error,
                                             ConfirmOutcome outcome, int toss_calls);
  awaitable<ConfirmOutcome> leave_unresolved(const ConfirmAttempt& attempt, Error error,
                                             ConfirmOutcome outcome, int toss_calls);

  template <class Fn>
  auto blocking(Fn fn) {
    return run_blocking(pool_, std::move(fn));
  }

  asio::thread_pool& pool_;
  Store& store_;
  TossClient& toss_;
  const Config& config_;
  const Clock& clock_;
  Metrics& metrics_;
  std::map<std::string, std::shared_ptr<InFlight>> in_flight_;
};

ConfirmOutcome outcome_error(Error e);

}  // namespace payedge
