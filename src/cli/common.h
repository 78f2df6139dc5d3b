// Shared CLI plumbing: config loading with flag overrides, and error printing.
#pragma once

#include <cstdio>
#include <string>

#include "config/config.h"
#include "core/error.h"

namespace payedge::cli {

inline void print_error(const Error& e) {
  std::fprintf(stderr, "error: %s%s%s\n", std::string(e.name()).c_str(),
               e.detail.empty() ? "" : ": ", e.detail.c_str());
}

// Loads --config (or ./payedge.toml when present and none given).
Result<Config> load_cli_config(const std::string& path);

}  // namespace payedge::cli
