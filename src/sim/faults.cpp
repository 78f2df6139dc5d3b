// The simulator's fault injection (/__sim/faults) and its counters (/__sim/stats).
#include "sim/sim_common.h"
#include "sim/simulator.h"
#include "toss/toss_errors.h"

namespace payedge {

using nlohmann::json;
using sim_detail::toss_error;

json SimFaults::to_json() const {
  return {{"error_rate", error_rate},
          {"get_error_rate", get_error_rate},
          {"error_status", error_status},
          {"error_code", error_code.empty() ? json(nullptr) : json(error_code)},
          {"latency_ms", {latency_min_ms, latency_max_ms}},
          {"timeout_rate", timeout_rate},
          {"approve_then_fail_rate", approve_then_fail_rate},
          {"cancel_error_status", cancel_error_status},
          {"get_latency_ms", get_latency_ms},
          {"get_mistyped_keys", get_mistyped_keys}};
}

void Simulator::count_fault(const char* kind) {
  ++faults_injected_;
  ++faults_by_kind_[kind];
}

bool Simulator::roll(double rate) {
  if (rate <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
}

awaitable<void> Simulator::pause_ms(int ms) {
  if (ms <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
}

HttpResponse Simulator::set_faults(const json& body) {
  if (!body.is_object()) return toss_error(400, "INVALID_REQUEST", "faults must be an object");
  if (body.empty()) {
    faults_ = {};
    return json_response(200, faults_.to_json().dump());
  }
  auto rate = [&](const char* name, double& out) {
    if (!body.contains(name)) return true;
    if (!body[name].is_number() || body[name].get<double>() < 0 || body[name].get<double>() > 1)
      return false;
    out = body[name].get<double>();
    return true;
  };
  SimFaults f = faults_;
  if (!rate("error_rate", f.error_rate) || !rate("timeout_rate", f.timeout_rate) ||
      !rate("get_error_rate", f.get_error_rate) ||
      !rate("approve_then_fail_rate", f.approve_then_fail_rate)) {
    return toss_error(400, "INVALID_REQUEST", "rates are numbers in [0, 1]");
  }
  if (body.contains("error_status")) {
    if (!body["error_status"].is_number_integer())
      return toss_error(400, "INVALID_REQUEST", "error_status must be an integer");
    f.error_status = body["error_status"];
  }
  if (body.contains("error_code")) {
    if (!body["error_code"].is_string() && !body["error_code"].is_null())
      return toss_error(400, "INVALID_REQUEST", "error_code must be a Toss error code string");
    f.error_code = body["error_code"].is_string() ? body["error_code"].get<std::string>() : "";
    if (!f.error_code.empty()) f.error_status = toss_http_status_for(f.error_code);
  }
  if (body.contains("cancel_error_status")) {
    if (!body["cancel_error_status"].is_number_integer())
      return toss_error(400, "INVALID_REQUEST", "cancel_error_status must be an integer");
    f.cancel_error_status = body["cancel_error_status"];
  }
  if (body.contains("get_latency_ms")) {
    if (!body["get_latency_ms"].is_number_integer() || body["get_latency_ms"].get<int>() < 0)
      return toss_error(400, "INVALID_REQUEST", "get_latency_ms must be a non-negative integer");
    f.get_latency_ms = body["get_latency_ms"];
  }
  if (body.contains("get_mistyped_keys")) {
    const auto& keys = body["get_mistyped_keys"];
    if (!keys.is_array())
      return toss_error(400, "INVALID_REQUEST", "get_mistyped_keys is an array of paymentKeys");
    f.get_mistyped_keys.clear();
    for (const auto& k : keys) {
      if (!k.is_string())
        return toss_error(400, "INVALID_REQUEST", "get_mistyped_keys is an array of paymentKeys");
      f.get_mistyped_keys.insert(k.get<std::string>());
    }
  }
  if (body.contains("latency_ms")) {
    const auto& l = body["latency_ms"];
    if (!l.is_array() || l.size() != 2 || !l[0].is_number_integer() || !l[1].is_number_integer() ||
        l[0].get<int>() < 0 || l[1].get<int>() < l[0].get<int>()) {
      return toss_error(400, "INVALID_REQUEST", "latency_ms is [min, max]");
    }
    f.latency_min_ms = l[0];
    f.latency_max_ms = l[1];
  }
  faults_ = f;
  return json_response(200, faults_.to_json().dump());
}

HttpResponse Simulator::stats() const {
  json by_key = json::object();
  for (const auto& [k, n] : confirms_by_key_) by_key[k] = n;
  json approvals = json::object();
  for (const auto& [k, n] : approvals_by_key_) approvals[k] = n;
  return json_response(200, json{{"confirm_calls", confirm_calls_},
                                 {"confirms_by_payment_key", by_key},
                                 {"faults_injected", faults_injected_},
                                 {"faults_by_kind", faults_by_kind_},
                                 {"approvals", approvals_},
                                 {"approvals_by_payment_key", approvals},
                                 {"duplicate_confirms", duplicate_confirms_},
                                 {"in_flight", in_flight_},
                                 {"webhooks_sent", webhooks_sent_},
                                 {"get_calls", get_calls_},
                                 {"gets_answered", gets_answered_},
                                 {"payments", payments_.size()},
                                 {"jwks_fetches", jwks_fetches_},
                                 {"faults", faults_.to_json()}}
                                .dump());
}

}  // namespace payedge
