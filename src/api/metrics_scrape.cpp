#include "api/metrics_scrape.h"

namespace payedge {

StoreGauges read_store_gauges(Store& store, LineMetrics& lines) {
  StoreGauges g;
  const CommitStats commits = store.commit_stats();
  g.commit_batches = commits.batches;
  g.commit_members = commits.members;
  g.commit_failed = commits.failed_commits;
  g.commit_largest = commits.largest;
  auto flag = store.find_flag("payments_enabled");
  auto courses = store.list_courses();
  auto counts = store.counts();
  if (!flag || !courses || !counts) return g;
  g.store_ok = true;
  g.payments_enabled = !*flag || (*flag)->value != "off";  // as GET payment-status reads it
  std::vector<std::string> ids;
  for (const auto& c : *courses) {
    g.courses.emplace_back(c.id, c.active);
    ids.push_back(c.id);
  }
  lines.set_courses(ids);
  g.open_attempts = counts->open_attempts;
  g.pending_deposits = counts->pending_deposits;
  return g;
}

awaitable<std::string> scrape_metrics(asio::thread_pool& pool, Store& store, Metrics& metrics) {
  const StoreGauges g =
      co_await run_blocking(pool, [&] { return read_store_gauges(store, metrics.lines); });
  co_return metrics.render() + render_store_gauges(g);
}

}  // namespace payedge
