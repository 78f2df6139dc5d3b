#include "app/supervisor.h"

#include <csignal>

#ifdef PAYEDGE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace payedge {
namespace {

void notify(const char* state) {
#ifdef PAYEDGE_HAVE_SYSTEMD
  sd_notify(0, state);
#else
  (void)state;
#endif
}

}  // namespace

Supervisor::Supervisor(asio::io_context& ioc, std::function<void()> reopen_log)
    : ioc_(ioc), reopen_log_(std::move(reopen_log)), hup_(ioc, SIGHUP), watchdog_(ioc) {
  wait_hup();
}

Supervisor::~Supervisor() {
  stopped_ = true;
  boost::system::error_code ec;
  hup_.cancel(ec);
  watchdog_.cancel();
}

void Supervisor::wait_hup() {
  hup_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec || stopped_) return;
    if (reopen_log_) reopen_log_();
    wait_hup();
  });
}

void Supervisor::ready() {
  notify("READY=1");
#ifdef PAYEDGE_HAVE_SYSTEMD
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_period_ = std::chrono::microseconds(usec / 2);
    arm_watchdog();
  }
#endif
}

void Supervisor::arm_watchdog() {
  watchdog_.expires_after(watchdog_period_);
  watchdog_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    notify("WATCHDOG=1");
    arm_watchdog();
  });
}

void Supervisor::stopping() {
  notify("STOPPING=1");
  // The watchdog keeps pinging through the drain: the drain is bounded, TimeoutStopSec too.
}

}  // namespace payedge
