// One function per subcommand: each adds itself to the app and sets `exit_code` when it runs.
// Exit codes: 0 ok, 1 refused or failed, 2 usage.
#pragma once

#include <CLI/CLI.hpp>

namespace payedge::cli {

void add_serve(CLI::App& app, int& exit_code);
void add_sim(CLI::App& app, int& exit_code);
void add_demo(CLI::App& app, int& exit_code);
void add_store_commands(CLI::App& app, int& exit_code);  // migrate, seed
void add_token(CLI::App& app, int& exit_code);
void add_price(CLI::App& app, int& exit_code);
void add_ops(CLI::App& app, int& exit_code);  // reconcile, verify
// query, top, latency, errors, mismatches, export, sample
void add_logs(CLI::App& app, int& exit_code);
void add_watch(CLI::App& app, int& exit_code);     // watch, rules export
void add_incident(CLI::App& app, int& exit_code);  // incident new
void add_check(CLI::App& app, int& exit_code);     // check weekly
void add_slo(CLI::App& app, int& exit_code);       // report

// config check, dashboards export
void add_deploy_commands(CLI::App& app, int& exit_code);

}  // namespace payedge::cli
