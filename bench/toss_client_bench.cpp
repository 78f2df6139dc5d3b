// The Toss client's per-call cost on loopback: GET /v1/payments/{key} against the simulator
// (in process, on its own thread), over TLS and plain HTTP, with a warm connection pool and, for
// comparison, a new connection (TCP + TLS handshake) per call. Reports p50/p99 per call.
//   build/bench/toss_client_bench --benchmark_min_time=3
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "app/service.h"
#include "core/codec.h"
#include "net/client.h"
#include "net/tls.h"
#include "toss/toss_client.h"

namespace payedge {
namespace {

constexpr const char* kSecret = "test_sk_bench_0000";

// The simulator on 127.0.0.1, TLS or not, with one payment to fetch.
struct SimFixture {
  // Each fixture's CA gets a path of its own: client TLS contexts are cached by CA file path,
  // and Google Benchmark builds the fixture again for every run of a benchmark.
  static inline int fixtures = 0;
  std::string dir;
  asio::io_context ioc{1};
  std::unique_ptr<SimService> sim;
  std::thread thread;
  std::string url;
  std::string ca_file;
  std::string payment_key;

  explicit SimFixture(bool tls) {
    std::shared_ptr<ssl::context> ctx;
    if (tls) {
      dir = (std::filesystem::temp_directory_path() /
             ("payedge-bench-tls-" + std::to_string(::getpid()) + "-" + std::to_string(++fixtures)))
                .string();
      if (auto st = write_self_signed(dir); !st) throw std::runtime_error(st.error().detail);
      ctx = *server_tls_context(dir + "/cert.pem", dir + "/key.pem");
      ca_file = dir + "/ca.pem";
    }
    SimOptions options;
    options.secret_key = kSecret;
    sim = std::make_unique<SimService>(ioc, options, SystemClock::instance(), ctx);
    auto ep = sim->start("127.0.0.1:0");
    if (!ep) throw std::runtime_error(ep.error().detail);
    url = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(ep->port());
    thread = std::thread([this] { ioc.run(); });
    auto endpoint = *parse_http_url(url);
    FetchRequest r = FetchRequest::to(endpoint, "/__sim/sessions");
    r.ca_file = ca_file;
    r.method = http::verb::post;
    r.body = R"({"orderId":"order-bench-0001","amount":49000})";
    auto res = fetch_blocking(r);
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (res.status != 200 || !j.is_object()) throw std::runtime_error("session: " + res.error);
    payment_key = j.value("paymentKey", std::string());
  }
  ~SimFixture() {
    asio::post(ioc, [this] { sim->stop(); });
    ioc.stop();
    thread.join();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

void report(benchmark::State& state, std::vector<double>& us) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  auto rank = [&](double p) {  // nearest rank, as `logs latency`
    const size_t i = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(us.size())));
    return us[std::max<size_t>(i, 1) - 1];
  };
  state.counters["p50_us"] = rank(50);
  state.counters["p99_us"] = rank(99);
}

// The Toss client as `serve` uses it: one TossClient, its pool kept warm across calls.
void BM_TossGetPayment(benchmark::State& state, bool tls) {
  SimFixture sim(tls);
  TossConfig config;
  config.ca_file = sim.ca_file;
  TossClient client(*parse_toss_url(sim.url), config, kSecret);
  asio::io_context io{1};
  auto once = [&] {
    int status = 0;
    io.restart();
    asio::co_spawn(io, client.get_payment(sim.payment_key),
                   [&](std::exception_ptr, TossReply r) { status = r.http_status; });
    io.run();
    return status;
  };
  if (once() != 200) state.SkipWithError("warm-up call failed");
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (once() != 200) state.SkipWithError("call failed");
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  report(state, us);
}

// The same call on a new connection each time (what every confirm paid before the pool).
void BM_TossGetPaymentNewConnection(benchmark::State& state, bool tls) {
  SimFixture sim(tls);
  auto endpoint = *parse_http_url(sim.url);
  std::vector<double> us;
  for (auto _ : state) {
    FetchRequest r = FetchRequest::to(endpoint, "/v1/payments/" + sim.payment_key);
    r.ca_file = sim.ca_file;
    r.headers.emplace_back("Authorization", "Basic " + base64_encode(std::string(kSecret) + ":"));
    const auto t0 = std::chrono::steady_clock::now();
    auto res = fetch_blocking(r);
    if (res.status != 200) state.SkipWithError("call failed");
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  report(state, us);
}

BENCHMARK_CAPTURE(BM_TossGetPayment, tls_warm_pool, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_TossGetPayment, plain_warm_pool, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_TossGetPaymentNewConnection, tls_new_connection, true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_TossGetPaymentNewConnection, plain_new_connection, false)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace payedge
