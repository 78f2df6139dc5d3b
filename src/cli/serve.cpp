// `payedge serve` and `payedge sim`: run a server until SIGINT/SIGTERM.
#include <csignal>
#include <filesystem>

#include "api/admin_api.h"
#include "app/service.h"
#include "app/supervisor.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "net/tls.h"
#include "obs/mask.h"

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

// `--jwks DIR` means DIR/jwks.json (the folder of `payedge token --init-keys`).
std::string jwks_path(const std::string& arg) {
  if (!arg.empty() && std::filesystem::is_directory(arg)) return arg + "/jwks.json";
  return arg;
}

}  // namespace

void add_serve(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("serve", "Run the confirm-payment and webhook HTTP service");
  struct Opts {
    std::string config, listen, store, toss_url, toss_ca, log_file;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--config", o->config, "payedge.toml");
  cmd->add_option("--listen", o->listen, "HOST:PORT (port 0 picks a free port)");
  cmd->add_option("--store", o->store, "sqlite:///path/payedge.db")->check(store_url_check());
  cmd->add_option("--toss-url", o->toss_url, "Toss API base URL (the simulator's in tests)");
  cmd->add_option("--toss-ca", o->toss_ca,
                  "PEM CA file to trust for the Toss API instead of the system store");
  cmd->add_option("--log-file", o->log_file, "write log lines here instead of stdout");
  cmd->callback([o, &exit_code] {
    auto config = load_cli_config(o->config);
    if (!config) return print_error(config.error()), void(exit_code = 2);
    if (!o->listen.empty()) config->server.listen = o->listen;
    if (!o->store.empty()) config->store.url = o->store;
    if (!o->toss_url.empty()) config->toss.base_url = o->toss_url;
    if (!o->toss_ca.empty()) config->toss.ca_file = o->toss_ca;
    if (!o->log_file.empty()) config->log.file = o->log_file;
    if (const auto refusal = toss_key_refusal(*config); !refusal.empty()) {
      std::fprintf(stderr, "error: %s\n", refusal.c_str());
      return void(exit_code = 1);
    }
    if (const auto refusal = dev_secret_refusal(*config); !refusal.empty()) {
      std::fprintf(stderr, "error: %s\n", refusal.c_str());
      return void(exit_code = 1);
    }
    // The log masks this process's own secrets wherever a client puts them (SPEC 11).
    for (const auto* secret :
         {&config->secrets.toss_secret_key, &config->secrets.jwt_secret,
          &config->secrets.webhook_secret, &config->secrets.webhook_secret_previous,
          &config->secrets.admin_token, &config->secrets.slack_webhook_url}) {
      add_known_secret(*secret);
    }
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
    // From the key's prefix only: the key itself is never printed.
    std::fprintf(stderr, "toss mode: %s\n", toss_key_mode(config->secrets.toss_secret_key).c_str());
    for (const auto& notice : (*service)->notices()) std::fprintf(stderr, "%s\n", notice.c_str());
    // The dashboard has no development default: without a token its API stays off (503).
    if (const auto off = admin_disabled_reason(config->secrets.admin_token); off.empty()) {
      std::fprintf(stderr, "admin dashboard: http://%s:%u/admin/ (token: PAYEDGE_ADMIN_TOKEN)\n",
                   ep->address().to_string().c_str(), ep->port());
    } else {
      std::fprintf(stderr, "admin dashboard: API off (%s)\n", off.c_str());
    }
    if (config->secrets.using_dev_defaults) {
      std::string names;
      for (const auto& n : config->secrets.dev_defaults) names += (names.empty() ? "" : ", ") + n;
      std::fprintf(stderr, "warning: %s not set; using development defaults\n", names.c_str());
    }
    std::fflush(stderr);
    supervisor.ready();  // the store was migrated in Service::create, and we listen
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      supervisor.stopping();
      asio::co_spawn(ioc, (*service)->shutdown(), [&](std::exception_ptr) { ioc.stop(); });
    });
    ioc.run();
    (*service)->deregister();
  });
}

void add_sim(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("sim", "Run the local Toss Payments API simulator");
  struct Opts {
    std::string listen = "127.0.0.1:8081";
    std::string tls_cert, tls_key, tls_self_signed;
    bool auto_sessions = false;
    int timeout_hang_ms = 15'000;
    std::string jwks;
    std::string webhook_url;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--listen", o->listen, "HOST:PORT (port 0 picks a free port)");
  cmd->add_flag("--auto-sessions", o->auto_sessions,
                "create a payment session on the first confirm of an unknown paymentKey");
  cmd->add_option("--timeout-hang-ms", o->timeout_hang_ms,
                  "how long an injected timeout holds a request");
  auto* cert = cmd->add_option("--tls-cert", o->tls_cert, "serve HTTPS with this PEM certificate");
  auto* key = cmd->add_option("--tls-key", o->tls_key, "... and this PEM private key");
  auto* self_signed = cmd->add_option(
      "--tls-self-signed", o->tls_self_signed,
      "serve HTTPS with a throwaway CA and localhost certificate written to DIR (ca.pem, "
      "cert.pem, key.pem)");
  cert->needs(key);
  key->needs(cert);
  self_signed->excludes(cert)->excludes(key);
  cmd->add_option("--jwks", o->jwks,
                  "serve this JWKS file (or a `token --init-keys` folder's jwks.json) at "
                  "/auth/v1/.well-known/jwks.json");
  cmd->add_option("--webhook-url", o->webhook_url,
                  "where /__sim/deposit and /__sim/expire deliver their webhooks (loopback)");
  cmd->callback([o, &exit_code] {
    const Secrets secrets = secrets_from_env();
    std::shared_ptr<ssl::context> tls;
    if (!o->tls_self_signed.empty()) {
      if (auto st = write_self_signed(o->tls_self_signed); !st)
        return print_error(st.error()), void(exit_code = 1);
      o->tls_cert = o->tls_self_signed + "/cert.pem";
      o->tls_key = o->tls_self_signed + "/key.pem";
    }
    if (!o->tls_cert.empty()) {
      auto ctx = server_tls_context(o->tls_cert, o->tls_key);
      if (!ctx) return print_error(ctx.error()), void(exit_code = 1);
      tls = *ctx;
    }
    asio::io_context ioc(1);
    SimService sim(ioc,
                   SimOptions{secrets.toss_secret_key, o->auto_sessions, o->timeout_hang_ms,
                              secrets.webhook_secret, jwks_path(o->jwks), o->webhook_url},
                   SystemClock::instance(), tls);
    auto ep = sim.start(o->listen);
    if (!ep) return print_error(ep.error()), void(exit_code = 1);
    std::fprintf(stderr, "listening on %s:%u\n", ep->address().to_string().c_str(), ep->port());
    std::fflush(stderr);
    run_until_signal(ioc, [&] { sim.stop(); });
  });
}

}  // namespace payedge::cli
