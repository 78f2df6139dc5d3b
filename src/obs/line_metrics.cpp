#include "obs/line_metrics.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/time.h"
#include "obs/build_info.h"

namespace payedge {
namespace {

// A label value we did not choose (an error code, a webhook outcome) stays short and plain, so
// a surprise can neither break the exposition format nor grow the series without bound.
std::string bounded(const std::string& value) {
  if (value.empty()) return "none";
  if (value.size() > 48) return "other";
  for (char ch : value) {
    const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
    if (!plain) return "other";
  }
  return value;
}

// The label value of a course id from the catalogue (ids are the operator's own strings).
std::string escape_label(const std::string& v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

// The reason label of a webhook line: a refusal by its kind (the request's 401, or the
// refetch_mismatch found by the processor after its 200 — SPEC 6), otherwise what the delivery
// or its processing did ("queued", "duplicate", "applied", "unchanged", "ignored", "retry",
// "gave_up"; error_detail is "what:more"), else the error code.
std::string webhook_reason(const RequestLog& line) {
  if (line.error_code == "E_WEBHOOK_INVALID_SIG") {
    return std::string(webhook_refusal_reason(line.error_detail));
  }
  const std::string what = line.error_detail.substr(0, line.error_detail.find(':'));
  if (line.success) return bounded(what);
  if (what == "retry" || what == "gave_up") return what;
  return bounded(line.error_code);
}

}  // namespace

void LineMetrics::set_courses(const std::vector<std::string>& ids) {
  std::lock_guard lock(mu_);
  courses_ = std::set<std::string>(ids.begin(), ids.end());
}

void LineMetrics::set_mismatch_window(EpochMs window_ms) {
  std::lock_guard lock(mu_);
  mismatch_window_ms_ = window_ms;
}

std::size_t LineMetrics::mismatch_users(EpochMs now) const {
  std::lock_guard lock(mu_);
  std::erase_if(mismatch_last_,
                [&](const auto& kv) { return kv.second <= now - mismatch_window_ms_; });
  return mismatch_last_.size();
}

std::string LineMetrics::course_label(const std::string& course_id) const {
  return courses_.contains(course_id) ? course_id : "other";
}

void LineMetrics::observe(const RequestLog& line) {
  std::lock_guard lock(mu_);
  if (line.fn == "confirm-payment") {
    const std::string outcome = line.success ? "success" : bounded(line.error_code);
    ++confirms_[{course_label(line.course_id), outcome}];
    if (!line.toss_class.empty()) ++toss_classes_[line.toss_class];
    if (!line.success && line.error_code == "E_AMOUNT_MISMATCH" && !line.user_id.empty()) {
      if (mismatch_last_.size() >= kMaxMismatchUsers && !mismatch_last_.contains(line.user_id)) {
        // Full: forget what left the window; still full, the newcomer is not needed to know
        // that there are at least kMaxMismatchUsers.
        std::erase_if(mismatch_last_,
                      [&](const auto& kv) { return kv.second <= line.ts - mismatch_window_ms_; });
      }
      if (mismatch_last_.size() < kMaxMismatchUsers || mismatch_last_.contains(line.user_id)) {
        EpochMs& last = mismatch_last_[line.user_id];
        last = std::max(last, line.ts);
      }
    }
  } else if (line.fn == "toss-webhook") {
    // Request lines and processing lines (after the 200) alike: a refusal found in the
    // background is as visible here as one answered 401.
    ++webhooks_[webhook_reason(line)];
  } else if (line.fn == "reconciler") {
    const std::string prefix = "action=";
    std::string action = line.error_detail.starts_with(prefix)
                             ? line.error_detail.substr(prefix.size())
                             : line.error_detail;
    action = action.substr(0, action.find(' '));  // "deposit_overdue due_date=…"
    ++reconciler_[bounded(action)];
  }
}

std::string LineMetrics::render() const {
  const std::size_t users = mismatch_users(SystemClock::instance().now_ms());
  std::lock_guard lock(mu_);
  std::string out;
  out += fmt::format(
      "# HELP payedge_amount_mismatch_users Distinct users with an E_AMOUNT_MISMATCH confirm in "
      "the amount-mismatch rule's window ({} s; at most {}).\n"
      "# TYPE payedge_amount_mismatch_users gauge\n"
      "payedge_amount_mismatch_users {}\n",
      mismatch_window_ms_ / 1000, kMaxMismatchUsers, users);
  out +=
      "# HELP payedge_confirms_total Confirm-payment requests by course (catalogue ids, else "
      "\"other\") and outcome (success or the error code).\n"
      "# TYPE payedge_confirms_total counter\n";
  for (const auto& [key, n] : confirms_) {
    out += fmt::format("payedge_confirms_total{{course_id=\"{}\",outcome=\"{}\"}} {}\n",
                       escape_label(key.first), key.second, n);
  }
  out +=
      "# HELP payedge_webhook_events_total Toss webhook deliveries and their processing by "
      "outcome: refusals by reason (signature, deposit_secret, refetch_mismatch), else what the "
      "event did or the error code.\n"
      "# TYPE payedge_webhook_events_total counter\n";
  for (const auto& [reason, n] : webhooks_) {
    out += fmt::format("payedge_webhook_events_total{{reason=\"{}\"}} {}\n", reason, n);
  }
  out +=
      "# HELP payedge_reconciler_actions_total Open confirm attempts settled by the reconciler, "
      "by action.\n"
      "# TYPE payedge_reconciler_actions_total counter\n";
  for (const auto& [action, n] : reconciler_) {
    out += fmt::format("payedge_reconciler_actions_total{{action=\"{}\"}} {}\n", action, n);
  }
  out +=
      "# HELP payedge_toss_answers_total The last Toss answer of each confirm, by class "
      "(ok, transient, buyer, merchant).\n"
      "# TYPE payedge_toss_answers_total counter\n";
  for (const auto& [cls, n] : toss_classes_) {
    out += fmt::format("payedge_toss_answers_total{{class=\"{}\"}} {}\n", cls, n);
  }
  return out;
}

std::string render_store_gauges(const StoreGauges& g) {
  std::string out;
  out +=
      "# HELP payedge_store_up Whether the store answered the scrape's queries.\n"
      "# TYPE payedge_store_up gauge\n";
  out += fmt::format("payedge_store_up {}\n", g.store_ok ? 1 : 0);
  out += fmt::format(
      "# HELP payedge_store_commit_batches_total Write transactions committed as one group "
      "(one fsync) by the group commit.\n"
      "# TYPE payedge_store_commit_batches_total counter\n"
      "payedge_store_commit_batches_total {}\n"
      "# HELP payedge_store_commit_writes_total Writes committed in those groups; "
      "rate(writes) / rate(batches) is the mean group size.\n"
      "# TYPE payedge_store_commit_writes_total counter\n"
      "payedge_store_commit_writes_total {}\n"
      "# HELP payedge_store_commit_failed_total Groups whose COMMIT failed (each write then ran "
      "again alone).\n"
      "# TYPE payedge_store_commit_failed_total counter\n"
      "payedge_store_commit_failed_total {}\n"
      "# HELP payedge_store_commit_largest_batch The largest group committed since start.\n"
      "# TYPE payedge_store_commit_largest_batch gauge\n"
      "payedge_store_commit_largest_batch {}\n",
      g.commit_batches, g.commit_members, g.commit_failed, g.commit_largest);
  if (!g.store_ok) return out;  // no guesses: the series below are absent until it answers
  out +=
      "# HELP payedge_payments_enabled The payments_enabled switch (1 on, 0 off).\n"
      "# TYPE payedge_payments_enabled gauge\n";
  out += fmt::format("payedge_payments_enabled {}\n", g.payments_enabled ? 1 : 0);
  out +=
      "# HELP payedge_course_active Whether a catalogue course is on sale (1) or switched off "
      "(0).\n"
      "# TYPE payedge_course_active gauge\n";
  for (const auto& [id, active] : g.courses) {
    out += fmt::format("payedge_course_active{{course_id=\"{}\"}} {}\n", escape_label(id),
                       active ? 1 : 0);
  }
  out +=
      "# HELP payedge_open_confirm_attempts Confirm attempts IN_PROGRESS (the reconciler's "
      "work).\n"
      "# TYPE payedge_open_confirm_attempts gauge\n";
  out += fmt::format("payedge_open_confirm_attempts {}\n", g.open_attempts);
  out +=
      "# HELP payedge_pending_deposits Virtual-account payments WAITING_FOR_DEPOSIT.\n"
      "# TYPE payedge_pending_deposits gauge\n";
  out += fmt::format("payedge_pending_deposits {}\n", g.pending_deposits);
  return out;
}

std::string render_build_info() {
  return fmt::format(
      "# HELP payedge_build_info The running binary's version (value always 1).\n"
      "# TYPE payedge_build_info gauge\n"
      "payedge_build_info{{version=\"{}\"}} 1\n",
      escape_label(build_info().version));
}

}  // namespace payedge
