// `payedge serve` and `payedge sim`: run a server until SIGINT/SIGTERM.
#include <csignal>

#include "api/admin_api.h"
#include "app/service.h"
#include "app/supervisor.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace payedge::cli {
namespace {

void run_until_signal(asio::io_context& ioc, std::function<void()> stop) {
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    stop();
    ioc.stop();
  });
  ioc.run();
}

}  // namespace

void add_serve(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("serve", "Run the confirm-payment and webhook HTTP service");
  struct Opts {
    std::string config, listen, store, toss_url, log_file;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config", o->config, "payedge.toml");
  cmd->add_option("--listen", o->listen, "HOST:PORT (port 0 picks a free port)");
  cmd->add_option("--store", o->store, "sqlite:///path/payedge.db");
  cmd->add_option("--toss-url", o->toss_url, "Toss API base URL (the simulator's in tests)");
  cmd->add_option("--log-file", o->log_file, "write log lines here instead of stdout");
  cmd->callback([o, &exit_code] {
    auto config = load_cli_config(o->config);
    if (!config) return print_error(config.error()), void(exit_code = 2);
    if (!o->listen.empty()) config->server.listen = o->listen;
    if (!o->store.empty()) config->store.url = o->store;
    if (!o->toss_url.empty()) config->toss.base_url = o->toss_url;
    if (!o->log_file.empty()) config->log.file = o->log_file;
    asio::io_context ioc(1);
    auto service = Service::create(ioc, *config, SystemClock::instance());
    if (!service) return print_error(service.error()), void(exit_code = 1);
    // SIGHUP reopens the log file (logrotate); systemd hears READY once we listen.
    Supervisor supervisor(ioc, [&] {
      if (!(*service)->reopen_log()) {
        std::fprintf(stderr, "warning: cannot reopen log file %s\n", config->log.file.c_str());
      }
    });
    auto ep = (*service)->start();
    if (!ep) return print_error(ep.error()), void(exit_code = 1);
    std::fprintf(stderr, "listening on %s:%u\n", ep->address().to_string().c_str(), ep->port());
    for (const auto& notice : (*service)->notices()) std::fprintf(stderr, "%s\n", notice.c_str());
    // The dashboard has no development default: without a token its API stays off (503).
    if (const auto off = admin_disabled_reason(config->secrets.admin_token); off.empty()) {
      std::fprintf(stderr, "admin dashboard: http://%s:%u/admin/ (token: PAYEDGE_ADMIN_TOKEN)\n",
                   ep->address().to_string().c_str(), ep->port());
    } else {
      std::fprintf(stderr, "admin dashboard: API off (%s)\n", off.c_str());
    }
    if (config->secrets.using_dev_defaults) {
      std::fprintf(
          stderr,
          "warning: TOSS_SECRET_KEY or SUPABASE_JWT_SECRET not set; using development defaults\n");
    }
    std::fflush(stderr);
    supervisor.ready();  // the store was migrated in Service::create, and we listen
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      supervisor.stopping();
      asio::co_spawn(ioc, (*service)->drain(std::chrono::seconds(10)),
                     [&](std::exception_ptr) { ioc.stop(); });
    });
    ioc.run();
  });
}

void add_sim(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("sim", "Run the local Toss Payments API simulator");
  struct Opts {
    std::string listen = "127.0.0.1:8081";
    bool auto_sessions = false;
    int timeout_hang_ms = 15'000;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--listen", o->listen, "HOST:PORT (port 0 picks a free port)");
  cmd->add_flag("--auto-sessions", o->auto_sessions,
                "create a payment session on the first confirm of an unknown paymentKey");
  cmd->add_option("--timeout-hang-ms", o->timeout_hang_ms,
                  "how long an injected timeout holds a request");
  cmd->callback([o, &exit_code] {
    const Secrets secrets = secrets_from_env();
    asio::io_context ioc(1);
    SimService sim(ioc,
                   SimOptions{secrets.toss_secret_key, o->auto_sessions, o->timeout_hang_ms,
                              secrets.webhook_secret},
                   SystemClock::instance());
    auto ep = sim.start(o->listen);
    if (!ep) return print_error(ep.error()), void(exit_code = 1);
    std::fprintf(stderr, "listening on %s:%u\n", ep->address().to_string().c_str(), ep->port());
    std::fflush(stderr);
    run_until_signal(ioc, [&] { sim.stop(); });
  });
}

}  // namespace payedge::cli
