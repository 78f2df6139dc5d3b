// `payedge config check`: everything `serve` would refuse or regret, found without starting
// anything — the config file through the loader's own validation, the environment's secrets,
// and the addresses, URLs and paths the config names.
#pragma once

#include <string>
#include <vector>

namespace payedge {

struct ConfigCheckItem {
  std::string what;                   // "config file payedge.toml", "TOSS_SECRET_KEY", …
  std::vector<std::string> problems;  // empty: fine
};

struct ConfigCheckReport {
  std::vector<ConfigCheckItem> items;
  bool ok() const;
  std::string to_text() const;  // one line per item ("ok" or "problem"), then its problems
};

// `path` empty: the defaults (what `serve` runs without --config). Reads the environment.
ConfigCheckReport check_config(const std::string& path);

}  // namespace payedge
