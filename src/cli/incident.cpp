// `payedge incident new --title T [--since --until] [--store URL] [FILES...]`: writes
// incidents/PM-YYYYMMDD-N.md, the runbook's postmortem template filled from logs, alerts and
// the audit log. Wiring only: the work is in src/incident.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "incident/postmortem.h"
#include "logs/filter.h"
#include "logs/input.h"

namespace payedge::cli {
namespace {

struct IncidentOptions {
  std::string title, since = "-24h", until, store, config, dir = "incidents", tz;  // tz: [log] tz
  std::vector<std::string> inputs;
};

void run_incident(const IncidentOptions& o, int& exit_code) {
  auto report = open_report(o.since, o.until, o.config, o.tz, exit_code);
  if (!report) return;
  const EpochMs now = report->now, since = report->window.since, until = report->window.until;
  const Config& config = report->config;
  const logs::TimeZone& tz = report->tz;

  incident::PostmortemInput in;
  in.title = o.title;
  in.since = since;
  in.until = until;
  in.tz = &tz;
  if (!o.inputs.empty()) {
    auto inputs = logs::expand_inputs(o.inputs);
    if (!inputs) return print_error(inputs.error()), void(exit_code = 1);
    in.log_inputs = *inputs;
    logs::ScanOptions scan;
    scan.out = stderr;
    in.impact = incident::measure(in.log_inputs, since, until, scan);
  }
  if (!o.store.empty()) {
    auto store = open_cli_store_read_only(o.store, config);
    if (!store) return print_error(store.error()), void(exit_code = 1);
    auto alerts = (*store)->list_alerts(since, 10'000);
    if (!alerts) return print_error(alerts.error()), void(exit_code = 1);
    for (auto& a : *alerts) {
      if (a.at < until) in.alerts.push_back(std::move(a));
    }
    auto audit = (*store)->audit_between(since, until, 10'000);
    if (!audit) return print_error(audit.error()), void(exit_code = 1);
    in.audit = std::move(*audit);
    in.store_read = true;
    // Orders the logs show unpaid may have been settled without a success line (the
    // reconciler, a webhook): the store's payments decide.
    if (in.impact) {
      if (auto st = incident::settle_with_store(*in.impact, **store); !st) {
        return print_error(st.error()), void(exit_code = 1);
      }
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) {
    std::fprintf(stderr, "error: cannot create %s: %s\n", o.dir.c_str(), ec.message().c_str());
    exit_code = 1;
    return;
  }
  // Never overwrite: "x" opens only a file that does not exist yet.
  for (int tries = 0; tries < 100; ++tries) {
    in.id = incident::next_id(o.dir, now, tz);
    const std::string path = (std::filesystem::path(o.dir) / (in.id + ".md")).string();
    std::FILE* f = std::fopen(path.c_str(), "wx");
    if (!f) {
      if (errno == EEXIST) continue;  // taken meanwhile by another run
      std::fprintf(stderr, "error: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
      exit_code = 1;
      return;
    }
    const std::string text = incident::render(in);
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok) {
      std::fprintf(stderr, "error: cannot write %s\n", path.c_str());
      exit_code = 1;
      return;
    }
    // The charts beside it, linked from it (PM-…-confirms.svg, …).
    for (const auto& [file, svg] : incident::charts(in)) {
      const std::string chart = (std::filesystem::path(o.dir) / file).string();
      std::FILE* c = std::fopen(chart.c_str(), "wx");
      const bool written = c && std::fwrite(svg.data(), 1, svg.size(), c) == svg.size();
      if (!c || std::fclose(c) != 0 || !written) {
        std::fprintf(stderr, "error: cannot write %s\n", chart.c_str());
        exit_code = 1;
        return;
      }
    }
    std::printf("%s\n", path.c_str());
    return;
  }
  std::fprintf(stderr, "error: no free incident number in %s\n", o.dir.c_str());
  exit_code = 1;
}

}  // namespace

void add_incident(CLI::App& app, int& exit_code) {
  auto* incident = app.add_subcommand("incident", "Postmortems");
  incident->require_subcommand(1);
  auto o = std::make_shared<IncidentOptions>();
  auto* cmd = incident->add_subcommand(
      "new",
      "Write incidents/PM-YYYYMMDD-N.md from the runbook template, filled from logs, "
      "alerts and the audit log");
  cmd->add_option("--title", o->title, "what happened, in a few words")->required();
  cmd->add_option("--since", o->since,
                  "start of the incident window: RFC 3339, a date, or relative to --until "
                  "(default -24h)");
  cmd->add_option("--until", o->until, "end of the window (default now)");
  cmd->add_option("--store", o->store, "store URL: alerts and audit_log for the timeline")
      ->check(store_url_check());
  cmd->add_option("--config", o->config, "payedge.toml");
  cmd->add_option("--dir", o->dir, "where postmortems go (default incidents)");
  cmd->add_option("--tz", o->tz, "time zone of the timeline (default: [log] tz, Asia/Seoul)");
  cmd->add_option("files", o->inputs, "log files or globs for the impact and snapshots");
  cmd->callback([o, &exit_code] { run_incident(*o, exit_code); });
}

}  // namespace payedge::cli
