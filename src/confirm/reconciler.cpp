#include "confirm/reconciler.h"

#include <algorithm>

#include "confirm/deposits.h"
#include "core/codec.h"
#include "core/time.h"

namespace payedge {

using nlohmann::json;

namespace {
// A virtual account whose due date (+09:00, as Toss writes it) has passed.
bool past_due(const Payment& p, EpochMs now) {
  const auto due = parse_rfc3339(p.va_due_date);
  return due && *due < now;
}
}  // namespace

json ReconcileReport::to_json() const {
  json counts = json::object();
  for (const auto& [k, v] : by_action) counts[k] = v;
  json j = {{"examined", examined},
            {"leased_elsewhere", leased_elsewhere},
            {"held", held},
            {"by_action", counts},
            {"actions", actions}};
  if (store_error) {
    j["store_error"] = {{"code", store_error->name()}, {"detail", store_error->detail}};
  }
  return j;
}

Reconciler::Reconciler(asio::thread_pool& pool, Store& store, ConfirmService& confirm,
                       const Config& config, const Clock& clock, LogSink* log)
    : pool_(pool), store_(store), confirm_(confirm), config_(config), clock_(clock), log_(log) {}

bool lease_free(const ConfirmAttempt& attempt, const std::vector<InstanceRecord>& instances,
                EpochMs now) {
  if (attempt.lease_until <= now) return true;
  if (attempt.owner.empty()) return false;  // held by a command (or an older build): lease only
  for (const auto& i : instances) {
    if (i.instance_id == attempt.owner) return !i.alive(now);
  }
  return true;  // its instance row is gone: long dead
}

namespace {

// Who holds `attempt`, for the operator: the instance by id, host and pid, and its heartbeat.
json holder_of(const ConfirmAttempt& attempt, const std::vector<InstanceRecord>& instances) {
  json h = {{"payment_key", attempt.payment_key},
            {"order_id", attempt.order_id},
            {"lease_until", format_utc(attempt.lease_until)},
            {"instance_id", attempt.owner}};
  for (const auto& i : instances) {
    if (i.instance_id != attempt.owner) continue;
    h["host"] = i.host;
    h["pid"] = i.pid;
    h["heartbeat_at"] = format_utc(i.heartbeat_at);
    h["version"] = i.version;
  }
  return h;
}

}  // namespace

awaitable<ReconcileReport> Reconciler::run_once(const ReconcileOptions& o) {
  ReconcileReport report;
  const EpochMs now = clock_.now_ms();
  auto open = co_await run_blocking(pool_, [&] {
    return store_.list_attempts(AttemptState::kInProgress, now - o.older_than_ms + 1, o.limit);
  });
  if (!open) {
    report.store_error = open.error();
    co_return report;
  }
  // A dead instance's attempts, however young: nobody will finish them but us (issue 14).
  auto orphaned =
      co_await run_blocking(pool_, [&] { return store_.list_orphaned_attempts(now, o.limit); });
  if (!orphaned) {
    report.store_error = orphaned.error();
    co_return report;
  }
  auto instances = co_await run_blocking(pool_, [&] { return store_.list_instances(); });
  if (!instances) {
    report.store_error = instances.error();
    co_return report;
  }
  for (auto& a : *orphaned) {
    const bool listed = std::any_of(open->begin(), open->end(), [&](const ConfirmAttempt& x) {
      return x.payment_key == a.payment_key;
    });
    if (!listed) open->push_back(std::move(a));
  }
  for (const ConfirmAttempt& attempt : *open) {
    ++report.examined;
    if (o.dry_run) {
      // What a real run would do: an attempt a live owner holds is left alone.
      if (!o.break_leases && !lease_free(attempt, *instances, clock_.now_ms())) {
        ++report.leased_elsewhere;
        report.held.push_back(holder_of(attempt, *instances));
        continue;
      }
    } else {
      const EpochMs t = clock_.now_ms();
      auto claimed = co_await run_blocking(pool_, [&] {
        return store_.claim_attempt(attempt.payment_key, t, t + config_.idempotency.lease_ms,
                                    o.break_leases);
      });
      if (!claimed) {
        report.store_error = claimed.error();  // e.g. a read-only or full store: stop here
        break;
      }
      if (!*claimed) {
        ++report.leased_elsewhere;
        report.held.push_back(holder_of(attempt, *instances));
        continue;
      }
    }
    ReconcileResult r = co_await confirm_.reconcile(attempt, o.dry_run);
    const std::string action(to_string(r.action));
    ++report.by_action[action];
    json entry = {{"payment_key", attempt.payment_key},
                  {"order_id", attempt.order_id},
                  {"user_id", attempt.user_id},
                  {"course_id", attempt.course_id},
                  {"amount", attempt.amount},
                  {"toss_status", r.toss_status},
                  {"action", action},
                  {"dry_run", o.dry_run}};
    if (!attempt.owner.empty() && attempt.lease_until > now) {
      entry["taken_from"] = attempt.owner;  // a dead instance's lease, before it ran out
    }
    if (r.outcome.error) entry["error_code"] = r.outcome.error->name();
    report.actions.push_back(entry);
    if (log_ && !o.dry_run) {
      RequestLog line;
      line.ts = clock_.now_ms();
      line.fn = "reconciler";
      line.request_id = "reconcile-" + random_hex(8);
      line.success =
          r.action == ReconcileAction::kRecorded || r.action == ReconcileAction::kRedriven;
      line.level = r.action == ReconcileAction::kUnresolved ? "warn" : "info";
      if (r.outcome.error) line.error_code = std::string(r.outcome.error->name());
      line.error_detail = "action=" + action;
      line.user_id = attempt.user_id;
      line.course_id = attempt.course_id;
      line.order_id = attempt.order_id;
      line.payment_key = attempt.payment_key;
      line.amount = attempt.amount;
      line.toss_http_status = r.outcome.toss_http_status;
      // A re-drive's own Toss code (e.g. UNAUTHORIZED_KEY) first: the alerts read it.
      line.toss_code = r.outcome.toss_code.empty() ? r.toss_status : r.outcome.toss_code;
      log_->write(line);
    }
    if (!o.dry_run && r.action != ReconcileAction::kUnresolved) {
      AuditEntry audit{o.actor, "reconcile." + action, attempt.payment_key, o.reason, entry.dump()};
      (void)co_await run_blocking(pool_,
                                  [&] { return store_.append_audit(audit, clock_.now_ms()); });
    }
  }
  co_await settle_deposits(o, report);
  co_return report;
}

awaitable<void> Reconciler::settle_deposits(const ReconcileOptions& o, ReconcileReport& report) {
  // Virtual accounts waiting for their deposit: a DEPOSIT_CALLBACK that never reached us, or a
  // due date that passed without a deposit, must not leave a PENDING enrollment forever.
  auto waiting =
      co_await run_blocking(pool_, [&] { return store_.list_waiting_deposits(o.limit); });
  if (!waiting) co_return;
  for (const Payment& p : *waiting) {
    ++report.examined;
    TossReply reply = co_await confirm_.toss().get_payment(p.provider_tx_id);
    auto fetched = reply.payment();
    std::string action = "deposit_unresolved";
    if (fetched && (fetched->order_id != p.order_id || fetched->total_amount != p.amount)) {
      action = "deposit_mismatch";  // never settled on a record that is not this order's
    } else if (fetched && o.dry_run) {
      const bool expired = fetched->virtual_account && fetched->virtual_account->expired;
      action = fetched->status == "DONE"                              ? "would_settle_deposit"
               : fetched->status == "WAITING_FOR_DEPOSIT" && !expired ? "deposit_waiting"
                                                                      : "would_close_deposit";
    } else if (fetched) {
      auto change = co_await apply_deposit_state(pool_, store_, p, *fetched, o.actor, "reconcile",
                                                 clock_.now_ms());
      if (change) action = std::string(to_string(*change));
    }
    if (action == "deposit_waiting" && past_due(p, clock_.now_ms())) {
      // Toss still waits past the due date and does not call the account expired: nothing is
      // changed on a guess, but the on-call sees it (a warn line each round) until Toss decides.
      action = "deposit_overdue";
    }
    ++report.by_action[action];
    json entry = {{"payment_key", p.provider_tx_id},
                  {"order_id", p.order_id},
                  {"user_id", p.user_id},
                  {"course_id", p.course_id},
                  {"amount", p.amount},
                  {"due_date", p.va_due_date},
                  {"toss_status", fetched ? fetched->status : reply.code()},
                  {"action", action},
                  {"dry_run", o.dry_run}};
    report.actions.push_back(entry);
    if (log_ && !o.dry_run && action != "deposit_waiting") {
      RequestLog line;
      line.ts = clock_.now_ms();
      line.fn = "reconciler";
      line.request_id = "reconcile-" + random_hex(8);
      line.success = action == "deposit_settled" || action == "deposit_closed";
      line.level = line.success ? "info" : "warn";
      line.error_detail = "action=" + action;
      if (action == "deposit_overdue") line.error_detail += " due_date=" + p.va_due_date;
      line.user_id = p.user_id;
      line.course_id = p.course_id;
      line.order_id = p.order_id;
      line.payment_key = p.provider_tx_id;
      line.amount = p.amount;
      line.toss_http_status = reply.http_status;
      line.toss_code = fetched ? fetched->status : reply.code();
      log_->write(line);
    }
  }
}

}  // namespace payedge
