#include "alert/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "slo/slo_class.h"
#include "toss/toss_errors.h"

namespace payedge::alert {
namespace {

constexpr EpochMs kSecond = 1000;

std::string percent(double share) { return fmt::format("{:.2f}%", share * 100); }

// The `n` most frequent values, as "value (count), ...".
std::string top_values(const std::map<std::string, std::uint64_t>& counts, std::size_t n) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < n; ++i) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({})", v[i].first.empty() ? "-" : v[i].first, v[i].second);
  }
  return out;
}

double ratio(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

RuleGuide rule_guide(const std::string& rule, EpochMs since) {
  // The runbook's commands (docs/RUNBOOK.md), with the window already filled in; "$LOG" and
  // $STORE are the runbook's common variables.
  const std::string at = format_utc(since - since % kSecond);
  const std::string s = " --since " + at + " \"$LOG\"";
  if (rule == "toss_5xx_burst") {
    return {"RUNBOOK 4.2", "payedge logs errors --window 5m --fn confirm-payment" + s};
  }
  if (rule == "toss_auth_failure") {
    return {"RUNBOOK 4.2", "payedge logs top --by toss_code --error-code TOSS_API_ERROR" + s};
  }
  if (rule == "recovered")
    return {"RUNBOOK 4.2", "payedge ops verify --store $STORE --toss-url $TOSS"};
  if (rule == "webhook_invalid_sig_ratio") {
    return {"RUNBOOK 4.4",
            "payedge logs top --by error_detail --fn toss-webhook --error-code "
            "E_WEBHOOK_INVALID_SIG" +
                s};
  }
  if (rule == "confirm_latency_p95") {
    return {"RUNBOOK 3, 7", "payedge logs latency --by hour --fn confirm-payment" + s};
  }
  if (rule == "amount_mismatch_ratio") {
    return {"RUNBOOK 4.1", "payedge logs mismatches --explain --store $STORE" + s};
  }
  if (rule == "amount_mismatch_single_user") {
    return {"RUNBOOK 4.1", "payedge logs top --by user_id --error-code E_AMOUNT_MISMATCH" + s};
  }
  if (rule == "idempotency_conflicts") {
    return {"RUNBOOK 4.3",
            "payedge logs top --by payment_key --error-code E_IDEMPOTENCY_CONFLICT" + s};
  }
  if (rule == "slo_burn_fast" || rule == "slo_burn_slow") {
    return {"RUNBOOK 7", "payedge logs errors --window 5m --fn confirm-payment" + s};
  }
  return {"RUNBOOK 4", "payedge logs errors --window 5m" + s};
}

AlertEngine::AlertEngine(const AlertsConfig& config, AlertActions* actions, std::string why_not)
    : cfg_(config),
      actions_(actions),
      why_not_(std::move(why_not)),
      toss_(config.toss_5xx_window_s * kSecond, 1),
      toss_auth_(config.toss_auth_window_s * kSecond, 1),
      webhook_(config.webhook_window_s * kSecond, 2),
      latency_(config.latency_window_s * kSecond),
      mismatch_(config.mismatch_window_s * kSecond, 1),
      conflicts_(config.idempotency_window_s * kSecond, 1),
      conflicts_long_((config.idempotency_window_s + config.idempotency_baseline_s) * kSecond, 1),
      slo_5m_(5 * 60 * kSecond, 2),
      slo_30m_(30 * 60 * kSecond, 2),
      slo_1h_(60 * 60 * kSecond, 2),
      slo_6h_(6 * 60 * 60 * kSecond, 2) {
  for (const auto& name : rule_names()) states_[name];
}

bool AlertEngine::firing(const std::string& rule) const {
  auto it = states_.find(rule);
  return it != states_.end() && it->second.firing;
}

void AlertEngine::advance_windows(EpochMs now) {
  now_ = std::max(now_, now);
  for (SlidingCounter* c : {&toss_, &toss_auth_, &webhook_, &mismatch_, &conflicts_,
                            &conflicts_long_, &slo_5m_, &slo_30m_, &slo_1h_, &slo_6h_}) {
    c->advance(now_);
  }
  latency_.advance(now_);
  while (!invalid_senders_.empty() &&
         invalid_senders_.front().ts <= now_ - cfg_.webhook_window_s * kSecond) {
    invalid_senders_.pop_front();
  }
  while (!mismatches_.empty() &&
         mismatches_.front().ts <= now_ - cfg_.mismatch_window_s * kSecond) {
    mismatches_.pop_front();
  }
}

std::vector<Transition> AlertEngine::observe(const AlertEvent& e) {
  advance_windows(e.ts);
  const EpochMs ts = now_;  // a late event counts as now: windows never reach back
  if (!e.toss_code.empty() && is_toss_merchant_code(e.toss_code)) {
    toss_auth_.add(ts, 0);
    last_auth_code_ = e.toss_code;
  }
  if (e.fn == EventFn::kConfirm) {
    if (e.toss_http_status >= 500 || e.error_code == "TOSS_API_ERROR") {
      toss_.add(ts, 0);
      if (states_["toss_5xx_burst"].firing) ++burst_size_;
    }
    if (e.latency_ms) latency_.add(ts, *e.latency_ms);
    mismatch_.add(ts, 0);
    if (e.error_code == "E_AMOUNT_MISMATCH") {
      // A mismatch from before the operator's last "back on" was already acted upon.
      auto reset = mismatch_reset_course_.find(e.course_id);
      const EpochMs after = std::max(
          mismatch_reset_all_, reset == mismatch_reset_course_.end() ? EpochMs{0} : reset->second);
      if (e.ts > after) mismatches_.push_back({ts, e.course_id, e.user_id});
    }
    if (e.error_code == "E_IDEMPOTENCY_CONFLICT") {
      conflicts_.add(ts, 0);
      conflicts_long_.add(ts, 0);
    }
    const slo::SloClass c = slo::classify_confirm(e.success, e.http_status, e.error_code);
    if (c != slo::SloClass::kExcluded) {
      for (SlidingCounter* w : {&slo_5m_, &slo_30m_, &slo_1h_, &slo_6h_}) {
        w->add(ts, 0);
        if (c == slo::SloClass::kBad) w->add(ts, 1);
      }
    }
    if (recovery_since_) {
      ++recovery_valid_;
      if (e.http_status >= 500 || e.error_code == "TOSS_API_ERROR") ++recovery_bad_;
    }
  } else if (e.fn == EventFn::kWebhook) {
    // Requests are the denominator; a refusal found while processing an event already
    // answered 200 (refetch_mismatch) adds to the refusals only.
    if (!e.background) webhook_.add(ts, 0);
    if (e.error_code == "E_WEBHOOK_INVALID_SIG") {
      webhook_.add(ts, 1);
      invalid_senders_.push_back({ts, e.ip, e.ua, webhook_refusal_reason(e.error_detail)});
    }
  }
  std::vector<Transition> out;
  evaluate(out);
  return out;
}

std::vector<Transition> AlertEngine::advance(EpochMs now) {
  advance_windows(now);
  std::vector<Transition> out;
  evaluate(out);
  return out;
}

std::vector<Transition> AlertEngine::operator_enabled(EpochMs at, const std::string& course_id) {
  if (course_id.empty()) {
    mismatch_reset_all_ = std::max(mismatch_reset_all_, at);
  } else {
    EpochMs& r = mismatch_reset_course_[course_id];
    r = std::max(r, at);
  }
  std::erase_if(mismatches_, [&](const Mismatch& m) {
    return m.ts <= at && (course_id.empty() || m.course_id == course_id);
  });
  std::vector<Transition> out;
  RuleState& s = states_["amount_mismatch_ratio"];
  if (s.firing) {
    // The operator has answered this alert: a new wave must be able to fire (and act) again.
    // The resolve carries the firing's labels, so it closes what the firing opened.
    s.firing = s.pending = false;
    s.clear_since.reset();
    Transition t{"amount_mismatch_ratio", "resolved", std::max(now_, at),
                 course_id.empty() ? "payments turned back on by an operator"
                                   : "course " + course_id + " turned back on by an operator",
                 s.labels};
    t.started = s.fired_at;
    if (!course_id.empty()) t.annotations["enabled_course_id"] = course_id;
    annotate("amount_mismatch_ratio", s, t);
    out.push_back(std::move(t));
  }
  evaluate(out);
  return out;
}

void AlertEngine::evaluate(std::vector<Transition>& out) {
  // Conditions are cheap and checked on every event; the words and labels of a transition
  // are built only when one happens.
  {  // runbook 4.2
    const auto n = toss_.total(0);
    set(
        "toss_5xx_burst", n >= static_cast<std::uint64_t>(cfg_.toss_5xx_count),
        [&](std::string_view state) {
          // The burst's size is every 5xx/timeout since it fired, not the threshold it crossed.
          const std::uint64_t burst = std::max<std::uint64_t>(n, burst_size_);
          std::string summary =
              state == "resolved"
                  ? fmt::format("Toss 5xx burst over: {} confirms with Toss 5xx or timeout in all",
                                burst)
                  : fmt::format("{} confirms with Toss 5xx or timeout in {} min", n,
                                cfg_.toss_5xx_window_s / 60);
          if (state != "resolved" && burst > n) {
            summary += fmt::format(" ({} since the burst began)", burst);
          }
          return Description{std::move(summary),
                             {{"count", std::to_string(n)}, {"burst_size", std::to_string(burst)}}};
        },
        out);
  }
  {  // a wrong or revoked key is an outage, not a buyer's problem: at once, no threshold
    const auto n = toss_auth_.total(0);
    set(
        "toss_auth_failure", n >= 1,
        [&](std::string_view) {
          return Description{
              fmt::format("Toss refused our credentials or request {} time(s) in {} min (last "
                          "code {}): check TOSS_SECRET_KEY (API vs widget key, test vs live)",
                          n, std::max(1, cfg_.toss_auth_window_s / 60), last_auth_code_),
              {{"count", std::to_string(n)}, {"toss_code", last_auth_code_}}};
        },
        out);
  }
  {  // runbook 4.4
    const auto all = webhook_.total(0), bad = webhook_.total(1);
    const double r = ratio(bad, all);
    const bool condition = all >= static_cast<std::uint64_t>(cfg_.webhook_min_requests) &&
                           r > cfg_.webhook_invalid_sig_ratio;
    set(
        "webhook_invalid_sig_ratio", condition,
        [&](std::string_view) {
          std::map<std::string, std::uint64_t> ips, uas, reasons;
          for (const auto& s : invalid_senders_) {
            ++ips[s.ip];
            ++uas[s.ua];
            ++reasons[std::string(s.reason)];
          }
          return Description{
              fmt::format("{} of {} webhook requests with an invalid signature ({}) in {} min", bad,
                          all, percent(r), cfg_.webhook_window_s / 60),
              {{"ratio", fmt::format("{:.4f}", r)},
               {"invalid", std::to_string(bad)},
               {"requests", std::to_string(all)},
               {"top_ips", top_values(ips, 5)},
               {"top_uas", top_values(uas, 3)},
               {"reasons", top_values(reasons, 3)}}};
        },
        out);
  }
  {  // the runbook's wanted "p95 > 1500 ms" alarm
    const auto n = latency_.count();
    const bool enough = n >= static_cast<std::uint64_t>(cfg_.latency_min_requests);
    const int p95 = enough ? latency_.percentile(95) : 0;
    set(
        "confirm_latency_p95", enough && p95 > cfg_.latency_p95_ms,
        [&](std::string_view) {
          return Description{
              fmt::format("confirm p95 {} ms over {} requests in {} min (threshold {} ms)", p95, n,
                          cfg_.latency_window_s / 60, cfg_.latency_p95_ms),
              {{"p95_ms", std::to_string(p95)}, {"count", std::to_string(n)}}};
        },
        out);
  }
  {  // runbook 4.1, with the automatic switch it asks for
    // A price bug hits many buyers; one account sending wrong amounts is tampering, not a bug:
    // it must not be able to stop the shop (SPEC 9, `mismatch_min_users`).
    const std::uint64_t confirms = mismatch_.total(0), bad = mismatches_.size();
    const double r = ratio(bad, confirms);
    const bool over =
        bad >= static_cast<std::uint64_t>(cfg_.mismatch_min_count) && r > cfg_.mismatch_ratio;
    std::map<std::string, std::uint64_t> users;  // mismatches per user
    if (over) {
      for (const auto& m : mismatches_) ++users[m.user_id];
    }
    // Lines without a user (old logs) count as one unknown user, never as many.
    const bool many_users = users.size() >= static_cast<std::size_t>(cfg_.mismatch_min_users);
    set(
        "amount_mismatch_ratio", over && many_users,
        [&](std::string_view) {
          // The course most users mismatched on, and its share of those users (a single
          // attacker cannot tilt it with many requests).
          std::map<std::string, std::map<std::string, bool>> course_users;
          for (const auto& m : mismatches_) course_users[m.course_id][m.user_id] = true;
          std::string top_course;
          std::size_t top = 0;
          for (const auto& [course, who] : course_users) {
            if (who.size() > top) top = who.size(), top_course = course;
          }
          // The course is part of the alert's identity when the switch will act on it alone.
          const double share = ratio(top, users.size());
          std::map<std::string, std::string> labels;
          if (!top_course.empty() && share >= cfg_.mismatch_course_share) {
            labels["course_id"] = top_course;
          }
          return Description{
              fmt::format("{} of {} confirms were E_AMOUNT_MISMATCH ({}) from {} users in {} min",
                          bad, confirms, percent(r), users.size(), cfg_.mismatch_window_s / 60),
              {{"ratio", fmt::format("{:.4f}", r)},
               {"mismatches", std::to_string(bad)},
               {"users", std::to_string(users.size())},
               {"top_course", top_course},
               {"top_course_share", fmt::format("{:.4f}", share)}},
              std::move(labels)};
        },
        out);
    set(
        "amount_mismatch_single_user", over && !many_users,
        [&](std::string_view) {
          return Description{
              fmt::format("{} of {} confirms were E_AMOUNT_MISMATCH ({}) in {} min, all from {} "
                          "user(s): tampering, not a price bug; nothing switched off "
                          "(users: {})",
                          bad, confirms, percent(r), cfg_.mismatch_window_s / 60, users.size(),
                          top_values(users, 10)),
              {{"mismatches", std::to_string(bad)},
               {"users", std::to_string(users.size())},
               {"user_ids", top_values(users, 10)}}};
        },
        out);
  }
  {  // runbook 4.3: a rise against the hour before
    const auto recent = conflicts_.total(0);
    const auto before = conflicts_long_.total(0) - recent;
    const double baseline = static_cast<double>(before) * cfg_.idempotency_window_s /
                            std::max(1, cfg_.idempotency_baseline_s);
    set(
        "idempotency_conflicts",
        recent >= static_cast<std::uint64_t>(cfg_.idempotency_min_count) &&
            static_cast<double>(recent) > cfg_.idempotency_factor * baseline,
        [&](std::string_view) {
          return Description{
              fmt::format("{} idempotency conflicts in {} min (the hour before: {:.1f} per {} min)",
                          recent, cfg_.idempotency_window_s / 60, baseline,
                          cfg_.idempotency_window_s / 60),
              {{"count", std::to_string(recent)}, {"baseline", fmt::format("{:.1f}", baseline)}}};
        },
        out);
  }
  {  // the error budget of the success SLO, multiwindow burn rates
    const double budget = 1 - cfg_.slo_objective;
    auto burn = [&](const SlidingCounter& w) {
      return budget <= 0 ? 0.0 : ratio(w.total(1), w.total(0)) / budget;
    };
    const double b5 = burn(slo_5m_), b30 = burn(slo_30m_), b1h = burn(slo_1h_), b6h = burn(slo_6h_);
    const auto min = static_cast<std::uint64_t>(cfg_.burn_min_requests);
    set(
        "slo_burn_fast", slo_1h_.total(0) >= min && b1h > cfg_.burn_fast && b5 > cfg_.burn_fast,
        [&](std::string_view) {
          return Description{
              fmt::format("success SLO burning {:.1f}x over 1 h and {:.1f}x over 5 min", b1h, b5),
              {{"burn_1h", fmt::format("{:.2f}", b1h)}, {"burn_5m", fmt::format("{:.2f}", b5)}}};
        },
        out);
    set(
        "slo_burn_slow", slo_6h_.total(0) >= min && b6h > cfg_.burn_slow && b30 > cfg_.burn_slow,
        [&](std::string_view) {
          return Description{
              fmt::format("success SLO burning {:.1f}x over 6 h and {:.1f}x over 30 min", b6h, b30),
              {{"burn_6h", fmt::format("{:.2f}", b6h)}, {"burn_30m", fmt::format("{:.2f}", b30)}}};
        },
        out);
  }
  // runbook 4.2 step 4: 30 min after the 5xx alert resolves, below 1% errors → recovered
  if (recovery_since_ && now_ - *recovery_since_ >= cfg_.recovery_window_s * kSecond) {
    const double r = ratio(recovery_bad_, recovery_valid_);
    if (r < cfg_.recovery_error_rate) {
      // A notice that something ended, not a new alert: a "resolved" transition with no firing
      // before it, which the dashboard does not show as firing and Alertmanager is not sent.
      Transition t{
          "recovered",
          "resolved",
          now_,
          fmt::format("Toss errors back to normal: {} of {} confirms failed ({}) in the "
                      "{} min since toss_5xx_burst resolved",
                      recovery_bad_, recovery_valid_, percent(r), cfg_.recovery_window_s / 60),
          {}};
      t.annotations = {{"after", "toss_5xx_burst"},
                       {"error_rate", fmt::format("{:.4f}", r)},
                       {"confirms", std::to_string(recovery_valid_)}};
      t.started = *recovery_since_;
      annotate("recovered", states_["recovered"], t);
      out.push_back(std::move(t));
      recovery_since_.reset();
    } else {
      recovery_since_ = now_;  // not yet: watch another window
    }
    recovery_valid_ = recovery_bad_ = 0;
  }
}

void AlertEngine::set(const std::string& rule, bool condition,
                      const std::function<Description(std::string_view)>& describe,
                      std::vector<Transition>& out) {
  RuleState& s = states_[rule];
  auto emit = [&](const char* state, bool repeat) {
    Description d = describe(state);
    std::erase_if(d.annotations, [](const auto& kv) { return kv.second.empty(); });
    std::erase_if(d.labels, [](const auto& kv) { return kv.second.empty(); });
    const bool opens = std::string_view(state) == "firing" && !repeat;
    if (opens) {
      s.labels = std::move(d.labels);
      s.fired_at = now_;
    }
    // A reminder and the resolve carry the labels the firing had, whatever the values now.
    Transition t{rule, state, now_, std::move(d.summary), s.labels, repeat};
    if (std::string_view(state) == "pending") t.labels = d.labels;
    t.annotations = std::move(d.annotations);
    t.started = std::string_view(state) == "pending" ? 0 : s.fired_at;
    annotate(rule, s, t);
    out.push_back(std::move(t));
  };
  if (!condition) {
    s.pending = false;
    if (!s.firing) return;
    // Resolve only once the condition has stayed false a while: no flapping at the edge.
    if (!s.clear_since) s.clear_since = now_;
    if (now_ - *s.clear_since < cfg_.resolve_after_s * kSecond) return;
    s.firing = false;
    s.clear_since.reset();
    emit("resolved", false);
    on_resolve(rule, out);
    return;
  }
  s.clear_since.reset();
  if (s.firing) {
    if (cfg_.repeat_interval_s > 0 && now_ - s.last_sent >= cfg_.repeat_interval_s * kSecond) {
      s.last_sent = now_;
      emit("firing", true);
    }
    return;
  }
  if (!s.pending) {
    s.pending = true;
    s.since = now_;
    if (cfg_.pending_for_s > 0) {
      emit("pending", false);
      return;
    }
  } else if (now_ - s.since < cfg_.pending_for_s * kSecond) {
    return;
  }
  s.pending = false;
  s.firing = true;
  s.last_sent = now_;
  emit("firing", false);
  on_fire(rule, out.back(), out);
}

int AlertEngine::window_s(const std::string& rule) const {
  if (rule == "toss_5xx_burst") return cfg_.toss_5xx_window_s;
  if (rule == "toss_auth_failure") return cfg_.toss_auth_window_s;
  if (rule == "webhook_invalid_sig_ratio") return cfg_.webhook_window_s;
  if (rule == "confirm_latency_p95") return cfg_.latency_window_s;
  if (rule == "amount_mismatch_ratio" || rule == "amount_mismatch_single_user") {
    return cfg_.mismatch_window_s;
  }
  if (rule == "idempotency_conflicts") return cfg_.idempotency_window_s;
  if (rule == "slo_burn_fast") return 3600;
  if (rule == "slo_burn_slow") return 6 * 3600;
  if (rule == "recovered") return cfg_.recovery_window_s;
  return 0;
}

void AlertEngine::annotate(const std::string& rule, const RuleState& s, Transition& t) const {
  // The command's --since reaches back over the window that made the rule fire.
  const EpochMs began = t.started != 0 ? t.started : t.at;
  RuleGuide g = rule_guide(rule, began - static_cast<EpochMs>(window_s(rule)) * kSecond);
  t.annotations["runbook"] = std::move(g.runbook);
  t.annotations["next_command"] = std::move(g.next_command);
  t.annotations["summary"] = t.summary;
}

void AlertEngine::on_fire(const std::string& rule, const Transition& t,
                          std::vector<Transition>& out) {
  if (rule == "toss_5xx_burst") {
    recovery_since_.reset();
    burst_size_ = toss_.total(0);  // the burst so far; each later 5xx adds one (observe)
  }
  if (rule != "amount_mismatch_ratio") return;
  // The course alone when the mismatches concentrate on it, else every payment; never back on.
  auto label = [&](const char* k) {
    auto it = t.annotations.find(k);
    return it == t.annotations.end() ? std::string() : it->second;
  };
  const std::string course = label("top_course");
  const double share =
      course.empty() ? 0.0 : std::strtod(label("top_course_share").c_str(), nullptr);
  const bool one_course = !course.empty() && share >= cfg_.mismatch_course_share;
  const std::string reason = "alert amount_mismatch_ratio: " + t.summary;
  Transition a{rule, "action", now_, "", {}};
  a.labels["action"] = one_course ? "course_deactivate" : "payments_disable";
  if (one_course) a.labels["course_id"] = course;
  std::string what = one_course ? "course " + course + " deactivated" : "payments_enabled=off";
  if (!cfg_.auto_toggle || actions_ == nullptr) {
    a.labels["applied"] = "false";
    a.summary =
        "would set " + what + " (" + (cfg_.auto_toggle ? why_not_ : "auto_toggle is off") + ")";
  } else {
    const Status st = one_course ? actions_->deactivate_course(course, reason)
                                 : actions_->disable_payments(reason);
    a.labels["applied"] = st ? "true" : "false";
    a.summary = st ? what + " automatically; turn it back on by hand after the cause is found"
                   : "could not set " + what + ": " + st.error().detail;
  }
  a.started = t.started;
  a.annotations["runbook"] = "RUNBOOK 4.1, 6";
  a.annotations["next_command"] =
      one_course ? "payedge ops course activate " + course +
                       " --reason \"<the cause, once fixed>\" --store $STORE"
                 : "payedge ops flag set payments_enabled on --reason \"<the cause, once fixed>\" "
                   "--store $STORE";
  a.annotations["summary"] = a.summary;
  out.push_back(std::move(a));
}

void AlertEngine::on_resolve(const std::string& rule, std::vector<Transition>&) {
  if (rule == "toss_5xx_burst") {
    burst_size_ = 0;
    recovery_since_ = now_;
    recovery_valid_ = recovery_bad_ = 0;
  }
}

}  // namespace payedge::alert
