// Test inputs for `payedge logs`: a generator of SPEC section 7 lines that also keeps the
// records it wrote (the ground truth the tests compute expected answers from with plain
// loops), compressors, a temporary directory and a runner for the real binary.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace payedge::logs::testing {

struct GenRecord {
  std::int64_t ts = 0;
  std::string fn, status;
  std::optional<std::string> error_code, user_id, course_id, order_id, coupon_code, ip;
  std::optional<double> latency_ms;
  std::optional<std::int64_t> amount, expected_amount;
};

struct GenLine {
  std::string text;
  std::optional<GenRecord> record;  // nullopt: the line is malformed on purpose
  bool blank = false;
};

inline constexpr std::int64_t kStartMs = 1795617000000;  // 2026-11-25T14:30:00Z (23:30 KST)

inline const std::vector<std::string>& error_codes() {
  static const std::vector<std::string> codes = {"E_AMOUNT_MISMATCH", "TOSS_API_ERROR",
                                                 "E_IDEMPOTENCY_CONFLICT", "E_UNAUTHORIZED",
                                                 "E_COUPON_INVALID"};
  return codes;
}

inline std::string format_ts(std::int64_t ms) {
  // civil_from_days (H. Hinnant)
  const std::int64_t s = ms / 1000;
  std::int64_t days = s / 86400 + 719468;
  const std::int64_t rem = s % 86400;
  const std::int64_t era = days / 146097, doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60), static_cast<long long>(ms % 1000));
  return buf;
}

// `n` lines over ~n·2.4 s from kStartMs (so a few thousand lines cross KST midnight), with a
// share of Supabase-wrapped lines, malformed lines of every kind, blank lines, users with
// tied counts, float and missing latencies.
inline std::vector<GenLine> generate_lines(std::size_t n, std::uint32_t seed,
                                           double wrapped_share = 0.1,
                                           double malformed_share = 0.02) {
  std::mt19937 rng(seed);
  auto uniform = [&] { return std::uniform_real_distribution<double>(0, 1)(rng); };
  auto pick = [&](std::size_t k) { return static_cast<std::size_t>(rng() % k); };
  std::vector<GenLine> out;
  std::int64_t ts = kStartMs;
  for (std::size_t i = 0; i < n; ++i) {
    ts += static_cast<std::int64_t>(pick(4800));
    GenLine line;
    const double shape = uniform();
    if (shape < malformed_share) {
      static const char* kBad[] = {
          R"({"ts":"2026-11-25T14:00:00.000Z","level":"info","fn":"confirm-pay)",  // truncated
          "Listening on http://0.0.0.0:8000/",
          R"({"ts":"2026-11-25T14:00:00.000Z","status":"error","latency_ms":"12ms"})",
          R"({"ts":"2026-11-25T14:00:00.000Z","status":1})",
          R"({"level":"info","status":"success"})",  // no ts
          R"({"ts":"2026-02-30T00:00:00.000Z","status":"success"})",
          R"({"ts":"2026-11-25T14:00:00.000Z","status":"success"} trailing)",
          R"x({"event_message":"booted (time: 31ms)","timestamp":1})x",
          R"([1,2,3])",
          R"({"ts":"2026-11-25T14:00:00.000Z","amount":1.5})",
      };
      line.text = kBad[pick(std::size(kBad))];
      out.push_back(std::move(line));
      continue;
    }
    if (shape < malformed_share + 0.005) {
      line.blank = true;
      line.text = pick(2) ? "" : "   ";
      out.push_back(std::move(line));
      continue;
    }
    GenRecord r;
    r.ts = ts;
    r.fn = pick(10) == 0 ? "toss-webhook" : "confirm-payment";
    const bool error = pick(8) == 0;
    r.status = error ? "error" : "success";
    if (error) r.error_code = error_codes()[pick(error_codes().size())];
    const std::size_t lat = pick(20);
    if (lat == 0) {
      // no latency at all
    } else if (lat == 1) {
      r.latency_ms = static_cast<double>(pick(4000)) + 0.5;
    } else if (lat == 2) {
      r.latency_ms = static_cast<double>(5000 + pick(30000));
    } else {
      r.latency_ms = static_cast<double>(50 + pick(1500));
    }
    if (pick(20) != 0) r.user_id = "user-" + std::to_string(pick(40));
    if (pick(20) != 0) r.course_id = "course-" + std::to_string(pick(7));
    r.order_id = "order-" + std::to_string(i);
    if (pick(4) == 0) r.coupon_code = "WELCOME10";
    r.amount = 49000 - static_cast<std::int64_t>(pick(3)) * 1000;
    r.expected_amount = 49000;
    r.ip = "10.0." + std::to_string(pick(4)) + "." + std::to_string(pick(250));

    nlohmann::ordered_json j;
    j["ts"] = format_ts(r.ts);
    j["level"] = error ? "warn" : "info";
    j["fn"] = r.fn;
    j["request_id"] = "req-" + std::to_string(i);
    j["status"] = r.status;
    j["error_code"] = r.error_code ? nlohmann::ordered_json(*r.error_code) : nullptr;
    if (r.latency_ms) j["latency_ms"] = *r.latency_ms;
    j["http_status"] = error ? 400 : 200;
    if (r.user_id) j["user_id"] = *r.user_id;
    j["course_id"] = r.course_id ? nlohmann::ordered_json(*r.course_id) : nullptr;
    j["order_id"] = *r.order_id;
    j["amount"] = *r.amount;
    j["expected_amount"] = *r.expected_amount;
    j["coupon_code"] = r.coupon_code ? nlohmann::ordered_json(*r.coupon_code) : nullptr;
    j["replayed"] = false;
    j["ip"] = *r.ip;
    j["ua"] = "Mozilla/5.0 \"quoted\" 브라우저";
    j["unknown_extra"] = {{"nested", {1, 2, {{"a", "b"}}}}};
    line.text = j.dump();
    if (uniform() < wrapped_share) {
      nlohmann::ordered_json w = {{"event_message", line.text},
                                  {"id", "evt-" + std::to_string(i)},
                                  {"timestamp", r.ts * 1000}};
      line.text = w.dump();
    }
    line.record = std::move(r);
    out.push_back(std::move(line));
  }
  return out;
}

inline std::string join_lines(const std::vector<GenLine>& lines, const std::string& eol = "\n") {
  std::string s;
  for (const auto& l : lines) s += l.text + eol;
  return s;
}

inline std::string gzip(const std::string& data) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string zstd_compress(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) throw std::runtime_error("zstd");
  out.resize(n);
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "payedge-logs-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }

 private:
  std::string path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Run {
  int exit_code = -1;
  std::string out, err;
};

#ifdef PAYEDGE_BINARY
// Runs the real binary with `stdin_path` as its standard input and `env` added to (or, with
// an empty value, blanked in) the environment.
inline Run run_payedge(const std::vector<std::string>& args,
                       const std::string& stdin_path = "/dev/null",
                       const std::map<std::string, std::string>& env = {}) {
  TempDir tmp;
  const std::string out_path = tmp.file("out"), err_path = tmp.file("err");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    const int in = open(stdin_path.c_str(), O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> copy = args;
    std::string binary = PAYEDGE_BINARY;
    std::vector<char*> argv{binary.data()};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out_path),
          slurp(err_path)};
}
#endif

}  // namespace payedge::logs::testing
