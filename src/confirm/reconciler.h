// The reconciler: settles confirm attempts left open by timeouts, Toss 5xx or crashes, by
// asking Toss (SPEC section 2: every payment Toss reports DONE for a confirm we sent ends up
// as one payment row with one ACTIVE enrollment). `ops reconcile` and `serve` both run it.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "confirm/confirm_service.h"
#include "obs/request_log.h"

namespace payedge {

struct ReconcileOptions {
  EpochMs older_than_ms = 60'000;
  bool break_leases = false;  // take attempts from live owners: only when no serve runs
  bool dry_run = false;
  int limit = 10'000;
  std::string actor = "reconciler";
  std::string reason = "periodic";
};

struct ReconcileReport {
  int examined = 0;
  int leased_elsewhere = 0;  // a live owner holds it; left alone
  // Who holds each of those: the instance (id, host, pid, last heartbeat) and the lease's end.
  nlohmann::json held = nlohmann::json::array();
  // The store could not be read or written (listing or claiming): the run is incomplete and
  // `ops reconcile` exits 1 naming this, never "held by a live serve".
  std::optional<Error> store_error;
  std::map<std::string, int> by_action;
  nlohmann::json actions = nlohmann::json::array();
  nlohmann::json to_json() const;
};

// Whether a claim of `attempt` at `now` would succeed (what the store's claim_attempt decides,
// for --dry-run): its lease ran out, or its owner is dead — not among `instances`, stopped, or
// its heartbeat stale.
bool lease_free(const ConfirmAttempt& attempt, const std::vector<InstanceRecord>& instances,
                EpochMs now);

class Reconciler {
 public:
  // `log`, when given, gets one line (fn "reconciler") per settled attempt.
  Reconciler(asio::thread_pool& pool, Store& store, ConfirmService& confirm, const Config& config,
             const Clock& clock, LogSink* log = nullptr);
  awaitable<ReconcileReport> run_once(const ReconcileOptions& options);

 private:
  awaitable<void> settle_deposits(const ReconcileOptions& options, ReconcileReport& report);
  asio::thread_pool& pool_;
  Store& store_;
  ConfirmService& confirm_;
  const Config& config_;
  const Clock& clock_;
  LogSink* log_;
};

}  // namespace payedge
