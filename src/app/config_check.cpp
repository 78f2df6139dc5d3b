#include "app/config_check.h"

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "alert/notifier.h"
#include "api/admin_api.h"
#include "config/config.h"
#include "net/server.h"
#include "toss/toss_client.h"

namespace payedge {
namespace {

// The loader reports its problems in one error; a loader that lists several puts one per line.
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// A directory that `serve` must create a file in.
std::string writable_dir_problem(const std::filesystem::path& file, const std::string& what) {
  auto dir = file.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return what + ": directory " + dir.string() + " does not exist";
  if (::access(dir.c_str(), W_OK) != 0 && !std::filesystem::exists(file, ec)) {
    return what + ": directory " + dir.string() + " is not writable by this user";
  }
  return "";
}

ConfigCheckItem check_secrets(const Secrets& s) {
  ConfigCheckItem item{"secrets (TOSS_SECRET_KEY, SUPABASE_JWT_SECRET, WEBHOOK_SECRET, …)", {}};
  auto& p = item.problems;
  if (s.toss_secret_key == kDevTossSecretKey) {
    p.push_back("TOSS_SECRET_KEY is not set (the development default would be used)");
  } else if (!s.toss_secret_key.starts_with("test_") && !s.toss_secret_key.starts_with("live_")) {
    // Toss API keys start with test_ or live_
    // (https://docs.tosspayments.com/reference/using-api/api-keys).
    p.push_back("TOSS_SECRET_KEY does not look like a Toss secret key (test_… or live_…)");
  }
  if (s.jwt_secret == kDevJwtSecret) {
    p.push_back("SUPABASE_JWT_SECRET is not set (the development default would be used)");
  }
  if (s.webhook_secret == kDevWebhookSecret) {
    p.push_back("WEBHOOK_SECRET is not set (the development default would be used)");
  }
  if (!s.webhook_secret_previous.empty() && s.webhook_secret_previous == s.webhook_secret) {
    p.push_back("WEBHOOK_SECRET_PREVIOUS equals WEBHOOK_SECRET (a rotation leaves them apart)");
  }
  // The dashboard is optional: no token leaves it off, but a short one is a mistake.
  if (!s.admin_token.empty()) {
    if (auto off = admin_disabled_reason(s.admin_token); !off.empty()) p.push_back(off);
  }
  return item;
}

}  // namespace

bool ConfigCheckReport::ok() const {
  for (const auto& item : items) {
    if (!item.problems.empty()) return false;
  }
  return true;
}

std::string ConfigCheckReport::to_text() const {
  std::string out;
  size_t problems = 0;
  for (const auto& item : items) {
    out += (item.problems.empty() ? "ok       " : "problem  ") + item.what + "\n";
    for (const auto& p : item.problems) out += "         - " + p + "\n";
    problems += item.problems.size();
  }
  out += problems == 0 ? "config check: ok\n"
                       : "config check: " + std::to_string(problems) + " problem(s)\n";
  return out;
}

ConfigCheckReport check_config(const std::string& path) {
  ConfigCheckReport report;
  auto config = load_config(path);
  ConfigCheckItem file{path.empty() ? "config (defaults, no file)" : "config file " + path, {}};
  if (!config) {
    file.problems = split_lines(config.error().detail);
    if (file.problems.empty()) file.problems.push_back(std::string(config.error().name()));
  }
  report.items.push_back(std::move(file));
  // The secrets come from the environment whether or not the file loaded.
  const Secrets secrets = config ? config->secrets : secrets_from_env();
  report.items.push_back(check_secrets(secrets));
  if (!config) return report;
  const Config& c = *config;

  ConfigCheckItem listen{"[server] listen = " + c.server.listen, {}};
  if (auto ep = parse_listen(c.server.listen); !ep) listen.problems.push_back(ep.error().detail);
  if (c.server.io_threads < 1 || c.server.store_threads < 1) {
    listen.problems.push_back("[server] io_threads and store_threads must be at least 1");
  }
  report.items.push_back(std::move(listen));

  ConfigCheckItem toss{"[toss] base_url = " + c.toss.base_url, {}};
  if (auto ep = parse_toss_url(c.toss.base_url); !ep) toss.problems.push_back(ep.error().detail);
  if (c.toss.attempt_timeout_ms <= 0 || c.toss.deadline_ms < c.toss.attempt_timeout_ms) {
    toss.problems.push_back("[toss] deadline_ms must be at least attempt_timeout_ms (> 0)");
  }
  report.items.push_back(std::move(toss));

  // The store URL is named without its password (a PostgreSQL URL may carry one).
  const bool pg =
      c.store.url.starts_with("postgres://") || c.store.url.starts_with("postgresql://");
  ConfigCheckItem store{pg ? "[store] url (PostgreSQL)" : "[store] url = " + c.store.url, {}};
  if (!pg) {
    std::string file_path =
        c.store.url.starts_with("sqlite://") ? c.store.url.substr(9) : c.store.url;
    if (file_path.empty()) {
      store.problems.push_back("empty SQLite path");
    } else if (auto why = writable_dir_problem(file_path, "SQLite file"); !why.empty()) {
      store.problems.push_back(why);
    }
  }
  if (c.store.pool_size < 1) store.problems.push_back("[store] pool_size must be at least 1");
  report.items.push_back(std::move(store));

  if (!c.log.file.empty() && c.log.file != "-") {
    ConfigCheckItem log{"[log] file = " + c.log.file, {}};
    if (auto why = writable_dir_problem(c.log.file, "log file"); !why.empty()) {
      log.problems.push_back(why);
    }
    report.items.push_back(std::move(log));
  }

  // The same check `serve` makes before it sends an alert anywhere (never echoing a URL).
  ConfigCheckItem sinks{"[alerts] alertmanager_url, slack_url / SLACK_WEBHOOK_URL", {}};
  alert::Notifier notifier;
  sinks.problems = alert::add_http_sinks(notifier, c.alerts);
  report.items.push_back(std::move(sinks));
  return report;
}

}  // namespace payedge
