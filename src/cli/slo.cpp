// `payedge slo report`: the runbook's SLOs (section 7) over log files, globs or stdin (SPEC
// section 8). Wiring only: the work is in src/slo.
#include <unistd.h>

#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "logs/filter.h"
#include "logs/input.h"
#include "slo/slo_report.h"

namespace payedge::cli {
namespace {

struct SloFlags {
  std::vector<std::string> inputs;
  std::string month, since, until;
  std::string tz;  // empty: [log] tz
  std::string format = "table";
  std::string config;
  bool verbose = false;
  unsigned threads = 0;
};

void usage_error(const std::string& text, int& exit_code) {
  std::fprintf(stderr, "error: %s\n", text.c_str());
  exit_code = 2;
}

void run_report(const SloFlags& f, int& exit_code) {
  auto config = load_cli_config(f.config);
  if (!config) return print_error(config.error()), void(exit_code = 2);
  const auto tz = logs::TimeZone::load(cli_tz(f.tz, *config));
  if (!tz) return usage_error(tz.error().detail, exit_code);
  slo::SloOptions o;
  if (!f.month.empty()) {
    const auto period = slo::month_period(f.month, *tz);
    if (!period) return usage_error("--month: not a month (YYYY-MM): " + f.month, exit_code);
    o.period = *period;
    o.month = f.month;
  }
  const EpochMs now = SystemClock::instance().now_ms();
  if (!f.since.empty()) {
    o.period.since = logs::parse_time_bound(f.since, now);
    if (!o.period.since) return usage_error("--since: not a time: " + f.since, exit_code);
  }
  if (!f.until.empty()) {
    o.period.until = logs::parse_time_bound(f.until, now);
    if (!o.period.until) return usage_error("--until: not a time: " + f.until, exit_code);
  }
  o.targets = config->slo;
  o.format = *slo::parse_report_format(f.format);
  o.english = run_english();
  o.verbose = f.verbose;
  o.scan.threads = f.threads;
  o.scan.progress = isatty(STDERR_FILENO) == 1;
  // The inputs exactly as `payedge logs` takes them.
  if (f.inputs.empty() && isatty(STDIN_FILENO) == 1) {
    return usage_error("no input: give log files, globs, or - for stdin", exit_code);
  }
  auto inputs = logs::expand_inputs(f.inputs);
  if (!inputs) return print_error(inputs.error()), void(exit_code = 1);
  o.inputs = std::move(*inputs);
  exit_code = slo::run_slo_report(o, *tz);
}

}  // namespace

void add_slo(CLI::App& app, int& exit_code) {
  auto* slo_cmd = app.add_subcommand("slo", "Service level objectives of the runbook (section 7)");
  slo_cmd->require_subcommand(1);
  auto* cmd = slo_cmd->add_subcommand(
      "report",
      "Success rate (monthly), mean and p95 confirm time (daily), amount-mismatch rate (weekly) "
      "from confirm-payment log lines, each with PASS/FAIL against the [slo] targets of "
      "payedge.toml. Exit 0 when the report is printed, even if an SLO fails.");
  auto f = std::make_shared<SloFlags>();
  cmd->add_option("files", f->inputs, "log files, globs or - for stdin (default: stdin)");
  auto* month = cmd->add_option("--month", f->month, "one calendar month in --tz: YYYY-MM");
  cmd->add_option("--since", f->since,
                  "from this time: RFC 3339, a date (midnight UTC, as in `payedge logs`), or "
                  "relative like -7d")
      ->excludes(month);
  cmd->add_option("--until", f->until, "before this time: RFC 3339, a date, or relative")
      ->excludes(month);
  cmd->add_option("--tz", f->tz,
                  "time zone of days, weeks (from Monday 00:00) and --month: Asia/Seoul "
                  "(default: [log] tz), UTC, +09:00, or any zone of the system tz database");
  cmd->add_option("--format", f->format, "table|json|html (html: one self-contained page)")
      ->check(CLI::IsMember({"table", "json", "html"}));
  cmd->add_option("--config", f->config, "payedge.toml (its [slo] section holds the targets)");
  cmd->add_flag("-v,--verbose", f->verbose, "list the first malformed lines by number");
  cmd->add_option("--threads", f->threads, "worker threads (default: one per core)");
  cmd->callback([f, &exit_code] { run_report(*f, exit_code); });
}

}  // namespace payedge::cli
