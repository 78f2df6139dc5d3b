// Shared CLI plumbing: config loading with flag overrides, and error printing.
#pragma once

#include <cstdio>
#include <string>

#include "config/config.h"
#include "core/error.h"
#include "core/time.h"
#include "store/store.h"

namespace payedge::cli {

inline void print_error(const Error& e) {
  std::fprintf(stderr, "error: %s%s%s\n", std::string(e.name()).c_str(),
               e.detail.empty() ? "" : ": ", e.detail.c_str());
}

// Loads --config (or ./payedge.toml when present and none given).
Result<Config> load_cli_config(const std::string& path);

// The store at `url` (the config's when empty), one connection, migrated.
Result<std::unique_ptr<Store>> open_cli_store(const std::string& url, const Config& config);

// --since/--until of a report over a window: `until` empty is now, `since` may be relative to
// `until` ("-7d"). nullopt (with `error` set) when either is not a time or since >= until.
struct TimeWindow {
  EpochMs since = 0, until = 0;
};
std::optional<TimeWindow> parse_window(const std::string& since, const std::string& until,
                                       EpochMs now, std::string& error);

}  // namespace payedge::cli
