#include "toss/toss_client.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "core/codec.h"
#include "core/time.h"
#include "net/client.h"

namespace payedge {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

}  // namespace

// An answered transient failure (5xx, PROVIDER_ERROR, …) is not retried under its key: Toss
// may replay it for that key, so the caller re-fetches the payment and moves to the attempt's
// next key.
bool retry_same_key(const TossReply& r) {
  if (!r.answered()) return true;
  if (r.http_status == 429) return true;
  return r.http_status == 409 && r.code() == "IDEMPOTENT_REQUEST_PROCESSING";
}

long long backoff_cap_ms(const TossConfig& c, int attempt) {
  const long long grown = static_cast<long long>(std::max(0, c.backoff_base_ms))
                          << std::clamp(attempt, 0, 20);
  return std::max(0LL, std::min<long long>(c.backoff_max_ms, grown));
}

std::string TossReply::code() const {
  if (body.is_object() && body.contains("code") && body["code"].is_string()) return body["code"];
  return {};
}

std::string TossReply::message() const {
  if (body.is_object() && body.contains("message") && body["message"].is_string())
    return body["message"];
  return transport_error;
}

Result<TossPayment> TossReply::payment() const {
  if (http_status != 200) {
    return fail(ErrorCode::kTossApiError,
                answered() ? "toss answered HTTP " + std::to_string(http_status) : "no answer");
  }
  return parse_toss_payment(body);
}

Result<TossEndpoint> parse_toss_url(const std::string& url) {
  // https://api.tosspayments.com, or the simulator (http:// on loopback, or https://).
  auto ep = parse_http_url(url);
  if (!ep) return fail(ErrorCode::kInvalidRequest, "toss " + ep.error().detail);
  return *ep;
}

std::string url_encode_path(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// A certificate Toss's endpoint cannot prove is never talked to: the call fails as a transport
// error (retried, then TOSS_API_ERROR) and the reason is logged for the on-call.
void TossClient::log_tls_error(const std::string& reason) {
  RequestLog line;
  line.ts = SystemClock::instance().now_ms();
  line.level = "error";
  line.fn = "toss-client";
  line.success = false;
  line.error_code = "TOSS_API_ERROR";
  line.error_detail = "toss_tls_error: " + reason;
  if (log_) {
    log_->write(line);
  } else {
    std::fprintf(stderr, "toss_tls_error: %s\n", reason.c_str());
  }
}

TossClient::TossClient(TossEndpoint endpoint, TossConfig config, std::string secret_key)
    : endpoint_(std::move(endpoint)),
      config_(config),
      authorization_("Basic " + base64_encode(secret_key + ":")) {}

awaitable<TossReply> TossClient::call(http::verb method, std::string target,
                                      std::optional<json> body, std::string idempotency_key,
                                      int timeout_ms) {
  FetchRequest req = FetchRequest::to(endpoint_, std::move(target));
  req.ca_file = config_.ca_file;
  req.method = method;
  req.timeout_ms = timeout_ms;
  req.headers.emplace_back("Authorization", authorization_);
  if (!idempotency_key.empty()) req.headers.emplace_back("Idempotency-Key", idempotency_key);
  if (body) req.body = body->dump();
  FetchResult res = co_await http_.fetch(std::move(req));
  if (!res.tls_error.empty()) log_tls_error(res.tls_error);
  TossReply reply;
  reply.http_status = res.status;
  reply.timed_out = res.timed_out;
  reply.transport_error = std::move(res.error);
  reply.latency_ms = res.latency_ms;
  if (res.status != 0) {
    reply.body = json::parse(res.body, nullptr, false);
    if (reply.body.is_discarded()) reply.body = nullptr;
  }
  co_return reply;
}

bool retry_read(const TossReply& r) { return retry_same_key(r) || r.http_status >= 500; }

awaitable<TossConfirmResult> TossClient::confirm(const std::string& payment_key,
                                                 const std::string& order_id, Krw amount,
                                                 const std::string& idempotency_key,
                                                 int deadline_ms) {
  const json body = {{"paymentKey", payment_key}, {"orderId", order_id}, {"amount", amount}};
  co_return co_await call_with_retries(http::verb::post, "/v1/payments/confirm", body,
                                       idempotency_key, deadline_ms, retry_same_key);
}

awaitable<TossConfirmResult> TossClient::call_with_retries(http::verb method, std::string target,
                                                           std::optional<json> body,
                                                           std::string idempotency_key,
                                                           int deadline_ms,
                                                           bool (*retryable)(const TossReply&)) {
  TossConfirmResult result;
  const auto deadline =
      SteadyClock::now() +
      std::chrono::milliseconds(deadline_ms > 0 ? deadline_ms : config_.deadline_ms);
  auto ex = co_await asio::this_coro::executor;
  for (int attempt = 0;; ++attempt) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
            .count();
    const int timeout =
        static_cast<int>(std::min<long long>(config_.attempt_timeout_ms, remaining));
    if (timeout <= 0) break;
    result.last = co_await call(method, target, body, idempotency_key, timeout);
    ++result.tries;
    result.total_latency_ms += result.last.latency_ms;
    if (!retryable(result.last) || attempt + 1 >= config_.max_attempts) break;
    // Full jitter: a uniform wait in [0, backoff_cap_ms], if it fits the deadline. One
    // generator per thread: with io_threads > 1 calls run on several threads at once.
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const long long wait =
        std::uniform_int_distribution<long long>(0, backoff_cap_ms(config_, attempt))(rng);
    if (SteadyClock::now() + std::chrono::milliseconds(wait) >= deadline) break;
    asio::steady_timer timer(ex, std::chrono::milliseconds(wait));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  co_return result;
}

awaitable<TossReply> TossClient::get_payment(const std::string& payment_key) {
  auto r =
      co_await call_with_retries(http::verb::get, "/v1/payments/" + url_encode_path(payment_key),
                                 std::nullopt, {}, 0, retry_read);
  co_return std::move(r.last);
}

awaitable<TossReply> TossClient::get_payment_by_order(const std::string& order_id) {
  auto r = co_await call_with_retries(http::verb::get,
                                      "/v1/payments/orders/" + url_encode_path(order_id),
                                      std::nullopt, {}, 0, retry_read);
  co_return std::move(r.last);
}

awaitable<TossReply> TossClient::cancel(const std::string& payment_key, const std::string& reason,
                                        std::optional<Krw> amount,
                                        const std::string& idempotency_key) {
  json body = {{"cancelReason", reason}};
  if (amount) body["cancelAmount"] = *amount;
  co_return co_await call(http::verb::post,
                          "/v1/payments/" + url_encode_path(payment_key) + "/cancel", body,
                          idempotency_key, config_.attempt_timeout_ms);
}

}  // namespace payedge
