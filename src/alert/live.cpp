#include "alert/live.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "store/store.h"

namespace payedge::alert {

LiveAlerts::LiveAlerts(const AlertsConfig& config, Store& store, const Clock& clock, LogSink& inner,
                       Notifier notifier)
    : inner_(inner),
      store_(store),
      audit_seen_(clock.now_ms()),
      clock_(clock),
      switches_(store, clock),
      engine_(config, &switches_),
      notifier_(std::move(notifier)),
      thread_([this] { run(); }) {}

LiveAlerts::~LiveAlerts() {
  queue_.close();
  thread_.join();
}

void LiveAlerts::write(const RequestLog& line) {
  inner_.write(line);
  queue_.push(AlertEvent::from(line));
}

void LiveAlerts::flush() {
  std::unique_lock lock(flush_mu_);
  const std::uint64_t target = ++flush_requested_;
  queue_.wake();
  flushed_cv_.wait(lock, [&] { return flushed_ >= target; });
}

void LiveAlerts::run() {
  bool more = true;
  while (more) {
    std::uint64_t flush_seen = 0;
    bool flush_waiting = false;
    {
      std::lock_guard lock(flush_mu_);
      flush_seen = flush_requested_;
      flush_waiting = flush_requested_ > flushed_;
    }
    // Lines logged before a flush request are queued before it, so this batch holds them. On
    // the way out (the queue closed), the lines already logged are still evaluated (and their
    // switches flipped) before the thread ends: a graceful stop loses no alert.
    std::deque<AlertEvent> batch;
    more =
        queue_.take_all(batch, flush_waiting ? std::chrono::seconds(0) : std::chrono::seconds(1));
    // The audit table is read before a batch that may fire a rule (any failed line), for a
    // flush, and otherwise once a second: not once per batch, which under a launch's load was
    // a query per few confirms on the store (4.7% of serve's CPU, docs/PERFORMANCE.md).
    const EpochMs now = clock_.now_ms();
    const bool may_fire =
        std::any_of(batch.begin(), batch.end(), [](const AlertEvent& e) { return !e.success; });
    std::vector<Transition> changes;
    if (flush_waiting || may_fire || now - audit_polled_ >= 1000 || now < audit_polled_) {
      audit_polled_ = now;
      changes = poll_operator_changes();
    }
    for (const auto& e : batch) {
      auto t = engine_.observe(e);
      changes.insert(changes.end(), t.begin(), t.end());
    }
    auto t = engine_.advance(clock_.now_ms());
    changes.insert(changes.end(), t.begin(), t.end());
    notifier_.send(changes);
    {
      std::lock_guard lock(flush_mu_);
      flushed_ = flush_seen;
    }
    flushed_cv_.notify_all();
  }
}

std::vector<Transition> LiveAlerts::poll_operator_changes() {
  const EpochMs now = clock_.now_ms();
  if (now < audit_seen_) return {};
  auto rows = store_.audit_between(audit_seen_, now + 1, 1000);
  if (!rows) return {};  // the store is unwell: try again in a second
  std::vector<Transition> out;
  for (const auto& row : *rows) {
    audit_seen_ = std::max(audit_seen_, row.at + 1);
    const AuditEntry& a = row.entry;
    if (a.actor == kAlertActor) continue;
    std::optional<std::string> course;
    if (a.action == "course.activate") {
      course = a.target;
    } else if (a.action == "flag.set" && a.target == "payments_enabled") {
      const auto details = nlohmann::json::parse(a.details, nullptr, false);
      if (details.is_object() && details.contains("to") && details["to"] == "on") course = "";
    }
    if (!course) continue;
    auto t = engine_.operator_enabled(row.at, *course);
    out.insert(out.end(), t.begin(), t.end());
  }
  return out;
}

}  // namespace payedge::alert
