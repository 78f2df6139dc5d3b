// The live log's PII masking on the request path (SPEC 11): one log line with every
// client-controlled field masked and serialised, against the same line unmasked, and the
// masker alone on a typical and a hostile User-Agent.
#include <benchmark/benchmark.h>

#include "obs/mask.h"
#include "obs/request_log.h"

namespace {

payedge::RequestLog typical_line() {
  payedge::RequestLog l;
  l.ts = 1'795'617'000'000;
  l.fn = "confirm-payment";
  l.request_id = "550e8400-e29b-41d4-a716-446655440000";
  l.latency_ms = 412;
  l.http_status = 200;
  l.user_id = "8f14e45f-ceea-467a-9575-6d1c3f0b2a11";
  l.course_id = "course-cpp";
  l.order_id = "order-20261126-000123";
  l.payment_key = "tgen_20261126abcdef0123456789";
  l.amount = 79000;
  l.expected_amount = 79000;
  l.coupon_code = "WELCOME10";
  l.toss_http_status = 200;
  l.toss_latency_ms = 380;
  l.replayed = false;
  l.ip = "203.0.113.77";
  l.ua =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
  return l;
}

void BM_LogLineMasked(benchmark::State& state) {
  const auto l = typical_line();
  for (auto _ : state) benchmark::DoNotOptimize(l.to_json().dump());
}
BENCHMARK(BM_LogLineMasked);

// The masking alone: the six client-controlled fields of that line.
void BM_MaskClientFields(benchmark::State& state) {
  const auto l = typical_line();
  for (auto _ : state) {
    for (const std::string* f :
         {&l.request_id, &l.user_id, &l.course_id, &l.order_id, &*l.coupon_code, &l.ua}) {
      benchmark::DoNotOptimize(payedge::mask_text(*f));
    }
  }
}
BENCHMARK(BM_MaskClientFields);

void BM_MaskTypicalUa(benchmark::State& state) {
  const auto l = typical_line();
  for (auto _ : state) benchmark::DoNotOptimize(payedge::mask_text(l.ua));
}
BENCHMARK(BM_MaskTypicalUa);

void BM_MaskHostileUa(benchmark::State& state) {
  // 256 characters (the most the log keeps) full of things to mask.
  std::string ua =
      "curl/8 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl kim@example.com 010-1234-5678 "
      "4111 1111 1111 1111 secret=abcdef0123456789 Bearer abcdefghijklmnop 10.1.2.3 ";
  while (ua.size() < 256) ua += "0123456789 ";
  ua.resize(256);
  for (auto _ : state) benchmark::DoNotOptimize(payedge::mask_text(ua));
}
BENCHMARK(BM_MaskHostileUa);

}  // namespace
