// Inputs for `payedge slo report` tests: confirm-payment lines with the fields the SLOs read
// (http_status, replayed, every error code), a generator mixing in other functions, wrapped,
// malformed and blank lines, and the expected report computed by plain loops with
// std::chrono's calendar (not the code under test's day arithmetic).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "log_fixture.h"

namespace payedge::slo::testing {

using logs::testing::format_ts;

struct SloLine {
  std::int64_t ts = 0;
  std::string fn = "confirm-payment";
  std::string status = "success";
  std::optional<std::string> error_code;
  std::optional<std::int64_t> http_status = 200;
  std::optional<double> latency_ms;
  std::optional<bool> replayed = false;
  std::optional<std::string> error_detail;  // e.g. "pending_deposit" on a virtual account
  std::optional<std::string> order_id;      // absent: each line is its own confirm
};

inline std::string to_json(const SloLine& l, bool wrapped = false) {
  nlohmann::ordered_json j;
  j["ts"] = format_ts(l.ts);
  j["level"] = l.status == "success" ? "info" : "warn";
  j["fn"] = l.fn;
  j["request_id"] = "req-" + std::to_string(l.ts);
  j["status"] = l.status;
  j["error_code"] = l.error_code ? nlohmann::ordered_json(*l.error_code) : nullptr;
  if (l.latency_ms) j["latency_ms"] = *l.latency_ms;
  if (l.http_status) j["http_status"] = *l.http_status;
  j["user_id"] = "user-1";
  j["course_id"] = "course-sql";
  if (l.replayed) j["replayed"] = *l.replayed;
  if (l.error_detail) j["error_detail"] = *l.error_detail;
  if (l.order_id) j["order_id"] = *l.order_id;
  const std::string text = j.dump();
  if (!wrapped) return text;
  return nlohmann::ordered_json{{"event_message", text}, {"timestamp", l.ts * 1000}}.dump();
}

inline std::string join(const std::vector<SloLine>& lines) {
  std::string s;
  for (const auto& l : lines) s += to_json(l) + "\n";
  return s;
}

// A successful confirm at `ts` taking `ms`.
inline SloLine ok(std::int64_t ts, double ms) {
  SloLine l;
  l.ts = ts;
  l.latency_ms = ms;
  return l;
}

inline SloLine err(std::int64_t ts, std::string code, std::int64_t http) {
  SloLine l;
  l.ts = ts;
  l.status = "error";
  l.error_code = std::move(code);
  l.http_status = http;
  l.latency_ms = 40;
  return l;
}

struct Generated {
  std::string text;
  std::vector<SloLine> records;  // the well-formed lines
  std::uint64_t malformed = 0;
};

// `n` lines from `start`, 0..`max_step_ms` apart, so a few thousand lines span days and weeks.
inline Generated generate(std::size_t n, std::uint32_t seed, std::int64_t start,
                          std::int64_t max_step_ms) {
  // Codes with the HTTP status the service answers them with; some 5xx lines carry no code.
  static const std::vector<std::pair<std::string, std::int64_t>> kCodes = {
      {"E_INVALID_REQUEST", 400}, {"E_UNAUTHORIZED", 401},      {"E_COURSE_NOT_FOUND", 404},
      {"E_COURSE_INACTIVE", 409}, {"E_PAYMENTS_DISABLED", 503}, {"E_COUPON_INVALID", 400},
      {"E_AMOUNT_MISMATCH", 400}, {"E_ALREADY_ENROLLED", 409},  {"E_IDEMPOTENCY_CONFLICT", 409},
      {"E_TOSS_REJECTED", 402},   {"TOSS_API_ERROR", 502},      {"E_RATE_LIMITED", 429},
      {"E_INTERNAL", 500},        {"E_PAYLOAD_TOO_LARGE", 413}};
  static const char* kBad[] = {
      R"({"ts":"2026-11-25T14:00:00.000Z","fn":"confirm-pay)",
      "Listening on http://0.0.0.0:8000/",
      R"({"ts":"2026-11-25T14:00:00.000Z","fn":"confirm-payment","latency_ms":"12ms"})",
      R"({"fn":"confirm-payment","status":"success"})",
      R"({"ts":"2026-11-25T14:00:00.000Z","fn":"confirm-payment","replayed":"yes"})",
      R"({"ts":"2026-11-25T14:00:00.000Z","fn":"confirm-payment","http_status":5.5e300})",
  };
  std::mt19937 rng(seed);
  auto pick = [&](std::size_t k) { return static_cast<std::size_t>(rng() % k); };
  Generated g;
  std::int64_t ts = start;
  for (std::size_t i = 0; i < n; ++i) {
    ts += static_cast<std::int64_t>(pick(static_cast<std::size_t>(max_step_ms) + 1));
    const std::size_t shape = pick(1000);
    if (shape < 15) {
      g.text += std::string(kBad[pick(std::size(kBad))]) + "\n";
      ++g.malformed;
      continue;
    }
    if (shape < 20) {
      g.text += "\n";
      continue;
    }
    SloLine l;
    l.ts = ts;
    const std::size_t fn = pick(20);
    l.fn = fn == 0 ? "toss-webhook" : fn == 1 ? "payment-status" : "confirm-payment";
    const std::size_t kind = pick(100);
    if (kind < 8) {
      const auto& [code, http] = kCodes[pick(kCodes.size())];
      l = err(ts, code, http);
      l.fn = fn == 0 ? "toss-webhook" : fn == 1 ? "payment-status" : "confirm-payment";
      if (pick(5) == 0) l.http_status.reset();  // then the code alone decides
    } else if (kind < 9) {
      l.status = "error";  // a 5xx without a code (a proxy's answer, say)
      l.error_code.reset();
      l.http_status = 500 + static_cast<std::int64_t>(pick(5));
    } else if (kind < 10) {
      l.status = "error";  // neither a failure code nor a 5xx: excluded
      l.error_code.reset();
      l.http_status.reset();
    }
    if (l.status == "success") {
      const std::size_t lat = pick(25);
      if (lat == 0) {
        l.latency_ms.reset();
      } else if (lat == 1) {
        l.latency_ms = static_cast<double>(pick(3000)) + 0.25;
      } else if (lat == 2) {
        l.latency_ms = static_cast<double>(1500 + pick(8000));
      } else {
        l.latency_ms = static_cast<double>(80 + pick(1200));
      }
      const std::size_t rep = pick(15);
      l.replayed = rep == 0   ? std::optional<bool>(true)
                   : rep == 1 ? std::nullopt
                              : std::optional<bool>(false);
      if (pick(40) == 0) l.http_status.reset();
    }
    g.text += to_json(l, pick(10) == 0) + "\n";
    g.records.push_back(std::move(l));
  }
  return g;
}

// --- the expected report, by plain loops ---

struct ExpectedDay {
  std::vector<double> latencies;
};
struct ExpectedWeek {
  std::uint64_t confirms = 0, mismatches = 0;
};
struct Expected {
  std::uint64_t confirms = 0, good = 0, failed = 0, excluded = 0;
  std::map<std::string, ExpectedDay> days;    // label → measured latencies
  std::map<std::string, ExpectedWeek> weeks;  // Monday label → counts
  std::set<std::string> active_days;          // days with any confirm line
};

inline std::string civil_label(std::chrono::sys_days d) {
  const std::chrono::year_month_day ymd(d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

// Days in a zone of fixed `offset_hours`; lines in [since, until).
inline Expected expect(const std::vector<SloLine>& lines, int offset_hours,
                       std::optional<std::int64_t> since = {},
                       std::optional<std::int64_t> until = {}) {
  using namespace std::chrono;
  Expected e;
  for (const auto& l : lines) {
    if (l.fn != "confirm-payment") continue;
    if (since && l.ts < *since) continue;
    if (until && l.ts >= *until) continue;
    const auto local = sys_time<milliseconds>(milliseconds(l.ts)) + hours(offset_hours);
    const sys_days day = floor<days>(local);
    const sys_days monday = day - (weekday(day) - Monday);
    ++e.confirms;
    e.active_days.insert(civil_label(day));
    auto& week = e.weeks[civil_label(monday)];
    ++week.confirms;
    if (l.error_code == "E_AMOUNT_MISMATCH") ++week.mismatches;
    if (l.status == "success") {
      ++e.good;
      if (l.replayed != true && l.latency_ms) {
        e.days[civil_label(day)].latencies.push_back(*l.latency_ms);
      }
    } else if ((l.http_status && *l.http_status >= 500) || l.error_code == "TOSS_API_ERROR" ||
               l.error_code == "E_INTERNAL" || l.error_code == "E_PAYMENTS_DISABLED") {
      ++e.failed;
    } else {
      ++e.excluded;
    }
  }
  return e;
}

// SPEC section 8, literally: the value at index ceil(95/100·n)−1 of the sorted list.
inline double p95_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(v.size()))) - 1];
}

inline double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

}  // namespace payedge::slo::testing
