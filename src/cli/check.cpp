// `payedge check weekly`: the runbook's weekly check (section 9). Wiring only: the items are
// in src/check.
#include <cstdio>
#include <memory>

#include "check/weekly_check.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "confirm/verifier.h"
#include "logs/filter.h"
#include "logs/input.h"
#include "store/store.h"

namespace payedge::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> inputs;
  std::string since = "-7d", until, store, config, docs, sample_out = "weekly-sample.jsonl",
              format = "table", tz;  // tz empty: [log] tz
  std::string toss_url, toss_ca;     // the week's `ops verify --since` (skipped without a URL)
  std::uint64_t seed = 0;
};

void run_check(const CheckOptions& o, int& exit_code) {
  auto report = open_report(o.since, o.until, o.config, o.tz, exit_code);
  if (!report) return;
  const EpochMs now = report->now, since = report->window.since, until = report->window.until;
  const Config& config = report->config;
  const logs::TimeZone& tz = report->tz;

  check::WeeklyOptions w;
  w.since = since;
  w.until = until;
  w.tz = &tz;
  w.config = config;
  w.docs_dir = o.docs;
  w.sample_path = o.sample_out;
  w.seed = o.seed ? o.seed : static_cast<std::uint64_t>(now / 86'400'000 / 7);  // one per week
  w.now = now;
  if (!o.inputs.empty()) {
    auto inputs = logs::expand_inputs(o.inputs);
    if (!inputs) return print_error(inputs.error()), void(exit_code = 1);
    w.inputs = *inputs;
  }
  std::unique_ptr<Store> store;
  if (!o.store.empty()) {
    auto opened = open_cli_store_read_only(o.store, config);
    if (!opened) return print_error(opened.error()), void(exit_code = 1);
    store = std::move(*opened);
    w.store = store.get();
  }
  if (store && !o.toss_url.empty()) {
    Config c = config;
    c.toss.base_url = o.toss_url;
    if (!o.toss_ca.empty()) c.toss.ca_file = o.toss_ca;
    auto ep = parse_toss_url(c.toss.base_url);
    if (!ep) return print_error(ep.error()), void(exit_code = 2);
    if (auto st = ep->tls ? check_ca_file(c.toss.ca_file) : Status{}; !st)
      return print_error(st.error()), void(exit_code = 2);
    asio::io_context ioc{1};
    asio::thread_pool pool{1};
    TossClient toss(*ep, c.toss, c.secrets.toss_secret_key);
    VerifyOptions vo;
    vo.since = since;
    vo.until = until;
    asio::co_spawn(ioc, verify_against_toss(pool, *store, toss, vo),
                   [&](std::exception_ptr e, VerifyReport r) {
                     if (e) std::rethrow_exception(e);
                     w.verify = std::move(r);
                   });
    ioc.run();
    pool.join();
  }
  const auto items = check::run_weekly(w);
  const auto json = check::weekly_json(items);
  const std::string text =
      o.format == "json" ? json.dump() + "\n" : check::weekly_table(items, run_english());
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!json["ok"].get<bool>()) exit_code = 1;
}

}  // namespace

void add_check(CLI::App& app, int& exit_code) {
  auto* check = app.add_subcommand("check", "Periodic checks");
  check->require_subcommand(1);
  auto o = std::make_shared<CheckOptions>();
  auto* weekly = check->add_subcommand(
      "weekly",
      "The runbook's weekly check: a masked 50-line sample, the week's ratios, the webhook "
      "secret's rotation, docs vs error codes, store invariants (exit 1 when something needs "
      "attention)");
  weekly->add_option("files", o->inputs, "the week's log files or globs");
  weekly->add_option("--since", o->since, "start (default -7d, relative to --until)");
  weekly->add_option("--until", o->until, "end (default now)");
  weekly->add_option("--store", o->store, "store URL (rotation schedule, invariants)")
      ->check(store_url_check());
  weekly->add_option("--config", o->config, "payedge.toml ([slo] targets, [webhook] period)");
  weekly->add_option("--docs", o->docs, "the docs folder to check (error-codes.md)");
  weekly->add_option("--toss-url", o->toss_url,
                     "Toss API base URL: also verify the week's payments against Toss's "
                     "transaction list");
  weekly->add_option("--toss-ca", o->toss_ca, "PEM CA file to trust for the Toss API");
  weekly->add_option("--sample-out", o->sample_out,
                     "where the masked sample goes (default weekly-sample.jsonl)");
  weekly->add_option("--seed", o->seed, "sample seed (default: the week number)");
  weekly->add_option("--tz", o->tz,
                     "time zone of the days and weeks (default: [log] tz, Asia/Seoul)");
  weekly->add_option("--format", o->format, "table|json")->check(CLI::IsMember({"table", "json"}));
  weekly->callback([o, &exit_code] { run_check(*o, exit_code); });
}

}  // namespace payedge::cli
