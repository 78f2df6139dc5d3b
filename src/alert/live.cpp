#include "alert/live.h"

#include <chrono>
#include <cstdio>

namespace payedge::alert {

LiveAlerts::LiveAlerts(const AlertsConfig& config, Store& store, const Clock& clock, LogSink& inner,
                       Notifier notifier)
    : inner_(inner),
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

void LiveAlerts::run() {
  // Once a second even without traffic, so alerts resolve when it stops. On the way out the
  // lines already logged are still evaluated (and their switches flipped) before the thread
  // ends: a graceful stop loses no alert.
  std::deque<AlertEvent> batch;
  while (queue_.take_all(batch, std::chrono::seconds(1))) {
    try {
      std::vector<Transition> changes;
      for (const auto& e : batch) {
        auto t = engine_.observe(e);
        changes.insert(changes.end(), t.begin(), t.end());
      }
      auto t = engine_.advance(clock_.now_ms());
      changes.insert(changes.end(), t.begin(), t.end());
      notifier_.send(changes);
    } catch (const std::exception& e) {
      // A bug in a rule must not silence every later alert: say so and keep evaluating.
      std::fprintf(stderr, "alerts: evaluation failed, %zu events skipped: %s\n", batch.size(),
                   e.what());
    }
    batch.clear();
  }
}

}  // namespace payedge::alert
