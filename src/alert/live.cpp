#include "alert/live.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "store/store.h"

namespace payedge::alert {
namespace {
constexpr std::size_t kQueueLimit = 10'000;
}

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
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LiveAlerts::write(const RequestLog& line) {
  inner_.write(line);
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kQueueLimit) {
      ++dropped_;  // the engine fell behind by thousands of lines: keep the service going
      return;
    }
    queue_.push_back(AlertEvent::from(line));
  }
  cv_.notify_one();
}

void LiveAlerts::flush() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = ++flush_requested_;
  cv_.notify_all();
  flushed_cv_.wait(lock, [&] { return flushed_ >= target; });
}

void LiveAlerts::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_for(lock, std::chrono::seconds(1),
                 [&] { return stopping_ || !queue_.empty() || flush_requested_ > flushed_; });
    const std::uint64_t flush_seen = flush_requested_;
    // On the way out, the lines already logged are still evaluated (and their switches
    // flipped) before the thread ends: a graceful stop loses no alert.
    const bool last = stopping_;
    std::deque<AlertEvent> batch;
    batch.swap(queue_);
    lock.unlock();
    std::vector<Transition> changes = poll_operator_changes();
    for (const auto& e : batch) {
      auto t = engine_.observe(e);
      changes.insert(changes.end(), t.begin(), t.end());
    }
    auto t = engine_.advance(clock_.now_ms());
    changes.insert(changes.end(), t.begin(), t.end());
    notifier_.send(changes);
    lock.lock();
    flushed_ = flush_seen;
    flushed_cv_.notify_all();
    if (last) return;
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
