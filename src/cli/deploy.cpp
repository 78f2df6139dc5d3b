// `payedge config check` and `payedge dashboards export`: what a platform team runs before and
// beside `serve`. Wiring only: the checks are in src/app, the dashboard in src/alert.
#include <filesystem>

#include "alert/grafana_dashboard.h"
#include "app/config_check.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace payedge::cli {

void add_deploy_commands(CLI::App& app, int& exit_code) {
  auto* config = app.add_subcommand("config", "The configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand(
      "check", "Validate payedge.toml and the environment's secrets without starting anything");
  auto path = std::make_shared<std::string>();
  check->add_option("--config", *path, "payedge.toml (default: ./payedge.toml when present)");
  check->callback([path, &exit_code] {
    std::string file = *path;
    if (file.empty() && std::filesystem::exists("payedge.toml")) file = "payedge.toml";
    const ConfigCheckReport report = check_config(file);
    std::fputs(report.to_text().c_str(), stdout);
    if (!report.ok()) exit_code = 1;
  });

  auto* dashboards = app.add_subcommand("dashboards", "Dashboards over /metrics");
  dashboards->require_subcommand(1);
  auto* exp = dashboards->add_subcommand(
      "export", "A dashboard for another tool (its queries are those of `rules export`)");
  struct Opts {
    std::string format = "grafana", config;
    bool list_queries = false;
  };
  auto o = std::make_shared<Opts>();
  exp->add_option("--format", o->format, "grafana")->check(CLI::IsMember({"grafana"}));
  exp->add_option("--config", o->config, "payedge.toml ([alerts] and [slo] thresholds)");
  exp->add_flag("--list-queries", o->list_queries, "print each PromQL expression on its own line");
  exp->callback([o, &exit_code] {
    auto c = load_cli_config(o->config);
    if (!c) return print_error(c.error()), void(exit_code = 2);
    std::string text;
    if (o->list_queries) {
      for (const auto& e : alert::grafana_expressions(c->alerts)) text += e + "\n";
    } else {
      text = alert::grafana_dashboard(c->alerts);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
  });
}

}  // namespace payedge::cli
