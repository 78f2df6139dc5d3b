// The alert engine inside `payedge serve`: a LogSink that passes every request log line on and
// feeds the engine on its own thread, which also lets time pass once a second (so alerts
// resolve when traffic stops) and sends the changes to the notifier. The request path only
// queues an event; store writes and HTTP deliveries never run on the I/O thread. Destruction
// evaluates what is still queued first.
#pragma once

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

 private:
  void run();

  LogSink& inner_;
  const Clock& clock_;
  StoreSwitches switches_;
  AlertEngine engine_;
  Notifier notifier_;
  // The engine may fall behind by thousands of lines: then new events are dropped (counted)
  // and the service goes on.
  WorkQueue<AlertEvent> queue_{10'000};
  std::thread thread_;
};

}  // namespace payedge::alert
