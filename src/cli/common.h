// Shared CLI plumbing: config loading with flag overrides, and error printing.
#pragma once

#include <CLI/CLI.hpp>
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
// For commands that only read (`ops verify`, `check weekly`, `incident new`): the store must
// exist at this binary's schema; nothing is created, migrated or written.
Result<std::unique_ptr<Store>> open_cli_store_read_only(const std::string& url,
                                                        const Config& config);

// The check of every --store option: a URL with a scheme, else a usage error (exit 2) before
// the command runs, so a bare or empty value never creates a file.
inline CLI::Validator store_url_check() {
  return CLI::Validator([](std::string& url) { return store_url_problem(url); }, "URL",
                        "store URL");
}

// --since/--until of a report over a window: `until` empty is now, `since` may be relative to
// `until` ("-7d"). nullopt (with `error` set) when either is not a time or since >= until.
struct TimeWindow {
  EpochMs since = 0, until = 0;
};
std::optional<TimeWindow> parse_window(const std::string& since, const std::string& until,
                                       EpochMs now, std::string& error);

}  // namespace payedge::cli
