// Micro-benchmarks of the pure request path: body validation and the price rule.
#include <benchmark/benchmark.h>

#include "core/confirm_request.h"
#include "core/price.h"

namespace {

void BM_ParseConfirmRequest(benchmark::State& state) {
  const std::string body =
      R"({"paymentKey":"tgen_20261126abcdef0123456789","orderId":"order-12345678","amount":79000,"courseId":"course-cpp","couponCode":"WELCOME10"})";
  for (auto _ : state) benchmark::DoNotOptimize(payedge::parse_confirm_request(body));
}
BENCHMARK(BM_ParseConfirmRequest);

void BM_QuotePrice(benchmark::State& state) {
  payedge::Course course{"course-cpp", "C++", 99000, 79000, 0, 4'000'000'000'000, true};
  payedge::Coupon coupon;
  coupon.code = "WELCOME10";
  coupon.kind = payedge::CouponKind::kPercent;
  coupon.value = 10;
  coupon.max_discount = 10000;
  const std::optional<std::string> code = "WELCOME10";
  for (auto _ : state)
    benchmark::DoNotOptimize(payedge::quote_price(course, code, coupon, 1'800'000'000'000));
}
BENCHMARK(BM_QuotePrice);

}  // namespace
