// The alert engine inside `payedge serve`: a LogSink that passes every request log line on and
// feeds the engine on its own thread, which also lets time pass once a second (so alerts
// resolve when traffic stops) and sends the changes to the notifier. The request path only
// queues an event; store writes and HTTP deliveries never run on the I/O thread. Destruction
// evaluates what is still queued first.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "alert/engine.h"
#include "alert/notifier.h"
#include "alert/switches.h"
#include "core/work_queue.h"
#include "obs/request_log.h"

namespace payedge::alert {

class LiveAlerts final : public LogSink {
 public:
  LiveAlerts(const AlertsConfig& config, Store& store, const Clock& clock, LogSink& inner,
             Notifier notifier);
  ~LiveAlerts() override;
  void write(const RequestLog& line) override;
  // Returns once every line written before the call has been evaluated (and its switches
  // flipped). For tests and a graceful stop; the request path never waits for the engine.
  void flush();

 private:
  void run();
  // Operators' "back on" changes since the last look (audit_log, any process): the mismatch
  // rule then counts only mismatches after them.
  std::vector<Transition> poll_operator_changes();

  LogSink& inner_;
  Store& store_;
  EpochMs audit_seen_ = 0;
  EpochMs audit_polled_ = 0;  // when the audit table was last read (the engine's clock)
  const Clock& clock_;
  StoreSwitches switches_;
  AlertEngine engine_;
  Notifier notifier_;
  // Bounded: when the engine falls behind by thousands of lines, new ones are dropped (and
  // counted) so that the service goes on.
  WorkQueue<AlertEvent> queue_{10'000};
  std::mutex flush_mu_;
  std::condition_variable flushed_cv_;
  std::uint64_t flush_requested_ = 0, flushed_ = 0;
  std::thread thread_;
};

}  // namespace payedge::alert
