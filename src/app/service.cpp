#include "app/service.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "alert/alert_text.h"
#include "core/codec.h"
#include "obs/build_info.h"
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
  auto store = open_store(c.store.url, c.store.pool_size, c.store.busy_timeout_ms, c.store.schema);
  if (!store) return std::unexpected(store.error());
  s->store_ = std::move(*store);
  if (c.store.auto_migrate) {
    if (auto st = s->store_->migrate(); !st) return std::unexpected(st.error());
  } else {
    // No migrating, but never on a newer schema that is not expand-only.
    if (auto st = s->store_->check_schema_compatible(); !st) return std::unexpected(st.error());
  }
  {
    // Who this process is to the other instances: its leases hold while its heartbeat is fresh.
    InstanceRecord& self = s->instance_;
    char host[256] = {};
    self.host = ::gethostname(host, sizeof host - 1) == 0 ? std::string(host) : "unknown";
    self.pid = ::getpid();
    self.instance_id = fmt::format("{}-{}-{}", self.host.substr(0, 32), self.pid, random_hex(3));
    self.version = build_info().version;
    self.started_at = clock.now_ms();
    self.heartbeat_at = self.started_at;
    if (auto st = s->store_->register_instance(self, c.server.heartbeat_stale_ms); !st) {
      return fail(st.error().code, "registering in the store's instances: " + st.error().detail);
    }
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
    notifier.add(std::make_unique<alert::PrintSink>(stderr, false, alert::english(c.alerts.lang)));
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
  s->metrics_.lines.set_mismatch_window(c.alerts.mismatch_window_s * 1000LL);
  auto endpoint = parse_toss_url(c.toss.base_url);
  if (!endpoint) return std::unexpected(endpoint.error());
  if (endpoint->tls) {
    // A CA file that cannot be read stops the start, not the first confirm.
    if (auto st = check_ca_file(c.toss.ca_file); !st)
      return fail(st.error().code, "[toss] ca_file: " + st.error().detail);
  }
  s->toss_ = std::make_unique<TossClient>(*endpoint, c.toss, c.secrets.toss_secret_key);
  s->toss_->set_log(s->log_);
  s->confirm_ =
      std::make_unique<ConfirmService>(s->pool_, *s->store_, *s->toss_, c, clock, s->metrics_);
  s->reconciler_ =
      std::make_unique<Reconciler>(s->pool_, *s->store_, *s->confirm_, c, clock, s->log_);
  s->reconcile_timer_ = std::make_unique<asio::steady_timer>(ioc);
  s->heartbeat_timer_ = std::make_unique<asio::steady_timer>(ioc);
  s->webhook_ = std::make_unique<WebhookService>(ioc, s->pool_, *s->store_, *s->toss_, *s->confirm_,
                                                 c, clock, *s->log_);
  AuthPolicy policy;
  policy.clock_skew_s = c.auth.clock_skew_s;
  policy.algorithms = c.auth.algorithms;
  policy.audiences = c.auth.audiences;
  policy.roles = c.auth.roles;
  policy.issuer = c.auth.issuer;
  policy.allow_anonymous = c.auth.allow_anonymous;
  s->tokens_ =
      std::make_unique<TokenVerifier>(ioc, s->pool_, std::move(policy), c.secrets.jwt_secret,
                                      JwksSource{c.auth.jwks_url, c.auth.jwks_file,
                                                 c.auth.jwks_refresh_s, c.auth.jwks_min_refresh_s});
  std::vector<std::string> auth_notices;
  if (auto st = s->tokens_->load_now(auth_notices); !st) {
    // A file is ours to fix before starting; a URL may be down for a while (HS256 still works,
    // the refreshes keep trying, and the notice says so after 'listening on').
    if (!c.auth.jwks_file.empty()) {
      return fail(ErrorCode::kInvalidRequest, "[auth] jwks_file: " + st.error().detail);
    }
  }
  s->notices_.insert(s->notices_.end(), auth_notices.begin(), auth_notices.end());
  s->api_ = std::make_unique<Api>(s->pool_, *s->store_, *s->confirm_, *s->webhook_, *s->tokens_, c,
                                  clock, s->metrics_, *s->log_);
  HttpServerOptions options{c.server.max_body_bytes, c.server.read_timeout_ms,
                            c.server.idle_timeout_ms, c.server.max_connections};
  Api* api = s->api_.get();
  s->server_ = std::make_unique<HttpServer>(
      ioc, options,
      [api](HttpRequest& req) -> awaitable<HttpAnswer> { co_return co_await api->handle(req); });
  return s;
}

Result<tcp::endpoint> Service::start() {
  auto ep = server_->start(config_.server.listen);
  if (ep) tokens_->start();
  // Stored webhooks are processed after their 200, including what a previous run left.
  if (ep) webhook_->start();
  if (ep) asio::co_spawn(ioc_, heartbeat_periodically(), LogFailure{"instance heartbeat"});
  if (ep && config_.idempotency.reconcile_interval_s > 0) {
    asio::co_spawn(ioc_, reconcile_periodically(), LogFailure{"periodic reconciler"});
  }
  return ep;
}

void Service::stop() {
  stopping_ = true;
  heartbeat_stopped_ = true;
  server_->stop();
  reconcile_timer_->cancel();
  heartbeat_timer_->cancel();
  tokens_->stop();
  webhook_->stop();
}

awaitable<void> Service::shutdown() {
  // Not ready from the first moment, so a load balancer stops sending (issue 17); serving goes
  // on for shutdown_delay_ms, as kube-apiserver's /readyz does with its ShutdownDelayDuration
  // (https://github.com/kubernetes/kubernetes/pull/88911).
  api_->set_draining();
  server_->set_closing();
  if (config_.server.shutdown_delay_ms > 0) {
    asio::steady_timer delay(ioc_, std::chrono::milliseconds(config_.server.shutdown_delay_ms));
    boost::system::error_code ec;
    co_await delay.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  stopping_ = true;
  reconcile_timer_->cancel();
  tokens_->stop();
  co_await server_->drain(std::chrono::milliseconds(config_.server.drain_timeout_ms));
  webhook_->stop();
  heartbeat_stopped_ = true;
  heartbeat_timer_->cancel();
}

void Service::deregister() {
  if (auto st = store_->deregister_instance(clock_.now_ms()); !st) {
    std::fprintf(stderr, "warning: could not mark instance %s stopped: %s\n",
                 instance_.instance_id.c_str(), st.error().detail.c_str());
  }
}

awaitable<void> Service::heartbeat_periodically() {
  // From its own timer, not only from /readyz: an instance nobody probes is alive too.
  while (!heartbeat_stopped_) {
    heartbeat_timer_->expires_after(
        std::chrono::milliseconds(config_.server.heartbeat_interval_ms));
    boost::system::error_code ec;
    co_await heartbeat_timer_->async_wait(asio::redirect_error(use_awaitable, ec));
    if (heartbeat_stopped_) break;
    auto st = co_await run_blocking(pool_, [this] { return store_->ping(); });
    if (!st && !heartbeat_failing_) {
      std::fprintf(stderr,
                   "warning: instance heartbeat failed (%s): after %d ms other instances may take "
                   "over this instance's confirms\n",
                   st.error().detail.c_str(), config_.server.heartbeat_stale_ms);
    } else if (st && heartbeat_failing_) {
      std::fprintf(stderr, "instance heartbeat: written again\n");
    }
    heartbeat_failing_ = !st;
  }
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
    std::string failure;
    try {
      co_await reconciler_->run_once(options);
    } catch (const std::exception& e) {
      failure = e.what();  // one bad round (a Toss body we did not expect) must not end the loop
    }
    if (!failure.empty()) std::fprintf(stderr, "reconciler: round failed: %s\n", failure.c_str());
  }
}

SimService::SimService(asio::io_context& ioc, SimOptions options, const Clock& clock,
                       std::shared_ptr<boost::asio::ssl::context> tls)
    : sim_(std::move(options), clock),
      server_(
          ioc, HttpServerOptions{1024 * 1024, 30'000, 60'000, 4096},
          [this](HttpRequest& req) { return sim_.handle(req); }, std::move(tls)) {}

Result<tcp::endpoint> SimService::start(const std::string& listen) { return server_.start(listen); }

}  // namespace payedge
