#include "store/seed.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace payedge {
namespace {

using nlohmann::json;

// TOML tables → JSON so that both formats share one validator.
json toml_to_json(const toml::node& node) {
  if (auto t = node.as_table()) {
    json j = json::object();
    for (auto&& [k, v] : *t) j[std::string(k.str())] = toml_to_json(v);
    return j;
  }
  if (auto a = node.as_array()) {
    json j = json::array();
    for (auto&& v : *a) j.push_back(toml_to_json(v));
    return j;
  }
  if (auto v = node.value<std::int64_t>()) return *v;
  if (auto v = node.value<double>()) return *v;
  if (auto v = node.value<bool>()) return *v;
  if (auto v = node.value<std::string>()) return *v;
  if (auto dt = node.as_date_time()) {
    std::ostringstream os;
    os << *dt;
    return os.str();
  }
  return nullptr;
}

struct FieldReader {
  const json& obj;
  std::string where;

  Result<std::optional<std::string>> text(const char* name, bool required) const {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) {
      if (required)
        return fail(ErrorCode::kInvalidRequest, fmt::format("{}: {} is required", where, name));
      return std::nullopt;
    }
    if (!it->is_string())
      return fail(ErrorCode::kInvalidRequest, fmt::format("{}: {} must be a string", where, name));
    return it->get<std::string>();
  }
  Result<std::optional<std::int64_t>> integer(const char* name, bool required) const {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) {
      if (required)
        return fail(ErrorCode::kInvalidRequest, fmt::format("{}: {} is required", where, name));
      return std::nullopt;
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
      return fail(ErrorCode::kInvalidRequest,
                  fmt::format("{}: {} must be a non-negative integer", where, name));
    }
    return it->get<std::int64_t>();
  }
  Result<std::optional<EpochMs>> time(const char* name) const {
    auto t = text(name, false);
    if (!t) return std::unexpected(t.error());
    if (!*t) return std::nullopt;
    auto parsed = parse_rfc3339(**t);
    if (!parsed)
      return fail(ErrorCode::kInvalidRequest, fmt::format("{}: {} is not RFC 3339", where, name));
    return parsed;
  }
  Result<bool> flag(const char* name, bool fallback) const {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_boolean())
      return fail(ErrorCode::kInvalidRequest,
                  fmt::format("{}: {} must be true or false", where, name));
    return it->get<bool>();
  }
};

#define PAYEDGE_TRY(var, expr)                           \
  auto var##_r = (expr);                                 \
  if (!var##_r) return std::unexpected(var##_r.error()); \
  auto var = std::move(*var##_r)

Result<Course> parse_course(const json& j, size_t index) {
  if (!j.is_object())
    return fail(ErrorCode::kInvalidRequest, fmt::format("courses[{}] must be an object", index));
  FieldReader r{j, fmt::format("courses[{}]", index)};
  Course c;
  PAYEDGE_TRY(id, r.text("id", true));
  PAYEDGE_TRY(title, r.text("title", false));
  PAYEDGE_TRY(list_price, r.integer("list_price", true));
  PAYEDGE_TRY(sale_price, r.integer("sale_price", false));
  PAYEDGE_TRY(starts, r.time("sale_starts_at"));
  PAYEDGE_TRY(ends, r.time("sale_ends_at"));
  PAYEDGE_TRY(active, r.flag("active", true));
  c.id = *id;
  c.title = title.value_or(c.id);
  c.list_price = *list_price;
  c.sale_price = sale_price;
  c.sale_starts_at = starts;
  c.sale_ends_at = ends;
  c.active = active;
  if (c.id.empty()) return fail(ErrorCode::kInvalidRequest, r.where + ": id is empty");
  if (starts && ends && *ends <= *starts)
    return fail(ErrorCode::kInvalidRequest, r.where + ": sale window ends before it starts");
  return c;
}

Result<Coupon> parse_coupon(const json& j, size_t index) {
  if (!j.is_object())
    return fail(ErrorCode::kInvalidRequest, fmt::format("coupons[{}] must be an object", index));
  FieldReader r{j, fmt::format("coupons[{}]", index)};
  Coupon c;
  PAYEDGE_TRY(code, r.text("code", true));
  PAYEDGE_TRY(kind, r.text("kind", true));
  PAYEDGE_TRY(value, r.integer("value", true));
  PAYEDGE_TRY(max_discount, r.integer("max_discount", false));
  PAYEDGE_TRY(min_amount, r.integer("min_amount", false));
  PAYEDGE_TRY(course_id, r.text("course_id", false));
  PAYEDGE_TRY(starts, r.time("starts_at"));
  PAYEDGE_TRY(ends, r.time("ends_at"));
  PAYEDGE_TRY(max_redemptions, r.integer("max_redemptions", false));
  PAYEDGE_TRY(active, r.flag("active", true));
  c.code = *code;
  if (*kind == "PERCENT") {
    c.kind = CouponKind::kPercent;
    if (*value < 1 || *value > 100)
      return fail(ErrorCode::kInvalidRequest, r.where + ": PERCENT value must be 1..100");
  } else if (*kind == "FIXED") {
    c.kind = CouponKind::kFixed;
  } else {
    return fail(ErrorCode::kInvalidRequest, r.where + ": kind must be PERCENT or FIXED");
  }
  c.value = *value;
  c.max_discount = max_discount;
  c.min_amount = min_amount;
  c.course_id = course_id;
  c.starts_at = starts;
  c.ends_at = ends;
  c.max_redemptions = max_redemptions;
  c.active = active;
  if (c.code.empty()) return fail(ErrorCode::kInvalidRequest, r.where + ": code is empty");
  return c;
}

}  // namespace

Result<SeedData> parse_seed(const std::string& text, bool is_toml) {
  json doc;
  if (is_toml) {
    try {
      doc = toml_to_json(toml::parse(text));
    } catch (const toml::parse_error& e) {
      return fail(ErrorCode::kInvalidRequest, std::string("seed: ") + std::string(e.description()));
    }
  } else {
    doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) return fail(ErrorCode::kInvalidRequest, "seed: not valid JSON");
  }
  if (!doc.is_object())
    return fail(ErrorCode::kInvalidRequest, "seed: top level must be an object");
  SeedData data;
  for (const char* list : {"courses", "coupons"}) {
    if (doc.contains(list) && !doc[list].is_array()) {
      return fail(ErrorCode::kInvalidRequest, fmt::format("seed: {} must be an array", list));
    }
  }
  if (doc.contains("courses")) {
    for (size_t i = 0; i < doc["courses"].size(); ++i) {
      auto c = parse_course(doc["courses"][i], i);
      if (!c) return std::unexpected(c.error());
      data.courses.push_back(std::move(*c));
    }
  }
  if (doc.contains("coupons")) {
    for (size_t i = 0; i < doc["coupons"].size(); ++i) {
      auto c = parse_coupon(doc["coupons"][i], i);
      if (!c) return std::unexpected(c.error());
      data.coupons.push_back(std::move(*c));
    }
  }
  return data;
}

Result<SeedData> read_seed_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kInvalidRequest, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_seed(ss.str(), path.ends_with(".toml"));
}

Status apply_seed(Store& store, const SeedData& data) {
  for (const auto& c : data.courses) {
    if (auto st = store.upsert_course(c); !st) return st;
  }
  for (const auto& c : data.coupons) {
    if (auto st = store.upsert_coupon(c); !st) return st;
  }
  return {};
}

SeedData sample_seed(EpochMs now) {
  constexpr EpochMs kDay = 24LL * 3600 * 1000;
  SeedData d;
  d.courses.push_back(
      {"course-cpp", "모던 C++ 실전", 99000, 79000, now - kDay, now + 7 * kDay, true});
  d.courses.push_back(
      {"course-sql", "SQL 첫걸음", 49000, std::nullopt, std::nullopt, std::nullopt, true});
  d.courses.push_back(
      {"course-ml", "머신러닝 기초", 129000, 99000, now - 30 * kDay, now - kDay, true});
  d.courses.push_back({"course-old", "(판매 종료) jQuery 입문", 39000, std::nullopt, std::nullopt,
                       std::nullopt, false});
  Coupon welcome;
  welcome.code = "WELCOME10";
  welcome.kind = CouponKind::kPercent;
  welcome.value = 10;
  welcome.max_discount = 10000;
  d.coupons.push_back(welcome);
  Coupon fixed;
  fixed.code = "SQL5000";
  fixed.kind = CouponKind::kFixed;
  fixed.value = 5000;
  fixed.course_id = "course-sql";
  fixed.max_redemptions = 100;
  d.coupons.push_back(fixed);
  Coupon expired;
  expired.code = "SUMMER2026";
  expired.kind = CouponKind::kPercent;
  expired.value = 20;
  expired.ends_at = now - kDay;
  d.coupons.push_back(expired);
  return d;
}

}  // namespace payedge
