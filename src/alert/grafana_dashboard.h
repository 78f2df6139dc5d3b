// `payedge dashboards export --format grafana`: a Grafana dashboard over /metrics whose
// queries come from alert/promql.h, like `rules export`'s, with the [alerts] thresholds drawn
// as lines. Classic JSON model (importable by Grafana 10–13):
// https://grafana.com/docs/grafana/latest/visualizations/dashboards/build-dashboards/view-dashboard-json-model/
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace payedge::alert {

std::string grafana_dashboard(const AlertsConfig& config);

// Every PromQL expression the dashboard holds (for the tests and `--list-queries`).
std::vector<std::string> grafana_expressions(const AlertsConfig& config);

}  // namespace payedge::alert
