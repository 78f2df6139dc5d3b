#include "alert/live.h"

#include <chrono>

namespace payedge::alert {
namespace {
constexpr std::size_t kQueueLimit = 10'000;
}

LiveAlerts::LiveAlerts(const AlertsConfig& config, Store& store, const Clock& clock, LogSink& inner,
                       Notifier notifier)
    : inner_(inner),
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

void LiveAlerts::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !queue_.empty(); });
    // On the way out, the lines already logged are still evaluated (and their switches
    // flipped) before the thread ends: a graceful stop loses no alert.
    const bool last = stopping_;
    std::deque<AlertEvent> batch;
    batch.swap(queue_);
    lock.unlock();
    std::vector<Transition> changes;
    for (const auto& e : batch) {
      auto t = engine_.observe(e);
      changes.insert(changes.end(), t.begin(), t.end());
    }
    auto t = engine_.advance(clock_.now_ms());
    changes.insert(changes.end(), t.begin(), t.end());
    notifier_.send(changes);
    lock.lock();
    if (last) return;
  }
}

}  // namespace payedge::alert
