#include "cli/common.h"

#include <filesystem>

namespace payedge::cli {

Result<Config> load_cli_config(const std::string& path) {
  if (!path.empty()) return load_config(path);
  if (std::filesystem::exists("payedge.toml")) return load_config("payedge.toml");
  return load_config("");
}

}  // namespace payedge::cli
