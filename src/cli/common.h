// Shared CLI plumbing: config loading with flag overrides, and error printing.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/error.h"
#include "core/time.h"
#include "logs/timezone.h"
#include "store/store.h"

namespace payedge::cli {

inline void print_error(const Error& e) {
  std::fprintf(stderr, "error: %s%s%s\n", std::string(e.name()).c_str(),
               e.detail.empty() ? "" : ": ", e.detail.c_str());
}

// Loads --config (or ./payedge.toml when present and none given) and says on stderr which file
// it read, if any: a config picked up from the working directory must not act unannounced.
Result<Config> load_cli_config(const std::string& path);

// The language of a command's words for people (alerts, reasons, reports, `ops` and `check`
// lines, --help): --lang, else English when the locale's language is English, else Korean, as
// the runbook is. The locale is the first of LC_ALL, LC_MESSAGES and LANG that is set and names
// a language (POSIX's order; "C" and "POSIX" name none). JSON output has no language.
inline bool cli_english(const std::string& flag) {
  if (!flag.empty()) return flag.starts_with("en");
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* value = std::getenv(name);
    if (!value || !*value) continue;
    const std::string_view v(value);
    if (v == "C" || v == "POSIX" || v.starts_with("C.")) continue;
    return v.starts_with("en");
  }
  return false;
}
inline bool cli_english(const std::string& flag, const Config& config) {
  return cli_english(flag) || (flag.empty() && config.alerts.lang == "en");
}

// The --lang of the command line (main finds it before the app is built, so --help speaks it
// too; every leaf command accepts --lang). Empty when not given.
std::string& cli_lang_flag();
// The language of this run: cli_english(cli_lang_flag()).
inline bool run_english() { return cli_english(cli_lang_flag()); }
// Words for people in this run's language.
inline const char* tr(const char* ko, const char* en) { return run_english() ? en : ko; }

// Builds --help in this run's language: Korean descriptions (cli/help_ko.cpp) unless English,
// and --lang ko|en on every leaf command that lacks it.
void localize_app(CLI::App& app, bool english);

// The time zone of a command: its --tz, else the config's [log] tz (default Asia/Seoul).
inline std::string cli_tz(const std::string& flag, const Config& config) {
  return flag.empty() ? config.log.tz : flag;
}

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

// What a report over a window starts from (`check weekly`, `incident new`): now, the window,
// the config and its time zone (--tz, else [log] tz). nullopt after the problem was printed
// (`exit_code` 2).
struct ReportSetup {
  EpochMs now = 0;
  TimeWindow window;
  Config config;
  logs::TimeZone tz;
};
std::optional<ReportSetup> open_report(const std::string& since, const std::string& until,
                                       const std::string& config_path, const std::string& tz_flag,
                                       int& exit_code);

}  // namespace payedge::cli
