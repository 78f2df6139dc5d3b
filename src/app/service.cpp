#include "app/service.h"

#include "store/migrations.h"

namespace payedge {

Service::Service(asio::io_context& ioc, Config config, const Clock& clock)
    : ioc_(ioc),
      config_(std::move(config)),
      clock_(clock),
      pool_(std::max(1, config_.server.store_threads)) {}

Service::~Service() {
  if (server_) server_->stop();
  pool_.join();
}

Result<std::unique_ptr<Service>> Service::create(asio::io_context& ioc, Config config,
                                                 const Clock& clock, LogSink* log) {
  std::unique_ptr<Service> s(new Service(ioc, std::move(config), clock));
  const Config& c = s->config_;
  auto store = open_store(c.store.url, c.store.pool_size, c.store.busy_timeout_ms);
  if (!store) return std::unexpected(store.error());
  s->store_ = std::move(*store);
  if (c.store.auto_migrate) {
    if (auto st = s->store_->migrate(); !st) return std::unexpected(st.error());
  } else {
    auto version = s->store_->schema_version();  // no migrating, but never on a newer schema
    if (!version) return std::unexpected(version.error());
    if (auto st = check_schema_version(*version); !st) return std::unexpected(st.error());
  }
  if (log) {
    s->log_ = log;
  } else {
    s->own_log_ = FileLogSink::open(c.log.file);
    if (!s->own_log_) return fail(ErrorCode::kInternal, "cannot open log file " + c.log.file);
    s->log_ = s->own_log_.get();
  }
  if (c.alerts.enabled) {
    // The alert engine sees every request log line first-hand (SPEC 8: serve runs it in process).
    alert::Notifier notifier;
    notifier.add(std::make_unique<alert::StoreSink>(*s->store_));
    notifier.add(std::make_unique<alert::PrintSink>(stderr, false));
    // A sink that cannot be used does not stop the service; `serve` says why after it starts.
    s->notices_ = alert::add_http_sinks(notifier, c.alerts);
    s->alerts_ = std::make_unique<alert::LiveAlerts>(c.alerts, *s->store_, clock, *s->log_,
                                                     std::move(notifier));
    s->log_ = s->alerts_.get();
  }
  // The line counters of /metrics see what the log and the alert engine see.
  s->metrics_log_ = std::make_unique<MetricsLogSink>(s->metrics_.lines, *s->log_);
  s->log_ = s->metrics_log_.get();
  if (auto courses = s->store_->list_courses()) {
    std::vector<std::string> ids;
    for (const auto& course : *courses) ids.push_back(course.id);
    s->metrics_.lines.set_courses(ids);
  }
  auto endpoint = parse_toss_url(c.toss.base_url);
  if (!endpoint) return std::unexpected(endpoint.error());
  s->toss_ = std::make_unique<TossClient>(*endpoint, c.toss, c.secrets.toss_secret_key);
  s->confirm_ =
      std::make_unique<ConfirmService>(s->pool_, *s->store_, *s->toss_, c, clock, s->metrics_);
  s->reconciler_ =
      std::make_unique<Reconciler>(s->pool_, *s->store_, *s->confirm_, c, clock, s->log_);
  s->reconcile_timer_ = std::make_unique<asio::steady_timer>(ioc);
  s->webhook_ =
      std::make_unique<WebhookHandler>(s->pool_, *s->store_, *s->toss_, *s->confirm_, c, clock);
  s->api_ = std::make_unique<Api>(s->pool_, *s->store_, *s->confirm_, *s->webhook_, c, clock,
                                  s->metrics_, *s->log_);
  HttpServerOptions options{c.server.max_body_bytes, c.server.read_timeout_ms,
                            c.server.idle_timeout_ms, c.server.max_connections};
  Api* api = s->api_.get();
  s->server_ = std::make_unique<HttpServer>(ioc, options,
                                            [api](HttpRequest& req) { return api->handle(req); });
  return s;
}

Result<tcp::endpoint> Service::start() {
  auto ep = server_->start(config_.server.listen);
  if (ep && config_.idempotency.reconcile_interval_s > 0) {
    asio::co_spawn(ioc_, reconcile_periodically(), asio::detached);
  }
  return ep;
}

void Service::stop() {
  stopping_ = true;
  server_->stop();
  reconcile_timer_->cancel();
}

awaitable<void> Service::drain(std::chrono::milliseconds limit) {
  stopping_ = true;
  reconcile_timer_->cancel();
  co_await server_->drain(limit);
}

awaitable<void> Service::reconcile_periodically() {
  ReconcileOptions options;
  options.older_than_ms = config_.idempotency.reconcile_older_than_s * 1000LL;
  options.actor = "serve";
  options.reason = "periodic reconcile";
  while (!stopping_) {
    reconcile_timer_->expires_after(std::chrono::seconds(config_.idempotency.reconcile_interval_s));
    boost::system::error_code ec;
    co_await reconcile_timer_->async_wait(asio::redirect_error(use_awaitable, ec));
    if (stopping_) break;
    co_await reconciler_->run_once(options);
  }
}

SimService::SimService(asio::io_context& ioc, SimOptions options, const Clock& clock)
    : sim_(std::move(options), clock),
      server_(ioc, HttpServerOptions{1024 * 1024, 30'000, 60'000, 4096},
              [this](HttpRequest& req) { return sim_.handle(req); }) {}

Result<tcp::endpoint> SimService::start(const std::string& listen) { return server_.start(listen); }

}  // namespace payedge
