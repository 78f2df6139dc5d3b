// `logs mismatches [--explain]`: each E_AMOUNT_MISMATCH line, and why the price differed.
#include <algorithm>
#include <map>

#include "core/error.h"
#include "logs/command_output.h"
#include "logs/commands.h"
#include "logs/table.h"
#include "store/store.h"

namespace payedge::logs {

using namespace detail;  // NOLINT(google-build-using-namespace): the logs commands' own helpers

namespace {

class MismatchSink final : public RecordSink {
 public:
  void add(const LogRecord& r, RecordPosition pos) override {
    MismatchLine m;
    m.ts = r.ts;
    m.request_id = r.get_or(Field::kRequestId);
    m.order_id = r.get_or(Field::kOrderId);
    m.user_id = r.get_or(Field::kUserId);
    m.course_id = r.get_or(Field::kCourseId);
    if (const auto& c = r.get(Field::kCouponCode); c && !c->empty())
      m.coupon_code = std::string(*c);
    m.amount = r.amount;
    m.expected_amount = r.expected_amount;
    m.pos = pos;
    lines.push_back(std::move(m));
  }
  std::vector<MismatchLine> lines;
};

}  // namespace

// --- mismatches ---

MismatchOutcome compute_mismatches(const LogsOptions& o) {
  FilterSpec spec = o.filter;
  spec.error_code = {std::string(info(ErrorCode::kAmountMismatch).name)};
  std::vector<std::unique_ptr<MismatchSink>> sinks;
  FieldSet wanted;
  wanted.add(Field::kRequestId).add(Field::kOrderId).add(Field::kUserId).add(Field::kCourseId);
  wanted.add(Field::kCouponCode);
  wanted.amounts = true;
  MismatchOutcome out;
  out.stats = scan_into(o, spec, wanted, sinks, [] { return std::make_unique<MismatchSink>(); });
  for (auto& s : sinks) {
    for (auto& m : s->lines) out.lines.push_back(std::move(m));
  }
  std::sort(out.lines.begin(), out.lines.end(), [](const auto& a, const auto& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.pos < b.pos;
  });
  return out;
}

namespace {

ojson quote_json(const PriceQuote& q) {
  auto opt = [](const auto& v) { return v ? ojson(*v) : ojson(nullptr); };
  ojson j = {{"list_price", q.list_price},
             {"sale_price", opt(q.sale_price)},
             {"sale_active", q.sale_active},
             {"base", q.base},
             {"coupon_code", opt(q.coupon_code)},
             {"coupon_applied", q.coupon_applied},
             {"discount", q.discount},
             {"expected", q.expected}};
  if (q.coupon_code && !q.coupon_applied) j["coupon_error"] = q.coupon_error;
  return j;
}

std::string quote_text(const PriceQuote& q) {
  std::string s = fmt::format("list {}", q.list_price);
  if (q.sale_price) {
    s += fmt::format(", sale {}{}", *q.sale_price, q.sale_active ? "" : " (not active)");
  }
  if (q.coupon_code) {
    s += q.coupon_applied
             ? fmt::format(", coupon {} -{}", *q.coupon_code, q.discount)
             : fmt::format(", coupon {} not applied ({})", *q.coupon_code, q.coupon_error);
  }
  return s + fmt::format(" → {}", q.expected);
}

template <class T>
std::string opt_or_dash(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : std::string("-");
}

}  // namespace

int run_mismatches(const LogsOptions& o, Store* store, EpochMs now) {
  const MismatchOutcome m = compute_mismatches(o);
  if (!m.stats.problems.empty()) return finish(o, m.stats);
  std::map<std::string, std::optional<Course>> courses;
  std::map<std::string, std::optional<Coupon>> coupons;
  std::vector<std::optional<MismatchExplanation>> explained(m.lines.size());
  int code = 0;
  if (store) {
    for (std::size_t i = 0; i < m.lines.size(); ++i) {
      const auto& line = m.lines[i];
      if (!courses.count(line.course_id)) {
        auto c = store->find_course(line.course_id);
        if (!c) {
          std::fprintf(o.err, "error: store: %s\n", c.error().detail.c_str());
          code = 1;
          break;
        }
        courses[line.course_id] = *c;
      }
      std::optional<Coupon> coupon;
      if (line.coupon_code) {
        if (!coupons.count(*line.coupon_code)) {
          auto c = store->find_coupon(*line.coupon_code);
          if (!c) {
            std::fprintf(o.err, "error: store: %s\n", c.error().detail.c_str());
            code = 1;
            break;
          }
          coupons[*line.coupon_code] = *c;
        }
        coupon = coupons[*line.coupon_code];
      }
      explained[i] = explain_mismatch(line, courses[line.course_id], coupon, now);
    }
  }
  if (o.format == OutputFormat::kJson) {
    ojson rows = ojson::array();
    std::map<std::string, std::uint64_t> by_course;
    for (std::size_t i = 0; i < m.lines.size(); ++i) {
      const auto& l = m.lines[i];
      auto opt = [](const auto& v) { return v ? ojson(*v) : ojson(nullptr); };
      auto text = [](const std::string& v) { return v.empty() ? ojson(nullptr) : ojson(v); };
      ojson j = {{"ts", format_utc(l.ts)},         {"request_id", text(l.request_id)},
                 {"order_id", text(l.order_id)},   {"user_id", text(l.user_id)},
                 {"course_id", text(l.course_id)}, {"coupon_code", opt(l.coupon_code)},
                 {"amount", opt(l.amount)},        {"expected_amount", opt(l.expected_amount)}};
      if (explained[i]) {
        const auto& x = *explained[i];
        j["course_found"] = x.course_found;
        if (x.course_found) {
          j["today"] = quote_json(x.now);
          j["at_request"] = quote_json(x.at_request);
        }
        j["reason"] = x.reason;
        j["reason_ko"] = x.reason_ko;
      }
      ++by_course[l.course_id];
      rows.push_back(std::move(j));
    }
    ojson counts = ojson::object();
    for (const auto& [course, n] : by_course) counts[course] = n;
    print(o.out,
          dump(ojson{{"count", m.lines.size()}, {"by_course", counts}, {"rows", rows}}) + "\n");
    const int rc = finish(o, m.stats);
    return code ? code : rc;
  }
  if (o.format == OutputFormat::kCsv) {
    std::vector<std::string> headers = {"ts",          "order_id", "user_id",        "course_id",
                                        "coupon_code", "amount",   "expected_amount"};
    if (store) {
      headers.insert(headers.end(), {"today_list_price", "today_sale_price", "today_sale_active",
                                     "today_discount", "today_expected", "reason"});
    }
    print(o.out, csv_line(headers));
    for (std::size_t i = 0; i < m.lines.size(); ++i) {
      const auto& l = m.lines[i];
      std::vector<std::string> row = {format_utc(l.ts),
                                      l.order_id,
                                      l.user_id,
                                      l.course_id,
                                      l.coupon_code.value_or(""),
                                      opt_text(l.amount),
                                      opt_text(l.expected_amount)};
      if (explained[i]) {
        const auto& x = *explained[i];
        if (x.course_found) {
          row.insert(row.end(), {std::to_string(x.now.list_price), opt_text(x.now.sale_price),
                                 x.now.sale_active ? "true" : "false",
                                 std::to_string(x.now.discount), std::to_string(x.now.expected)});
        } else {
          row.insert(row.end(), 5, "");
        }
        row.push_back(o.english ? x.reason : x.reason_ko);
      }
      print(o.out, csv_line(row));
    }
    const int rc = finish(o, m.stats);
    return code ? code : rc;
  }
  std::string text;
  for (std::size_t i = 0; i < m.lines.size(); ++i) {
    const auto& l = m.lines[i];
    text += fmt::format("{}  order {}  user {}  course {}  coupon {}\n", format_utc(l.ts),
                        l.order_id.empty() ? "-" : l.order_id, l.user_id.empty() ? "-" : l.user_id,
                        l.course_id.empty() ? "-" : l.course_id, l.coupon_code.value_or("-"));
    text += fmt::format("  front end {}   service expected {}\n", opt_or_dash(l.amount),
                        opt_or_dash(l.expected_amount));
    if (explained[i]) {
      const auto& x = *explained[i];
      if (x.course_found) {
        text += fmt::format("  today:             {}\n", quote_text(x.now));
        text += fmt::format("  at request time:   {}\n", quote_text(x.at_request));
      }
      text += fmt::format("  {}: {}\n", o.english ? "reason" : "이유",
                          o.english ? x.reason : x.reason_ko);
    }
  }
  text += fmt::format("{} amount mismatch{}\n", m.lines.size(), m.lines.size() == 1 ? "" : "es");
  print(o.out, text);
  const int rc = finish(o, m.stats);
  return code ? code : rc;
}

}  // namespace payedge::logs
