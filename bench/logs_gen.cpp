// Writes a realistic payedge log for `make bench-logs`: SPEC section 7 lines of a week of
// traffic, mixed error codes, a share of Supabase-wrapped lines and a few malformed ones.
//
//   logs_gen --out /tmp/payedge-bench.log [--mb 1024] [--seed 1] [--wrapped 0.05]
//            [--malformed 0.001] [--format lines|supabase-csv]
//
// `--format supabase-csv` writes the same traffic as the Supabase Logs Explorer's CSV download
// of the original Edge Function: a header row, then id, timestamp (microseconds), the line
// without its ts as a quoted event_message, event_type, function_id, level.
//
// Standalone (no payedge library) so that the benchmark script can build it with one
// compiler call. Deterministic for a given seed.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Options {
  std::string out;
  long long mb = 1024;
  std::uint64_t seed = 1;
  double wrapped = 0.05;
  double malformed = 0.001;
  bool csv = false;
};

struct Code {
  const char* name;
  int http;
  double weight;
};

// Shares of all confirm-payment requests; the rest succeed.
constexpr Code kConfirmErrors[] = {
    {"E_AMOUNT_MISMATCH", 400, 0.010},      {"TOSS_API_ERROR", 502, 0.015},
    {"E_IDEMPOTENCY_CONFLICT", 409, 0.010}, {"E_UNAUTHORIZED", 401, 0.008},
    {"E_INVALID_REQUEST", 400, 0.008},      {"E_ALREADY_ENROLLED", 409, 0.005},
    {"E_COUPON_INVALID", 400, 0.005},       {"E_TOSS_REJECTED", 402, 0.005},
    {"E_COURSE_INACTIVE", 409, 0.001},      {"E_RATE_LIMITED", 429, 0.002},
    {"E_PAYMENTS_DISABLED", 503, 0.001},    {"E_INTERNAL", 500, 0.0005},
};

constexpr const char* kUserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.6045.163 Mobile Safari/537.36",
    "TossPayments-Webhook/1.0",
    "curl/7.88.1",
};

constexpr int kCourses = 40;
constexpr int kUsers = 200'000;
constexpr long long kStartMs = 1795132800000LL;  // 2026-11-20T00:00:00Z

std::string utc(long long ms) {
  const long long s = ms / 1000;
  long long days = s / 86400;
  const long long rem = s % 86400;
  // civil_from_days (H. Hinnant)
  days += 719468;
  const long long era = days / 146097;
  const long long doe = days - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long y = yoe + era * 400;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long long mp = (5 * doy + 2) / 153;
  const long long d = doy - (153 * mp + 2) / 5 + 1;
  const long long m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, rem / 3600,
                     rem / 60 % 60, rem % 60, ms % 1000);
}

std::string uuid(std::mt19937_64& rng) {
  const std::uint64_t a = rng(), b = rng();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     (b >> 48) & 0x3fff | 0x8000, b & 0xffffffffffffULL);
}

std::string user_id(int u) {
  // A stable UUID-shaped id per user index.
  std::mt19937_64 r(static_cast<std::uint64_t>(u) * 0x9E3779B97F4A7C15ULL + 7);
  return uuid(r);
}

void json_escape_into(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
}

int parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--out" && (v = next())) {
      o.out = v;
    } else if (a == "--mb" && (v = next())) {
      o.mb = std::atoll(v);
    } else if (a == "--seed" && (v = next())) {
      o.seed = std::strtoull(v, nullptr, 10);
    } else if (a == "--wrapped" && (v = next())) {
      o.wrapped = std::atof(v);
    } else if (a == "--format" && (v = next()) &&
               (std::string_view(v) == "lines" || std::string_view(v) == "supabase-csv")) {
      o.csv = std::string_view(v) == "supabase-csv";
    } else if (a == "--malformed" && (v = next())) {
      o.malformed = std::atof(v);
    } else {
      std::fprintf(stderr,
                   "usage: logs_gen --out FILE [--mb N] [--seed S] [--wrapped F] "
                   "[--malformed F] [--format lines|supabase-csv]\n");
      return 2;
    }
  }
  return o.out.empty() ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (int rc = parse_args(argc, argv, o)) return rc;
  std::FILE* f = o.out == "-" ? stdout : std::fopen(o.out.c_str(), "wb");
  if (!f) {
    std::perror(o.out.c_str());
    return 1;
  }
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::lognormal_distribution<double> fast(std::log(450.0), 0.35);
  std::lognormal_distribution<double> slow(std::log(3500.0), 0.5);
  std::vector<long long> list_price(kCourses), sale_price(kCourses);
  for (int c = 0; c < kCourses; ++c) {
    list_price[c] = 29000 + 10000 * (c % 12);
    sale_price[c] = c % 3 == 0 ? list_price[c] - 10000 : 0;
  }
  std::vector<std::string> users(kUsers);
  for (int u = 0; u < kUsers; ++u) users[u] = user_id(u);

  const long long target = o.mb * 1024 * 1024;
  long long written = 0, lines = 0, ts = kStartMs;
  std::string buf, line, wrapped;
  buf.reserve(1 << 22);
  if (o.csv) buf = "id,timestamp,event_message,event_type,function_id,level\r\n";
  while (written + static_cast<long long>(buf.size()) < target) {
    ts += static_cast<long long>(unit(rng) * 480);  // ~4 requests a second over a week
    const double kind = unit(rng);
    line.clear();
    const bool webhook = kind < 0.08;
    const bool status_fn = !webhook && kind < 0.10;
    const int course = static_cast<int>(std::pow(unit(rng), 2.0) * kCourses);  // skewed
    const int user = static_cast<int>(unit(rng) * kUsers);
    const std::string request_id = uuid(rng);
    const std::string ip =
        fmt::format("{}.{}.{}.{}", 1 + rng() % 223, rng() % 256, rng() % 256, 1 + rng() % 254);
    const char* ua = kUserAgents[webhook ? 4 : rng() % 6];
    if (status_fn) {
      line = fmt::format(
          R"({{"ts":"{}","level":"info","fn":"payment-status","request_id":"{}","status":"success","error_code":null,"latency_ms":{},"http_status":200,"ip":"{}","ua":"{}"}})",
          utc(ts), request_id, 2 + rng() % 20, ip, ua);
    } else if (webhook) {
      const bool bad_sig = unit(rng) < 0.01;
      line = fmt::format(
          R"({{"ts":"{}","level":"{}","fn":"toss-webhook","request_id":"{}","status":"{}","error_code":{},"latency_ms":{},"http_status":{},"order_id":"order-{:016x}","ip":"{}","ua":"{}"}})",
          utc(ts), bad_sig ? "warn" : "info", request_id, bad_sig ? "error" : "success",
          bad_sig ? "\"E_WEBHOOK_INVALID_SIG\"" : "null", 5 + rng() % 60, bad_sig ? 401 : 200,
          rng(), ip, ua);
    } else {
      const Code* err = nullptr;
      double r = unit(rng);
      for (const auto& c : kConfirmErrors) {
        if (r < c.weight) {
          err = &c;
          break;
        }
        r -= c.weight;
      }
      const long long base = sale_price[course] ? sale_price[course] : list_price[course];
      const bool coupon = unit(rng) < 0.2;
      const long long expected = coupon ? base - base / 10 : base;
      long long amount = expected;
      const bool mismatch = err && std::strcmp(err->name, "E_AMOUNT_MISMATCH") == 0;
      if (mismatch) {
        // The list price shown during a sale, or a front end that lost a discount.
        amount = list_price[course] != expected && unit(rng) < 0.5
                     ? list_price[course]
                     : expected - 1000 * static_cast<long long>(1 + rng() % 9);
      }
      const bool toss_called = !err || std::strcmp(err->name, "TOSS_API_ERROR") == 0 ||
                               std::strcmp(err->name, "E_TOSS_REJECTED") == 0;
      const bool toss_5xx = err && std::strcmp(err->name, "TOSS_API_ERROR") == 0;
      const int latency = static_cast<int>(toss_5xx ? slow(rng) : fast(rng));
      const int toss_latency = toss_called ? latency - 20 - static_cast<int>(rng() % 40) : -1;
      std::string toss;
      if (toss_called) {
        toss = fmt::format(R"("toss_http_status":{},"toss_code":{},"toss_latency_ms":{})",
                           !err       ? 200
                           : toss_5xx ? 500
                                      : 403,
                           !err       ? "null"
                           : toss_5xx ? "\"FAILED_INTERNAL_SYSTEM_PROCESSING\""
                                      : "\"REJECT_CARD_PAYMENT\"",
                           toss_latency < 1 ? 1 : toss_latency);
      } else {
        toss = R"("toss_http_status":null,"toss_code":null,"toss_latency_ms":null)";
      }
      line = fmt::format(
          R"({{"ts":"{}","level":"{}","fn":"confirm-payment","request_id":"{}","status":"{}","error_code":{},"latency_ms":{},"http_status":{},"user_id":"{}","course_id":"course-{:03}","order_id":"order-{:016x}","payment_key":"tgen*****************{:04}","amount":{},"expected_amount":{},"coupon_code":{},{},"replayed":{},"ip":"{}","ua":"{}"}})",
          utc(ts), err ? "warn" : "info", request_id, err ? "error" : "success",
          err ? fmt::format("\"{}\"", err->name) : "null", latency, err ? err->http : 200,
          users[user], course, rng(), rng() % 10000, amount, expected,
          coupon ? fmt::format("\"WELCOME{}\"", course % 5) : "null", toss,
          err ? "null" : (unit(rng) < 0.03 ? "true" : "false"), ip, ua);
    }
    const double shape = unit(rng);
    if (shape < o.malformed) {
      switch (rng() % 3) {
        case 0:
          line.resize(line.size() / 2);  // a truncated write
          break;
        case 1:
          line = "Listening on http://0.0.0.0:8000/";  // a runtime message, not a log line
          break;
        default:  // a wrong type
          if (auto p = line.find("\"latency_ms\":"); p != std::string::npos) {
            line.insert(p + 13, "\"");
            line.insert(line.find(',', p + 14), "ms\"");
          }
      }
    } else if (!o.csv && shape < o.malformed + o.wrapped) {
      wrapped = R"({"event_message":")";
      json_escape_into(wrapped, line);
      wrapped += fmt::format(R"(","id":"{}","timestamp":{}000,"metadata":[{{"level":"info"}}]}})",
                             uuid(rng), ts);
      line.swap(wrapped);
    }
    if (o.csv) {
      // The original function's line: no ts. RFC 4180: quoted, quotes doubled.
      const std::size_t comma = line.starts_with("{\"ts\"") ? line.find(',') : std::string::npos;
      wrapped = fmt::format("{},{}{:03},\"", uuid(rng), ts, rng() % 1000);
      if (comma != std::string::npos) wrapped.push_back('{');
      for (std::size_t i = comma == std::string::npos ? 0 : comma + 1; i < line.size(); ++i) {
        if (line[i] == '"') wrapped.push_back('"');
        wrapped.push_back(line[i]);
      }
      wrapped += "\",Log,5c1e0c3e-4f1d-4c55-9d5e-0d2b8a9f7a11,info\r";
      line.swap(wrapped);
    }
    buf += line;
    buf.push_back('\n');
    ++lines;
    if (buf.size() > (1 << 22)) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      written += static_cast<long long>(buf.size());
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  written += static_cast<long long>(buf.size());
  if (f != stdout) std::fclose(f);
  std::fprintf(stderr, "logs_gen: %lld lines, %lld bytes\n", lines, written);
  return 0;
}
