// The simulator as the other ends payedge talks to: Slack's incoming webhook and Alertmanager
// (kept bodies, injected failures) and Supabase Auth's JWKS.
#include <fstream>
#include <sstream>

#include "sim/sim_common.h"
#include "sim/simulator.h"

namespace payedge {

using nlohmann::json;
using sim_detail::toss_error;

// The stand-in receivers of the alert sinks (Slack's incoming webhook, Alertmanager): keep
// every accepted body; `/__sim/receivers {"fail_next":N,"status":429}` makes the next N
// deliveries fail, to exercise the senders' retries.
HttpResponse Simulator::receive(const std::string& kind, const std::string& body) {
  if (receivers_fail_next_ > 0) {
    --receivers_fail_next_;
    ++receivers_rejected_;
    return toss_error(receivers_fail_status_, "SIM_RECEIVER_FAILURE", "injected failure");
  }
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return toss_error(400, "INVALID_REQUEST", "body is not JSON");
  if (kind == "alertmanager") {
    // Alertmanager's rule (https://prometheus.io/docs/alerting/latest/clients/): the label set
    // identifies an alert; annotations and endsAt are the latest received.
    if (!parsed.is_array()) return toss_error(400, "INVALID_REQUEST", "not an array of alerts");
    for (const auto& a : parsed) {
      if (!a.is_object() || !a.contains("labels") || !a["labels"].is_object() ||
          !a["labels"].contains("alertname")) {
        return toss_error(400, "INVALID_REQUEST", "an alert without labels.alertname");
      }
    }
    // Only fields of the right type are kept (no throwing reads of a request body).
    auto field = [](const json& a, const char* key, json fallback) {
      auto it = a.find(key);
      return it != a.end() && it->type() == fallback.type() ? *it : fallback;
    };
    for (const auto& a : parsed) {
      json& held = alertmanager_alerts_[a["labels"].dump()];
      if (held.is_null()) {
        held = {{"labels", a["labels"]}, {"startsAt", field(a, "startsAt", "")}, {"deliveries", 0}};
      }
      held["annotations"] = field(a, "annotations", json::object());
      held["endsAt"] = field(a, "endsAt", "");
      held["deliveries"] = held["deliveries"].get<int>() + 1;
    }
  }
  received_[kind].push_back(std::move(parsed));
  return json_response(200, R"({"ok":true})");
}

// Supabase Auth's JWKS endpoint for the auth tests: the file is read on every request, so a
// test rotates keys by rewriting it.
HttpResponse Simulator::jwks() {
  ++jwks_fetches_;
  std::ifstream in(options_.jwks_file, std::ios::binary);
  if (options_.jwks_file.empty() || !in) {
    return toss_error(404, "NOT_FOUND", "no JWKS (start the simulator with --jwks FILE)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  HttpResponse res = json_response(200, std::move(text).str());
  res.set(http::field::cache_control, "public, max-age=600");
  return res;
}

HttpResponse Simulator::received() const {
  json out = {{"slack", json::array()}, {"alertmanager", json::array()}};
  for (const auto& [kind, bodies] : received_) out[kind] = bodies;
  out["alertmanager_alerts"] = json::array();
  for (const auto& [fingerprint, a] : alertmanager_alerts_) out["alertmanager_alerts"].push_back(a);
  out["rejected"] = receivers_rejected_;
  return json_response(200, out.dump());
}

}  // namespace payedge
