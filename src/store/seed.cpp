#include "store/seed.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
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

// The largest price or amount a catalogue may hold: the bound of a confirm's amount (SPEC 4),
// so price arithmetic (base × percent) can never overflow.
constexpr std::int64_t kMaxKrw = 1'000'000'000;

struct FieldReader {
  const json& obj;
  std::string where;

  // A field the format does not know is a typo that would otherwise fall back to a default.
  Status only(std::initializer_list<std::string_view> known) const {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
        return fail(ErrorCode::kInvalidRequest,
                    fmt::format("{}: unknown field \"{}\"", where, it.key()));
      }
    }
    return {};
  }

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
    if (!it->is_number_integer() ||
        (it->is_number_unsigned() &&
         it->get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxKrw)) ||
        it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > kMaxKrw) {
      return fail(ErrorCode::kInvalidRequest,
                  fmt::format("{}: {} must be an integer 0..{}", where, name, kMaxKrw));
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

// `var` is a name pasted into declarations, not an expression to parenthesise.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PAYEDGE_TRY(var, expr)                           \
  auto var##_r = (expr);                                 \
  if (!var##_r) return std::unexpected(var##_r.error()); \
  auto var = std::move(*var##_r)
// NOLINTEND(bugprone-macro-parentheses)

Result<Course> parse_course(const json& j, size_t index) {
  if (!j.is_object())
    return fail(ErrorCode::kInvalidRequest, fmt::format("courses[{}] must be an object", index));
  FieldReader r{j, fmt::format("courses[{}]", index)};
  if (auto st = r.only(
          {"id", "title", "list_price", "sale_price", "sale_starts_at", "sale_ends_at", "active"});
      !st) {
    return std::unexpected(st.error());
  }
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
  if (c.list_price < 1) {
    return fail(ErrorCode::kInvalidRequest, r.where + ": list_price must be at least 1");
  }
  if (c.sale_price && (*c.sale_price < 1 || *c.sale_price > c.list_price)) {
    return fail(ErrorCode::kInvalidRequest, r.where + ": sale_price must be 1..list_price (" +
                                                std::to_string(c.list_price) + ")");
  }
  if (starts && ends && *ends <= *starts)
    return fail(ErrorCode::kInvalidRequest, r.where + ": sale window ends before it starts");
  return c;
}

Result<Coupon> parse_coupon(const json& j, size_t index) {
  if (!j.is_object())
    return fail(ErrorCode::kInvalidRequest, fmt::format("coupons[{}] must be an object", index));
  FieldReader r{j, fmt::format("coupons[{}]", index)};
  if (auto st = r.only({"code", "kind", "value", "max_discount", "min_amount", "course_id",
                        "starts_at", "ends_at", "max_redemptions", "active"});
      !st) {
    return std::unexpected(st.error());
  }
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
    if (*value < 1) return fail(ErrorCode::kInvalidRequest, r.where + ": FIXED value must be >= 1");
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
  if (c.course_id && c.course_id->empty()) {
    return fail(ErrorCode::kInvalidRequest, r.where + ": course_id is empty (leave it out)");
  }
  if (starts && ends && *ends <= *starts)
    return fail(ErrorCode::kInvalidRequest, r.where + ": ends_at is not after starts_at");
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
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "courses" && it.key() != "coupons") {
      return fail(ErrorCode::kInvalidRequest, fmt::format("seed: unknown field \"{}\"", it.key()));
    }
  }
  for (const char* list : {"courses", "coupons"}) {
    if (doc.contains(list) && !doc[list].is_array()) {
      return fail(ErrorCode::kInvalidRequest, fmt::format("seed: {} must be an array", list));
    }
  }
  if (doc.contains("courses")) {
    for (size_t i = 0; i < doc["courses"].size(); ++i) {
      auto c = parse_course(doc["courses"][i], i);
      if (!c) return std::unexpected(c.error());
      for (size_t k = 0; k < data.courses.size(); ++k) {
        if (data.courses[k].id == c->id) {
          return fail(ErrorCode::kInvalidRequest,
                      fmt::format("courses[{}]: id \"{}\" repeats courses[{}]", i, c->id, k));
        }
      }
      data.courses.push_back(std::move(*c));
    }
  }
  if (doc.contains("coupons")) {
    for (size_t i = 0; i < doc["coupons"].size(); ++i) {
      auto c = parse_coupon(doc["coupons"][i], i);
      if (!c) return std::unexpected(c.error());
      for (size_t k = 0; k < data.coupons.size(); ++k) {
        if (data.coupons[k].code == c->code) {
          return fail(ErrorCode::kInvalidRequest,
                      fmt::format("coupons[{}]: code \"{}\" repeats coupons[{}]", i, c->code, k));
        }
      }
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
  auto data = parse_seed(ss.str(), path.ends_with(".toml"));
  if (!data) return fail(data.error().code, path + ": " + data.error().detail);
  return data;
}

namespace {

json opt_json(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); }
std::string opt_text(const std::optional<std::int64_t>& v) {
  return v ? std::to_string(*v) : std::string("-");
}
json time_json(const std::optional<EpochMs>& v) { return v ? json(format_utc(*v)) : json(nullptr); }

}  // namespace

Result<CatalogChanges> catalog_changes(Store& store, const SeedData& data) {
  CatalogChanges out;
  json changed = json::array(), added = json::array();
  for (const auto& c : data.courses) {
    auto old = store.find_course(c.id);
    if (!old) return std::unexpected(old.error());
    if (!*old) {
      added.push_back({{"course_id", c.id},
                       {"list_price", c.list_price},
                       {"sale_price", opt_json(c.sale_price)},
                       {"active", c.active}});
      out.summary += fmt::format("{}{} new {}", out.summary.empty() ? "" : "; ", c.id,
                                 c.sale_price ? *c.sale_price : c.list_price);
      continue;
    }
    const Course& o = **old;
    json d = {{"course_id", c.id}};
    std::string words;
    auto note = [&](const char* field, json before, json after, std::string text) {
      d[field] = json::array({std::move(before), std::move(after)});
      words += (words.empty() ? "" : ", ") + std::move(text);
    };
    if (o.list_price != c.list_price) {
      note("list_price", o.list_price, c.list_price,
           fmt::format("list_price {}→{}", o.list_price, c.list_price));
    }
    if (o.sale_price != c.sale_price) {
      note("sale_price", opt_json(o.sale_price), opt_json(c.sale_price),
           fmt::format("sale_price {}→{}", opt_text(o.sale_price), opt_text(c.sale_price)));
    }
    if (o.sale_starts_at != c.sale_starts_at || o.sale_ends_at != c.sale_ends_at) {
      note("sale_window", json::array({time_json(o.sale_starts_at), time_json(o.sale_ends_at)}),
           json::array({time_json(c.sale_starts_at), time_json(c.sale_ends_at)}), "sale window");
    }
    if (o.active != c.active) {
      note("active", o.active, c.active, fmt::format("active {}→{}", o.active, c.active));
    }
    if (d.size() == 1) continue;
    changed.push_back(std::move(d));
    out.summary += fmt::format("{}{} {}", out.summary.empty() ? "" : "; ", c.id, words);
  }
  out.details = {{"courses", data.courses.size()},
                 {"coupons", data.coupons.size()},
                 {"changed", std::move(changed)},
                 {"added", std::move(added)}};
  if (out.summary.empty()) out.summary = "no price change";
  return out;
}

Status apply_seed(Store& store, const SeedData& data, const std::optional<SeedAudit>& audit) {
  // A coupon for a course that is neither in the file nor in the store sells nothing.
  for (size_t i = 0; i < data.coupons.size(); ++i) {
    const auto& course = data.coupons[i].course_id;
    if (!course) continue;
    const bool in_file = std::any_of(data.courses.begin(), data.courses.end(),
                                     [&](const Course& c) { return c.id == *course; });
    if (in_file) continue;
    auto found = store.find_course(*course);
    if (!found) return std::unexpected(found.error());
    if (!*found) {
      return fail(ErrorCode::kInvalidRequest,
                  fmt::format("coupons[{}]: course_id \"{}\" is not a course", i, *course));
    }
  }
  std::optional<AuditEntry> entry;
  if (audit) {
    auto changes = catalog_changes(store, data);
    if (!changes) return std::unexpected(changes.error());
    json details = std::move(changes->details);
    details["summary"] = changes->summary;
    entry = AuditEntry{audit->actor, "catalog.seed", audit->source, audit->reason, details.dump()};
  }
  return store.apply_catalog(data.courses, data.coupons, entry);
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
