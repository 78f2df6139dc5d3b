// `payedge logs query|top|latency|errors|mismatches|export|sample`: log triage over files,
// globs or stdin (SPEC section 8). Wiring only: the work is in src/logs.
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "logs/commands.h"
#include "logs/input.h"
#include "store/store.h"

namespace payedge::cli {
namespace {

using logs::LogsOptions;
using logs::OutputFormat;

// What every `logs` subcommand takes: inputs, filters, verbosity, threads, output format.
struct CommonFlags {
  std::vector<std::string> inputs;
  std::vector<std::string> fn, status, error_code, user, course;
  std::string since, until;
  std::string format;
  bool verbose = false;
  unsigned threads = 0;
  bool statistics = false;          // top, latency, errors: request statistics
  bool include_background = false;  // ... with the background lines (reconciler, admin-poll)
};

void add_common(CLI::App* cmd, CommonFlags& f, const std::string& default_format) {
  f.format = default_format;
  cmd->add_option("files", f.inputs, "log files, globs or - for stdin (default: stdin)");
  cmd->add_option("--fn", f.fn, "function name (repeat or comma-separate for several)")
      ->allow_extra_args(false);
  cmd->add_option("--status", f.status, "success|error")->allow_extra_args(false);
  cmd->add_option("--error-code", f.error_code, "error code, e.g. E_AMOUNT_MISMATCH")
      ->allow_extra_args(false);
  cmd->add_option("--user", f.user, "user_id")->allow_extra_args(false);
  cmd->add_option("--course", f.course, "course_id")->allow_extra_args(false);
  cmd->add_option("--since", f.since, "from this time: RFC 3339, a date, or relative like -2h");
  cmd->add_option("--until", f.until, "before this time: RFC 3339, a date, or relative");
  cmd->add_option("--format", f.format, "table|json|csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->add_flag("-v,--verbose", f.verbose, "list the first malformed lines by number");
  cmd->add_option("--threads", f.threads, "worker threads (default: one per core)");
}

// top, latency and errors count requests: the background lines (the reconciler's rounds, the
// dashboard's polling, the Toss client's transport lines) stay out unless asked for.
void add_statistics(CLI::App* cmd, CommonFlags& f) {
  f.statistics = true;
  cmd->add_flag("--include-background", f.include_background,
                "also count background lines (fn reconciler, admin-poll, toss-client)");
}

void usage_error(const std::string& text, int& exit_code) {
  std::fprintf(stderr, "error: %s\n", text.c_str());
  exit_code = 2;
}

// Flags → options; false (with exit_code set) when something is wrong.
bool build_options(const CommonFlags& f, LogsOptions& o, int& exit_code) {
  const EpochMs now = SystemClock::instance().now_ms();
  o.filter.fn = logs::split_values(f.fn);
  o.filter.status = logs::split_values(f.status);
  o.filter.error_code = logs::split_values(f.error_code);
  o.filter.user = logs::split_values(f.user);
  o.filter.course = logs::split_values(f.course);
  // Asked for by --fn, they count; else not unless --include-background.
  if (f.statistics && !f.include_background && o.filter.fn.empty()) {
    o.filter.exclude_fn = logs::background_fns();
  }
  if (!f.since.empty()) {
    o.filter.since = logs::parse_time_bound(f.since, now);
    if (!o.filter.since) return usage_error("--since: not a time: " + f.since, exit_code), false;
  }
  if (!f.until.empty()) {
    o.filter.until = logs::parse_time_bound(f.until, now);
    if (!o.filter.until) return usage_error("--until: not a time: " + f.until, exit_code), false;
  }
  o.format = *logs::parse_format(f.format);
  o.verbose = f.verbose;
  o.scan.threads = f.threads;
  o.scan.progress = isatty(STDERR_FILENO) == 1;
  if (f.inputs.empty() && isatty(STDIN_FILENO) == 1) {
    return usage_error("no input: give log files, globs, or - for stdin", exit_code), false;
  }
  auto inputs = logs::expand_inputs(f.inputs);
  if (!inputs) {
    print_error(inputs.error());
    exit_code = 1;
    return false;
  }
  // Inputs that cannot be read are refused before anything reaches stdout (no "0" for a
  // directory): the scan would only report them after printing.
  for (const auto& in : *inputs) {
    if (in == "-") continue;
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec) || ::access(in.c_str(), R_OK) != 0) {
      print_error(make_error(
          ErrorCode::kInvalidRequest,
          in + (std::filesystem::is_directory(in, ec) ? ": is a directory" : ": cannot be read")));
      exit_code = 1;
      return false;
    }
  }
  o.inputs = std::move(*inputs);
  return true;
}

std::optional<logs::TimeZone> load_tz(const std::string& name, int& exit_code) {
  auto tz = logs::TimeZone::load(name);
  if (!tz) {
    usage_error(tz.error().detail, exit_code);
    return std::nullopt;
  }
  return *tz;
}

// --tz, else the config's [log] tz (Asia/Seoul by default).
std::optional<logs::TimeZone> command_tz(const std::string& flag, const std::string& config_path,
                                         int& exit_code) {
  if (!flag.empty()) return load_tz(flag, exit_code);
  auto config = load_cli_config(config_path);
  if (!config) {
    print_error(config.error());
    exit_code = 2;
    return std::nullopt;
  }
  return load_tz(config->log.tz, exit_code);
}

}  // namespace

void add_logs(CLI::App& app, int& exit_code) {
  auto* logs_cmd = app.add_subcommand("logs", "Log triage: query, top, latency, errors, ...");
  logs_cmd->require_subcommand(1);

  {
    auto* cmd = logs_cmd->add_subcommand("query", "Print the matching lines");
    auto f = std::make_shared<CommonFlags>();
    auto count = std::make_shared<bool>(false);
    auto limit = std::make_shared<std::uint64_t>(0);
    add_common(cmd, *f, "json");
    auto* count_flag = cmd->add_flag("--count", *count, "print the number of matching lines only");
    cmd->add_option("--limit", *limit,
                    "print the first N matching lines (in input order) and stop reading")
        ->check(CLI::PositiveNumber)
        ->excludes(count_flag);
    cmd->callback([f, count, limit, &exit_code] {
      LogsOptions o;
      if (!build_options(*f, o, exit_code)) return;
      o.scan.output_limit = *limit;
      exit_code = logs::run_query(o, *count);
    });
  }
  {
    auto* cmd = logs_cmd->add_subcommand("top", "Most frequent values of a field");
    auto f = std::make_shared<CommonFlags>();
    auto by = std::make_shared<std::string>();
    auto n = std::make_shared<std::size_t>(10);
    add_common(cmd, *f, "table");
    add_statistics(cmd, *f);
    cmd->add_option("--by", *by,
                    "user_id|course_id|error_code|ip|ua|order_id|payment_key|replayed|"
                    "error_detail (or another string field)")
        ->required();
    cmd->add_option("-n", *n, "rows to show (default 10)");
    cmd->callback([f, by, n, &exit_code] {
      const auto field = logs::TopBy::parse(*by);
      if (!field) {
        return usage_error("--by: not a string field of the log line nor replayed: " + *by,
                           exit_code);
      }
      LogsOptions o;
      if (!build_options(*f, o, exit_code)) return;
      exit_code = logs::run_top(o, *field, *n);
    });
  }
  {
    auto* cmd =
        logs_cmd->add_subcommand("latency", "count, mean, p50, p95, p99, max of latency_ms");
    auto f = std::make_shared<CommonFlags>();
    auto by = std::make_shared<std::string>();
    auto tz = std::make_shared<std::string>();
    auto config = std::make_shared<std::string>();
    add_common(cmd, *f, "table");
    add_statistics(cmd, *f);
    cmd->add_option("--by", *by, "hour|day")->check(CLI::IsMember({"hour", "day"}));
    cmd->add_option("--tz", *tz,
                    "time zone of the buckets: Asia/Seoul (default: [log] tz), UTC, +09:00, or "
                    "any zone of the system tz database");
    cmd->add_option("--config", *config, "payedge.toml ([log] tz)");
    cmd->callback([f, by, tz, config, &exit_code] {
      const auto zone = command_tz(*tz, *config, exit_code);
      if (!zone) return;
      LogsOptions o;
      if (!build_options(*f, o, exit_code)) return;
      const auto bucket = *by == "hour"  ? logs::LatencyBucket::kHour
                          : *by == "day" ? logs::LatencyBucket::kDay
                                         : logs::LatencyBucket::kNone;
      exit_code = logs::run_latency(o, bucket, *zone);
    });
  }
  {
    auto* cmd = logs_cmd->add_subcommand(
        "errors", "Server-side error rate per time window and error code (--client: the rest)");
    auto f = std::make_shared<CommonFlags>();
    auto window = std::make_shared<std::string>("5m");
    auto tz = std::make_shared<std::string>();
    auto config = std::make_shared<std::string>();
    auto client = std::make_shared<bool>(false);
    auto all = std::make_shared<bool>(false);
    add_common(cmd, *f, "table");
    add_statistics(cmd, *f);
    cmd->add_option("--window", *window, "window length: 30s, 5m, 1h, 1d (default 5m)");
    cmd->add_option("--tz", *tz,
                    "time zone the windows align to and print in (default: [log] tz, "
                    "Asia/Seoul)");
    cmd->add_option("--config", *config, "payedge.toml ([log] tz)");
    auto* client_flag = cmd->add_flag(
        "--client", *client,
        "count the client outcomes instead (mismatch, inactive course, coupon, declined, ...)");
    cmd->add_flag("--all", *all, "count every error line, server-side and client")
        ->excludes(client_flag);
    cmd->callback([f, window, tz, config, client, all, &exit_code] {
      const auto ms = parse_duration_ms(*window);
      if (!ms || *ms <= 0) return usage_error("--window: not a duration: " + *window, exit_code);
      const auto zone = command_tz(*tz, *config, exit_code);
      if (!zone) return;
      LogsOptions o;
      if (!build_options(*f, o, exit_code)) return;
      const auto side = *client ? logs::ErrorSide::kClient
                        : *all  ? logs::ErrorSide::kAll
                                : logs::ErrorSide::kServer;
      exit_code = logs::run_errors(o, *ms, *zone, side);
    });
  }
  {
    auto* cmd = logs_cmd->add_subcommand(
        "mismatches", "E_AMOUNT_MISMATCH lines, explained against the catalogue (runbook 4.1)");
    auto f = std::make_shared<CommonFlags>();
    auto explain = std::make_shared<bool>(false);
    auto store_url = std::make_shared<std::string>();
    auto config_path = std::make_shared<std::string>();
    auto lang = std::make_shared<std::string>();
    add_common(cmd, *f, "table");
    cmd->add_flag("--explain", *explain, "recompute each price from the store and guess why");
    cmd->add_option("--lang", *lang, "ko|en: the reasons' language (default ko; LANG=en* for en)")
        ->check(CLI::IsMember({"ko", "en"}));
    cmd->add_option("--store", *store_url, "store URL (default: from the config)")
        ->check(store_url_check());
    cmd->add_option("--config", *config_path, "payedge.toml");
    cmd->callback([f, explain, store_url, config_path, lang, &exit_code] {
      LogsOptions o;
      if (!build_options(*f, o, exit_code)) return;
      o.english = cli_english(*lang);
      std::unique_ptr<Store> store;
      if (*explain) {
        auto config = load_cli_config(*config_path);
        if (!config) return print_error(config.error()), void(exit_code = 2);
        if (!store_url->empty()) config->store.url = *store_url;
        auto opened = open_cli_store_read_only(config->store.url, *config);
        if (!opened) return print_error(opened.error()), void(exit_code = 1);
        store = std::move(*opened);
      }
      exit_code = logs::run_mismatches(o, store.get(), SystemClock::instance().now_ms());
    });
  }
  {
    auto* cmd = logs_cmd->add_subcommand("export",
                                         "Re-collect the matching lines (with --mask: PII masked)");
    auto f = std::make_shared<CommonFlags>();
    auto mask = std::make_shared<bool>(false);
    add_common(cmd, *f, "json");
    cmd->add_flag("--mask", *mask, "mask PII (SPEC section 11) in every string field");
    cmd->callback([f, mask, &exit_code] {
      LogsOptions o;
      if (!build_options(*f, o, exit_code)) return;
      if (!*mask) std::fprintf(stderr, "warning: exporting without --mask: PII stays in clear\n");
      exit_code = logs::run_export(o, *mask);
    });
  }
  {
    auto* cmd = logs_cmd->add_subcommand("sample", "A reproducible random sample, PII masked");
    auto f = std::make_shared<CommonFlags>();
    auto n = std::make_shared<std::size_t>(50);
    auto seed = std::make_shared<std::uint64_t>(0);
    add_common(cmd, *f, "json");
    cmd->add_option("-n", *n, "lines to sample (default 50)");
    auto* seed_opt = cmd->add_option("--seed", *seed, "seed; the same seed gives the same sample");
    cmd->callback([f, n, seed, seed_opt, &exit_code] {
      LogsOptions o;
      if (!build_options(*f, o, exit_code)) return;
      std::uint64_t s = *seed;
      if (seed_opt->count() == 0) {
        s = static_cast<std::uint64_t>(SystemClock::instance().now_ms());
        std::fprintf(stderr, "seed %llu (repeat this sample with --seed %llu)\n",
                     static_cast<unsigned long long>(s), static_cast<unsigned long long>(s));
      }
      exit_code = logs::run_sample(o, *n, s);
    });
  }
}

}  // namespace payedge::cli
