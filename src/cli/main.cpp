// payedge: the confirm-payment service, the Toss simulator and the on-call toolkit.
#include <cstdio>
#include <string_view>

#include "cli/commands.h"
#include "cli/common.h"
#include "obs/build_info.h"

namespace {

// --lang of the command line, found before the app is built so that --help speaks it too.
std::string find_lang_flag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--lang" && i + 1 < argc) return argv[i + 1];
    if (a.starts_with("--lang=")) return std::string(a.substr(7));
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  payedge::cli::cli_lang_flag() = find_lang_flag(argc, argv);
  CLI::App app{"payedge — Toss payment confirmation service and on-call toolkit"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    std::string text = payedge::version_text();
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  });
  int exit_code = 0;
  payedge::cli::add_serve(app, exit_code);
  payedge::cli::add_sim(app, exit_code);
  payedge::cli::add_demo(app, exit_code);
  payedge::cli::add_store_commands(app, exit_code);
  payedge::cli::add_token(app, exit_code);
  payedge::cli::add_price(app, exit_code);
  payedge::cli::add_ops(app, exit_code);
  payedge::cli::add_logs(app, exit_code);
  payedge::cli::add_watch(app, exit_code);
  payedge::cli::add_incident(app, exit_code);
  payedge::cli::add_check(app, exit_code);
  payedge::cli::add_slo(app, exit_code);
  payedge::cli::add_deploy_commands(app, exit_code);
  payedge::cli::localize_app(app, payedge::cli::run_english());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code;
}
