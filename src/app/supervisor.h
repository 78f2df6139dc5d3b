// What `serve` owes its supervisor: systemd's notify protocol (READY once it listens on a
// migrated store, WATCHDOG pings from the I/O thread, STOPPING at SIGTERM) and logrotate's
// SIGHUP (reopen --log-file). Without NOTIFY_SOCKET (not under systemd) the notifications are
// no-ops. https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html
#pragma once

#include <functional>
#include <memory>

#include "net/asio.h"

namespace payedge {

class Supervisor {
 public:
  // `reopen_log` runs on the I/O thread at each SIGHUP.
  Supervisor(asio::io_context& ioc, std::function<void()> reopen_log);
  ~Supervisor();

  // READY=1 and, when the unit sets WatchdogSec=, a WATCHDOG=1 every half period from a timer
  // on this io_context: a stuck I/O thread stops the pings and systemd restarts the service.
  void ready();
  void stopping();  // STOPPING=1: the drain has begun

 private:
  void arm_watchdog();
  void wait_hup();

  asio::io_context& ioc_;
  std::function<void()> reopen_log_;
  asio::signal_set hup_;
  asio::steady_timer watchdog_;
  std::chrono::microseconds watchdog_period_{0};
  bool stopped_ = false;
};

}  // namespace payedge
