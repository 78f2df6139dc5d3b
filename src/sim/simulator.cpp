// The simulator's front door: one handler that routes the Toss API (/v1, Basic auth), the
// test controls (/__sim/*), Supabase Auth's JWKS and the Alertmanager stand-in.
#include "sim/simulator.h"

#include <charconv>

#include "core/codec.h"
#include "sim/sim_common.h"
#include "toss/toss_errors.h"

namespace payedge {

using nlohmann::json;
using sim_detail::toss_error;
using sim_detail::url_decode;

std::string sim_detail::url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned byte = 0;
    if (s[i] == '%' && i + 2 < s.size()) {
      const char* first = s.data() + i + 1;
      if (auto [end, ec] = std::from_chars(first, first + 2, byte, 16);
          ec == std::errc() && end == first + 2) {
        out.push_back(static_cast<char>(byte));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

int toss_status_for(std::string_view code) { return toss_http_status_for(code); }

Simulator::Simulator(SimOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

awaitable<HttpAnswer> Simulator::handle(HttpRequest& req) {
  const std::string target(req.msg.target());
  const std::string path = target.substr(0, target.find('?'));
  const auto method = req.msg.method();

  if (path.starts_with("/__sim/")) {
    json body =
        req.msg.body().empty() ? json::object() : json::parse(req.msg.body(), nullptr, false);
    if (body.is_discarded()) co_return toss_error(400, "INVALID_REQUEST", "body is not JSON");
    if (path == "/__sim/sessions" && method == http::verb::post) co_return create_session(body);
    if (path == "/__sim/faults" && method == http::verb::post) co_return set_faults(body);
    if (path == "/__sim/faults" && method == http::verb::get)
      co_return json_response(200, faults_.to_json().dump());
    if (path == "/__sim/stats" && method == http::verb::get) co_return stats();
    if (path == "/__sim/webhooks" && method == http::verb::post)
      co_return co_await deliver_webhook(body);
    if (path == "/__sim/deposit" && method == http::verb::post) co_return co_await deposit(body);
    if (path == "/__sim/expire" && method == http::verb::post) co_return co_await expire(body);
    if (path == "/__sim/slack" && method == http::verb::post) {
      co_return receive("slack", req.msg.body());
    }
    if (path == "/__sim/receivers" && method == http::verb::post) {
      receivers_fail_next_ = body.value("fail_next", 0);
      receivers_fail_status_ = body.value("status", 500);
      co_return json_response(200, R"({"ok":true})");
    }
    if (path == "/__sim/received" && method == http::verb::get) co_return received();
    if (path == "/__sim/reset" && method == http::verb::post) {
      received_.clear();
      receivers_fail_next_ = receivers_rejected_ = 0;
      payments_.clear(), orders_.clear(), idempotency_.clear(), confirms_by_key_.clear(),
          approvals_by_key_.clear();
      confirm_calls_ = faults_injected_ = approvals_ = duplicate_confirms_ = 0;
      get_calls_ = gets_answered_ = 0;
      faults_by_kind_.clear();
      faults_ = {};
      co_return json_response(200, R"({"ok":true})");
    }
    co_return toss_error(404, "NOT_FOUND", "no such simulator endpoint");
  }
  if (path == "/healthz" || path == "/readyz") co_return json_response(200, R"({"ok":true})");
  if (path == "/auth/v1/.well-known/jwks.json" && method == http::verb::get) co_return jwks();
  // Alertmanager's v2 API, so that alert delivery is tested against something that answers.
  if (path == "/api/v2/alerts" && method == http::verb::post) {
    co_return receive("alertmanager", req.msg.body());
  }

  // Everything under /v1 is the Toss API: Basic base64(secretKey + ":").
  if (req.header("Authorization") != "Basic " + base64_encode(options_.secret_key + ":")) {
    co_return toss_error(401, "UNAUTHORIZED_KEY",
                         "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.");
  }
  if (path == "/v1/payments/confirm" && method == http::verb::post) co_return co_await confirm(req);
  if (path == "/v1/transactions" && method == http::verb::get) co_return list_transactions(req);

  constexpr std::string_view kPayments = "/v1/payments/";
  constexpr std::string_view kOrders = "/v1/payments/orders/";
  if (path.starts_with(kOrders) && method == http::verb::get) {
    co_await pause_ms(faults_.latency_max_ms > 0
                          ? std::uniform_int_distribution<int>(faults_.latency_min_ms,
                                                               faults_.latency_max_ms)(rng_)
                          : 0);
    auto it = orders_.find(url_decode(path.substr(kOrders.size())));
    if (it == orders_.end())
      co_return toss_error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
    co_return get_payment(it->second);
  }
  if (path.starts_with(kPayments)) {
    std::string rest = path.substr(kPayments.size());
    if (rest.ends_with("/cancel") && method == http::verb::post) {
      co_return cancel(req, url_decode(rest.substr(0, rest.size() - 7)));
    }
    if (method == http::verb::get && rest.find('/') == std::string::npos) {
      ++get_calls_;
      co_await pause_ms(faults_.latency_max_ms > 0
                            ? std::uniform_int_distribution<int>(faults_.latency_min_ms,
                                                                 faults_.latency_max_ms)(rng_)
                            : 0);
      co_await pause_ms(faults_.get_latency_ms);
      HttpResponse res = get_payment(url_decode(rest));
      ++gets_answered_;
      co_return res;
    }
  }
  co_return toss_error(404, "NOT_FOUND", "존재하지 않는 API 입니다.");
}

}  // namespace payedge
