// `payedge migrate` and `payedge seed FILE`.
#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"
#include "cli/common.h"
#include "store/migrations.h"
#include "store/seed.h"
#include "store/store.h"

namespace payedge::cli {
namespace {

// `migrate --dry-run`: the store's version and each migration that would run, in order.
Result<std::string> plan_migrations(Store& store) {
  if (auto st = store.check_schema_compatible(); !st) return std::unexpected(st.error());
  auto version = store.schema_version();
  if (!version) return std::unexpected(version.error());
  std::string out = "store schema version " + std::to_string(*version) + ", this binary's " +
                    std::to_string(latest_schema_version()) + "\n";
  int pending = 0;
  for (const auto& m : all_migrations()) {
    if (m.version <= *version) continue;
    out += "would apply " + std::to_string(m.version) + " " + std::string(m.name) + "\n";
    ++pending;
  }
  out += pending == 0 ? "nothing to do\n"
                      : std::to_string(pending) +
                            " migration(s) would run, each in its own "
                            "transaction\n";
  return out;
}

}  // namespace

void add_store_commands(CLI::App& app, int& exit_code) {
  struct Opts {
    std::string config, store, file, actor, reason;
  };
  auto o = std::make_shared<Opts>();

  auto open = [o]() -> Result<std::unique_ptr<Store>> {
    auto config = load_cli_config(o->config);
    if (!config) return std::unexpected(config.error());
    if (!o->store.empty()) config->store.url = o->store;
    auto store =
        open_store(config->store.url, 1, config->store.busy_timeout_ms, config->store.schema);
    if (!store) return store;
    if (auto st = (*store)->migrate(); !st) return std::unexpected(st.error());
    return store;
  };

  auto* migrate = app.add_subcommand("migrate", "Create or upgrade the database schema");
  migrate->add_option("--store", o->store, "store URL")->check(store_url_check());
  migrate->add_option("--config", o->config, "payedge.toml");
  auto dry_run = std::make_shared<bool>(false);
  migrate->add_flag("--dry-run", *dry_run, "print the migrations that would run; change nothing");
  migrate->callback([o, open, dry_run, &exit_code] {
    if (*dry_run) {
      auto config = load_cli_config(o->config);
      if (!config) return print_error(config.error()), void(exit_code = 1);
      if (!o->store.empty()) config->store.url = o->store;
      auto store = open_store(config->store.url, 1, config->store.busy_timeout_ms);
      if (!store) return print_error(store.error()), void(exit_code = 1);
      auto plan = plan_migrations(**store);
      if (!plan) return print_error(plan.error()), void(exit_code = 1);
      std::fputs(plan->c_str(), stdout);
      return;
    }
    auto store = open();
    if (!store) return print_error(store.error()), void(exit_code = 1);
    std::printf("migrated\n");
  });

  auto* seed = app.add_subcommand("seed", "Load courses and coupons from a JSON or TOML file");
  seed->add_option("FILE", o->file, "seed file (.json or .toml)")->required();
  seed->add_option("--store", o->store, "store URL")->check(store_url_check());
  seed->add_option("--config", o->config, "payedge.toml");
  seed->add_option("--actor", o->actor, "who loads it, for audit_log (default: the login name)");
  seed->add_option("--reason", o->reason, "why, for audit_log (e.g. the ticket)");
  seed->callback([o, open, &exit_code] {
    auto data = read_seed_file(o->file);  // validate everything before touching the store
    if (!data) return print_error(data.error()), void(exit_code = 1);
    auto store = open();
    if (!store) return print_error(store.error()), void(exit_code = 1);
    // Audited: a price change is the usual cause of a mismatch incident (RUNBOOK 4.1).
    std::string actor = o->actor;
    if (actor.empty()) {
      const char* user = std::getenv("USER");
      actor = user && *user ? user : "unknown";
    }
    const SeedAudit audit{actor, std::filesystem::path(o->file).filename().string(),
                          o->reason.empty() ? "payedge seed" : o->reason};
    if (auto st = apply_seed(**store, *data, audit); !st) {
      Error e = st.error();
      e.detail = o->file + ": " + e.detail + " (nothing was written)";
      return print_error(e), void(exit_code = 1);
    }
    std::printf("seeded %zu courses, %zu coupons\n", data->courses.size(), data->coupons.size());
  });
}

}  // namespace payedge::cli
