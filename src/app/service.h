// Wiring of the two servers: `Service` is everything `payedge serve` runs, `SimService` is
// `payedge sim`. Both run on a caller-owned io_context (one thread), so `demo` can host both.
#pragma once

#include <memory>

#include "alert/live.h"
#include "api/api.h"
#include "config/config.h"
#include "confirm/confirm_service.h"
#include "confirm/reconciler.h"
#include "net/server.h"
#include "obs/metrics.h"
#include "obs/request_log.h"
#include "sim/simulator.h"
#include "store/store.h"
#include "toss/toss_client.h"

namespace payedge {

class Service {
 public:
  // `log` overrides config.log.file when given (the demo collects the lines itself).
  static Result<std::unique_ptr<Service>> create(asio::io_context& ioc, Config config,
                                                 const Clock& clock, LogSink* log = nullptr);
  ~Service();
  Result<tcp::endpoint> start();
  void stop();
  // SIGTERM: /readyz answers 503 at once and answers close their connections; requests are
  // still served for [server] shutdown_delay_ms (a load balancer stops sending meanwhile);
  // then accepting stops and in-flight requests finish, bounded by drain_timeout_ms. The
  // heartbeat goes on until then: the confirms still running are this instance's.
  awaitable<void> shutdown();
  // After the I/O loop ended: the instance is marked stopped in the store, so whatever it
  // still held (a confirm cut by the drain's bound) is free for the others at once.
  void deregister();
  Store& store() { return *store_; }
  // This process in the store's `instances` (issue 14).
  const std::string& instance_id() const { return instance_.instance_id; }
  // SIGHUP (logrotate): the --log-file again at its path; false when it cannot be opened.
  bool reopen_log() { return own_log_ ? own_log_->reopen() : true; }
  // Things worth telling the operator once the service listens (e.g. an unusable alert sink).
  const std::vector<std::string>& notices() const { return notices_; }

 private:
  Service(asio::io_context& ioc, Config config, const Clock& clock);
  awaitable<void> reconcile_periodically();
  awaitable<void> heartbeat_periodically();

  asio::io_context& ioc_;
  Config config_;
  const Clock& clock_;
  asio::thread_pool pool_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<FileLogSink> own_log_;
  std::unique_ptr<MetricsLogSink> metrics_log_;  // in front of everything: counts each line
  std::unique_ptr<alert::LiveAlerts> alerts_;    // in front of the log sink when alerts are on
  std::vector<std::string> notices_;
  LogSink* log_ = nullptr;
  Metrics metrics_;
  std::unique_ptr<TossClient> toss_;
  std::unique_ptr<ConfirmService> confirm_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<WebhookService> webhook_;
  std::unique_ptr<TokenVerifier> tokens_;
  std::unique_ptr<asio::steady_timer> reconcile_timer_;
  std::unique_ptr<asio::steady_timer> heartbeat_timer_;
  InstanceRecord instance_;
  bool stopping_ = false;
  bool heartbeat_stopped_ = false;
  bool heartbeat_failing_ = false;  // said once on stderr, and once when it recovers
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
};

class SimService {
 public:
  // With `tls` the simulator speaks HTTPS only (`sim --tls-cert/--tls-self-signed`).
  SimService(asio::io_context& ioc, SimOptions options, const Clock& clock,
             std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  Result<tcp::endpoint> start(const std::string& listen);
  void stop() { server_.stop(); }

 private:
  Simulator sim_;
  HttpServer server_;
};

}  // namespace payedge
