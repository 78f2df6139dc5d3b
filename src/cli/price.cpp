// `payedge price explain`: the price breakdown of SPEC section 3 for a course and coupon.
#include "core/price.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "store/store.h"

namespace payedge::cli {

void add_price(CLI::App& app, int& exit_code) {
  auto* price = app.add_subcommand("price", "Price tools");
  price->require_subcommand(1);
  auto* cmd = price->add_subcommand("explain", "Show how the expected amount is computed");
  struct Opts {
    std::string config, store, course, coupon, at, format = "table";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--course", o->course, "course id")->required();
  cmd->add_option("--coupon", o->coupon, "coupon code");
  cmd->add_option("--at", o->at, "RFC 3339 time (default: now)");
  cmd->add_option("--store", o->store, "store URL")->check(store_url_check());
  cmd->add_option("--config", o->config, "payedge.toml");
  cmd->add_option("--format", o->format, "table|json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([o, &exit_code] {
    EpochMs at = SystemClock::instance().now_ms();
    if (!o->at.empty()) {
      auto t = parse_rfc3339(o->at);
      if (!t)
        return print_error(make_error(ErrorCode::kInvalidRequest, "--at is not RFC 3339")),
               void(exit_code = 2);
      at = *t;
    }
    auto config = load_cli_config(o->config);
    if (!config) return print_error(config.error()), void(exit_code = 2);
    if (!o->store.empty()) config->store.url = o->store;
    auto store = open_cli_store_read_only(config->store.url, *config);  // reads only
    if (!store) return print_error(store.error()), void(exit_code = 1);
    auto course = (*store)->find_course(o->course);
    if (!course) return print_error(course.error()), void(exit_code = 1);
    if (!*course)
      return print_error(make_error(ErrorCode::kCourseNotFound, o->course)), void(exit_code = 1);
    std::optional<std::string> code;
    std::optional<Coupon> coupon;
    if (!o->coupon.empty()) {
      code = o->coupon;
      auto found = (*store)->find_coupon(o->coupon);
      if (!found) return print_error(found.error()), void(exit_code = 1);
      coupon = *found;
    }
    const PriceQuote q = quote_price(**course, code, coupon, at);
    if (o->format == "json") {
      nlohmann::json j = {
          {"course_id", q.course_id},
          {"list_price", q.list_price},
          {"sale_price", q.sale_price ? nlohmann::json(*q.sale_price) : nlohmann::json(nullptr)},
          {"sale_active", q.sale_active},
          {"base", q.base},
          {"coupon_code", q.coupon_code ? nlohmann::json(*q.coupon_code) : nlohmann::json(nullptr)},
          {"coupon_applied", q.coupon_applied},
          {"discount", q.discount},
          {"expected", q.expected},
          {"course_active", (*course)->active},
          {"at", format_utc(at)}};
      if (q.coupon_code && !q.coupon_applied) j["coupon_error"] = q.coupon_error;
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::string out = fmt::format("course        {} ({}){}\n", q.course_id, (*course)->title,
                                  (*course)->active ? "" : "  [inactive]");
    out += fmt::format("list price    {:>10}\n", q.list_price);
    if (q.sale_price) {
      out += fmt::format("sale price    {:>10}  {}\n", *q.sale_price,
                         q.sale_active ? "active" : "not active at this time");
    }
    out += fmt::format("base          {:>10}\n", q.base);
    if (q.coupon_code) {
      out += q.coupon_applied
                 ? fmt::format("coupon {:<7}{:>10}\n", *q.coupon_code, -q.discount)
                 : fmt::format("coupon {}     not applied: {}\n", *q.coupon_code, q.coupon_error);
    }
    out += fmt::format("expected      {:>10}  (at {})\n", q.expected, format_utc(at));
    std::fputs(out.c_str(), stdout);
  });
}

}  // namespace payedge::cli
