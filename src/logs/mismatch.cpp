#include "logs/mismatch.h"

#include <fmt/format.h>

namespace payedge::logs {
namespace {

// The price the front end would have shown had the sale been on at `at`.
Course with_sale_open(Course c) {
  c.sale_starts_at.reset();
  c.sale_ends_at.reset();
  return c;
}

Course without_sale(Course c) {
  c.sale_price.reset();
  return c;
}

// The coupon as if nothing kept it from applying.
Coupon unrestricted(Coupon c) {
  c.active = true;
  c.starts_at.reset();
  c.ends_at.reset();
  c.course_id.reset();
  c.min_amount.reset();
  c.max_redemptions.reset();
  return c;
}

std::string coupon_reason(const Coupon& c, const Course& course, const PriceQuote& q, EpochMs ts) {
  const std::string& why = q.coupon_error;
  if (why == "expired" && c.ends_at) {
    return fmt::format(
        "coupon {} expired {} before the request (ends_at {}): the front end still "
        "applied it",
        c.code, format_span(ts - *c.ends_at), format_utc(*c.ends_at));
  }
  if (why == "not_started" && c.starts_at) {
    return fmt::format("coupon {} was not valid yet (starts_at {}): the front end applied it early",
                       c.code, format_utc(*c.starts_at));
  }
  if (why == "exhausted") {
    return fmt::format(
        "coupon {} is used up ({} of {} redemptions): the front end still applied it", c.code,
        c.redemptions, c.max_redemptions.value_or(0));
  }
  if (why == "other_course") {
    return fmt::format("coupon {} is for course {}, not {}", c.code, c.course_id.value_or("?"),
                       course.id);
  }
  if (why == "below_min_amount") {
    return fmt::format("coupon {} needs a base of at least {} (base was {})", c.code,
                       c.min_amount.value_or(0), q.base);
  }
  if (why == "inactive") return fmt::format("coupon {} is deactivated", c.code);
  return fmt::format("coupon {} does not apply ({})", c.code, why);
}

// The same reasons in Korean, the runbook's language.
std::string coupon_reason_ko(const Coupon& c, const Course& course, const PriceQuote& q,
                             EpochMs ts) {
  const std::string& why = q.coupon_error;
  if (why == "expired" && c.ends_at) {
    return fmt::format("쿠폰 {} 은 요청 {} 전에 만료됨 (ends_at {}): 프런트가 여전히 적용했다",
                       c.code, format_span(ts - *c.ends_at), format_utc(*c.ends_at));
  }
  if (why == "not_started" && c.starts_at) {
    return fmt::format("쿠폰 {} 은 아직 유효하지 않음 (starts_at {}): 프런트가 먼저 적용했다",
                       c.code, format_utc(*c.starts_at));
  }
  if (why == "exhausted") {
    return fmt::format("쿠폰 {} 소진 (사용 {}/{}회): 프런트가 여전히 적용했다", c.code,
                       c.redemptions, c.max_redemptions.value_or(0));
  }
  if (why == "other_course") {
    return fmt::format("쿠폰 {} 은 코스 {} 용이다 ({} 아님)", c.code, c.course_id.value_or("?"),
                       course.id);
  }
  if (why == "below_min_amount") {
    return fmt::format("쿠폰 {} 은 기준가 {} 이상이어야 한다 (기준가 {})", c.code,
                       c.min_amount.value_or(0), q.base);
  }
  if (why == "inactive") return fmt::format("쿠폰 {} 은 비활성화됨", c.code);
  return fmt::format("쿠폰 {} 적용 불가 ({})", c.code, why);
}

}  // namespace

std::string format_span(EpochMs ms) {
  if (ms < 0) ms = -ms;
  const EpochMs m = ms / 60'000, h = m / 60, d = h / 24;
  if (d > 0) return h % 24 ? fmt::format("{}d {}h", d, h % 24) : fmt::format("{}d", d);
  if (h > 0) return m % 60 ? fmt::format("{}h {}m", h, m % 60) : fmt::format("{}h", h);
  if (m > 0) return fmt::format("{}m", m);
  return fmt::format("{}s", ms / 1000);
}

MismatchExplanation explain_mismatch(const MismatchLine& line, const std::optional<Course>& course,
                                     const std::optional<Coupon>& coupon, EpochMs now) {
  MismatchExplanation x;
  if (!course) {
    x.reason = fmt::format("course {} is not in the store (deleted or renamed?): cannot recompute",
                           line.course_id);
    x.reason_ko = fmt::format("코스 {} 가 저장소에 없다 (삭제·이름 변경?): 다시 계산할 수 없음",
                              line.course_id);
    return x;
  }
  x.course_found = true;
  const auto& code = line.coupon_code;
  x.at_request = quote_price(*course, code, coupon, line.ts);
  x.now = quote_price(*course, code, coupon, now);
  if (!line.amount) {
    x.reason = "the line has no amount: cannot compare";
    x.reason_ko = "로그 줄에 amount 가 없다: 비교할 수 없음";
    return x;
  }
  const std::int64_t amount = *line.amount;
  const PriceQuote& q = x.at_request;
  auto matches = [&](const Course& c, const std::optional<Coupon>& k) {
    return quote_price(c, code, k, line.ts).expected == amount;
  };

  if (amount == q.expected) {
    x.reason = fmt::format(
        "price changed after the request: today's catalogue accepts {} at that "
        "time (the service expected {})",
        amount, line.expected_amount ? fmt::format("{}", *line.expected_amount) : std::string("?"));
    x.reason_ko = fmt::format(
        "요청 뒤에 가격이 바뀌었다: 지금 카탈로그로는 그 시각에 {} 가 맞다 (서비스는 {} 를 "
        "기대)",
        amount, line.expected_amount ? fmt::format("{}", *line.expected_amount) : std::string("?"));
    return x;
  }
  // The sale window: the front end showed a sale price outside the window.
  if (course->sale_price && !q.sale_active && matches(with_sale_open(*course), coupon)) {
    if (course->sale_ends_at && line.ts >= *course->sale_ends_at) {
      x.reason = fmt::format(
          "sale window ended {} before the request (sale_ends_at {}): the front "
          "end still showed the sale price",
          format_span(line.ts - *course->sale_ends_at), format_utc(*course->sale_ends_at));
      x.reason_ko = fmt::format(
          "세일이 요청 {} 전에 끝남 (sale_ends_at {}): 프런트가 여전히 세일가를 보여 줬다",
          format_span(line.ts - *course->sale_ends_at), format_utc(*course->sale_ends_at));
    } else {
      x.reason = fmt::format(
          "sale had not started (sale_starts_at {}): the front end showed the "
          "sale price early",
          course->sale_starts_at ? format_utc(*course->sale_starts_at) : "?");
      x.reason_ko =
          fmt::format("세일이 아직 시작 전 (sale_starts_at {}): 프런트가 세일가를 먼저 보여 줬다",
                      course->sale_starts_at ? format_utc(*course->sale_starts_at) : "?");
    }
    return x;
  }
  if (q.sale_active && matches(without_sale(*course), coupon)) {
    x.reason = "the front end showed the list price while the sale was on";
    x.reason_ko = "세일 중인데 프런트가 정가를 보여 줬다";
    return x;
  }
  // The coupon: applied by the front end although it did not apply.
  if (code && coupon && !q.coupon_applied) {
    const Coupon free = unrestricted(*coupon);
    if (matches(*course, free) || (course->sale_price && matches(with_sale_open(*course), free))) {
      x.reason = coupon_reason(*coupon, *course, q, line.ts);
      x.reason_ko = coupon_reason_ko(*coupon, *course, q, line.ts);
      return x;
    }
  }
  if (code && !coupon && amount < q.base) {
    x.reason = fmt::format("coupon {} is not in the store: the front end discounted anyway", *code);
    x.reason_ko = fmt::format("쿠폰 {} 이 저장소에 없는데 프런트가 할인했다", *code);
    return x;
  }
  if (code && q.coupon_applied && amount == q.base) {
    x.reason = fmt::format("the front end did not apply coupon {}", *code);
    x.reason_ko = fmt::format("프런트가 쿠폰 {} 을 적용하지 않았다", *code);
    return x;
  }
  if (line.expected_amount && *line.expected_amount != q.expected) {
    x.reason = fmt::format(
        "price changed since the request: the service expected {}, today's "
        "catalogue gives {} for that time",
        *line.expected_amount, q.expected);
    x.reason_ko = fmt::format(
        "요청 뒤에 가격이 바뀌었다: 서비스는 {} 를 기대했고, 지금 카탈로그로는 그 시각에 {}",
        *line.expected_amount, q.expected);
    return x;
  }
  if (amount == x.now.expected) {
    x.reason = fmt::format("the amount is today's price ({}), not the price at the request ({})",
                           x.now.expected, q.expected);
    x.reason_ko = fmt::format("금액이 요청 시각의 가격({})이 아니라 지금 가격({})이다", q.expected,
                              x.now.expected);
    return x;
  }
  x.reason = fmt::format(
      "unknown: possible tampering ({} matches no list/sale/coupon "
      "combination; expected {})",
      amount, q.expected);
  x.reason_ko = fmt::format(
      "원인 불명: 변조 가능성 ({} 는 정가·세일가·쿠폰 어느 조합과도 맞지 않음; 기대값 {})", amount,
      q.expected);
  return x;
}

}  // namespace payedge::logs
