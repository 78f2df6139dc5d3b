// `payedge migrate` and `payedge seed FILE`.
#include "cli/commands.h"
#include "cli/common.h"
#include "store/seed.h"
#include "store/store.h"

namespace payedge::cli {

void add_store_commands(CLI::App& app, int& exit_code) {
  struct Opts {
    std::string config, store, file;
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
  migrate->callback([open, &exit_code] {
    auto store = open();
    if (!store) return print_error(store.error()), void(exit_code = 1);
    std::printf("migrated\n");
  });

  auto* seed = app.add_subcommand("seed", "Load courses and coupons from a JSON or TOML file");
  seed->add_option("FILE", o->file, "seed file (.json or .toml)")->required();
  seed->add_option("--store", o->store, "store URL")->check(store_url_check());
  seed->add_option("--config", o->config, "payedge.toml");
  seed->callback([o, open, &exit_code] {
    auto data = read_seed_file(o->file);  // validate everything before touching the store
    if (!data) return print_error(data.error()), void(exit_code = 1);
    auto store = open();
    if (!store) return print_error(store.error()), void(exit_code = 1);
    if (auto st = apply_seed(**store, *data); !st) {
      Error e = st.error();
      e.detail = o->file + ": " + e.detail + " (nothing was written)";
      return print_error(e), void(exit_code = 1);
    }
    std::printf("seeded %zu courses, %zu coupons\n", data->courses.size(), data->coupons.size());
  });
}

}  // namespace payedge::cli
