#include "cli/common.h"

#include <filesystem>

#include "logs/filter.h"

namespace payedge::cli {

Result<Config> load_cli_config(const std::string& path) {
  if (!path.empty()) {
    std::fprintf(stderr, "config: %s\n", path.c_str());
    return load_config(path);
  }
  if (std::filesystem::exists("payedge.toml")) {
    std::fprintf(stderr, "config: ./payedge.toml (found in the working directory)\n");
    return load_config("payedge.toml");
  }
  return load_config("");
}

Result<std::unique_ptr<Store>> open_cli_store(const std::string& url, const Config& config) {
  auto store = open_store(url.empty() ? config.store.url : url, 1, config.store.busy_timeout_ms,
                          config.store.schema);
  if (!store) return store;
  if (auto st = (*store)->migrate(); !st) return std::unexpected(st.error());
  return store;
}

Result<std::unique_ptr<Store>> open_cli_store_read_only(const std::string& url,
                                                        const Config& config) {
  auto store = open_store(url.empty() ? config.store.url : url, 1, config.store.busy_timeout_ms,
                          config.store.schema, true);
  if (!store) return store;
  if (auto st = (*store)->check_schema(); !st) return std::unexpected(st.error());
  return store;
}

std::optional<TimeWindow> parse_window(const std::string& since, const std::string& until,
                                       EpochMs now, std::string& error) {
  const auto end = until.empty() ? std::optional<EpochMs>(now) : logs::parse_time_bound(until, now);
  if (!end) return error = "--until: not a time: " + until, std::nullopt;
  const auto start = logs::parse_time_bound(since, *end);
  if (!start) return error = "--since: not a time: " + since, std::nullopt;
  if (*start >= *end) return error = "--since must be before --until", std::nullopt;
  return TimeWindow{*start, *end};
}

std::optional<ReportSetup> open_report(const std::string& since, const std::string& until,
                                       const std::string& config_path, const std::string& tz_flag,
                                       int& exit_code) {
  auto usage = [&](const std::string& text) {
    std::fprintf(stderr, "error: %s\n", text.c_str());
    exit_code = 2;
    return std::nullopt;
  };
  const EpochMs now = SystemClock::instance().now_ms();
  std::string why;
  const auto window = parse_window(since, until, now, why);
  if (!window) return usage(why);
  auto config = load_cli_config(config_path);
  if (!config) return print_error(config.error()), exit_code = 2, std::nullopt;
  auto tz = logs::TimeZone::load(cli_tz(tz_flag, *config));
  if (!tz) return usage(tz.error().detail);
  return ReportSetup{now, *window, std::move(*config), std::move(*tz)};
}

}  // namespace payedge::cli
