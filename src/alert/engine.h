// The alert engine of SPEC section 9: rules over sliding windows of event time, each with the
// states inactive → (pending) → firing → resolved, a repeat interval while firing, and the
// automatic switches of runbook 4.1. It is fed events in time order (`payedge watch` from a
// file or stdin, `payedge serve` from its own request log) and returns what changed; where
// the changes go (stdout, the `alerts` table, Slack, Alertmanager) is the notifier's business.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert_event.h"
#include "alert/windows.h"
#include "config/config.h"
#include "core/error.h"

namespace payedge::alert {

// One change of one rule, or an automatic action (SPEC 8.1's `watch --format json` line).
// `labels` identify the alert and are the same at firing, on every reminder and at the resolve
// (Alertmanager deduplicates and closes alerts by their label set:
// https://prometheus.io/docs/alerting/latest/clients/); what changes — counts, ratios, the
// runbook section and the command to run next — is in `annotations`.
struct Transition {
  std::string rule;
  std::string state;  // "pending" | "firing" | "resolved" | "action"
  EpochMs at = 0;     // event time
  std::string summary;
  std::map<std::string, std::string> labels;
  bool repeat = false;  // a reminder while firing (repeat interval), not a change
  std::map<std::string, std::string> annotations{};
  EpochMs started = 0;  // when the firing this belongs to began (0: not a firing's)
};

// The runbook section of a rule and the payedge command an on-call runs next, for a firing
// that began at `started` (the command's --since reaches back over the rule's window).
struct RuleGuide {
  std::string runbook;       // "RUNBOOK 4.2"
  std::string next_command;  // "payedge logs errors --window 5m --since ... \"$LOG\""
};
RuleGuide rule_guide(const std::string& rule, EpochMs since);

// The switches an alert may flip (runbook 6). The engine never turns anything back on.
class AlertActions {
 public:
  virtual ~AlertActions() = default;
  virtual Status deactivate_course(const std::string& course_id, const std::string& reason) = 0;
  virtual Status disable_payments(const std::string& reason) = 0;
};

inline const std::vector<std::string>& rule_names() {
  static const std::vector<std::string> names = {"toss_5xx_burst",
                                                 "webhook_invalid_sig_ratio",
                                                 "confirm_latency_p95",
                                                 "amount_mismatch_ratio",
                                                 "amount_mismatch_single_user",
                                                 "idempotency_conflicts",
                                                 "recovered",
                                                 "slo_burn_fast",
                                                 "slo_burn_slow",
                                                 "toss_auth_failure"};
  return names;
}

class AlertEngine {
 public:
  // `actions` may be null: the switches are then reported as not applied, for `why_not`.
  AlertEngine(const AlertsConfig& config, AlertActions* actions,
              std::string why_not = "no store to act on");

  // One event; returns the changes it caused (in order).
  std::vector<Transition> observe(const AlertEvent& e);
  // Time passes without events (a quiet log): windows empty and rules resolve.
  std::vector<Transition> advance(EpochMs now);

  // An operator turned payments (course_id empty) or one course back on at `at`: the mismatch
  // rule forgets the mismatches before it (of that course, or all), and a firing mismatch
  // alert resolves, so that only a new wave switches anything off again (SPEC 9).
  std::vector<Transition> operator_enabled(EpochMs at, const std::string& course_id);

  bool firing(const std::string& rule) const;
  EpochMs now() const { return now_; }

 private:
  struct RuleState {
    bool pending = false, firing = false;
    EpochMs since = 0, last_sent = 0;
    std::optional<EpochMs> clear_since;         // firing, but the condition has been false since
    std::map<std::string, std::string> labels;  // the firing's identity, kept until the resolve
    EpochMs fired_at = 0;
  };
  void evaluate(std::vector<Transition>& out);
  struct Description {
    std::string summary;
    std::map<std::string, std::string> annotations;  // values of this moment
    std::map<std::string, std::string> labels{};     // identity beyond alertname (course_id)
  };
  void annotate(const std::string& rule, const RuleState& s, Transition& t) const;
  // `describe` is told the state being emitted ("pending", "firing", "resolved").
  void set(const std::string& rule, bool condition,
           const std::function<Description(std::string_view state)>& describe,
           std::vector<Transition>& out);
  int window_s(const std::string& rule) const;
  void on_fire(const std::string& rule, const Transition& t, std::vector<Transition>& out);
  void on_resolve(const std::string& rule, std::vector<Transition>& out);
  void advance_windows(EpochMs now);

  AlertsConfig cfg_;
  AlertActions* actions_;
  std::string why_not_;
  EpochMs now_ = 0;
  std::map<std::string, RuleState> states_;

  // confirm-payment lines: all, Toss 5xx/timeouts
  SlidingCounter toss_;  // series 0: 5xx or TOSS_API_ERROR
  // any line whose toss_code says our keys are wrong (merchant misconfiguration)
  SlidingCounter toss_auth_;
  std::string last_auth_code_;
  // toss-webhook lines: all, invalid signatures (+ who sent the invalid ones)
  SlidingCounter webhook_;
  struct InvalidSender {
    EpochMs ts;
    std::string ip;
    std::string ua;
    std::string_view reason;  // signature | deposit_secret | refetch_mismatch
  };
  std::deque<InvalidSender> invalid_senders_;
  LatencyWindow latency_;
  // confirms over the mismatch window, and each mismatch (its course and user) in it
  struct Mismatch {
    EpochMs ts;
    std::string course_id, user_id;
  };
  SlidingCounter mismatch_;
  std::deque<Mismatch> mismatches_;
  // the last time an operator turned payments / a course back on: older mismatches not counted
  EpochMs mismatch_reset_all_ = 0;
  std::map<std::string, EpochMs> mismatch_reset_course_;
  // idempotency conflicts over the window and over window + baseline
  SlidingCounter conflicts_, conflicts_long_;
  // SLO: valid and bad confirms over 5 min, 30 min, 1 h, 6 h
  SlidingCounter slo_5m_, slo_30m_, slo_1h_, slo_6h_;
  // the Toss 5xx/timeouts since toss_5xx_burst fired: the size of the whole burst
  std::uint64_t burst_size_ = 0;
  // recovery watch after toss_5xx_burst resolves
  std::optional<EpochMs> recovery_since_;
  std::uint64_t recovery_valid_ = 0, recovery_bad_ = 0;
};

}  // namespace payedge::alert
