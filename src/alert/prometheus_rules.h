// `payedge rules export --format prometheus`: the built-in rules of SPEC section 9 as
// Prometheus alerting rules over the names of `/metrics`, for when alerting runs in
// Prometheus and Alertmanager instead of (or beside) `payedge serve`.
#pragma once

#include <string>

#include "config/config.h"

namespace payedge::alert {

std::string prometheus_rules(const AlertsConfig& config);

}  // namespace payedge::alert
