// clang-format off
#include <utility>  // before Boost.Asio: Boost 1.74 needs it
// clang-format on

#include "harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "auth/jwt.h"
#include "core/codec.h"
#include "core/time.h"
#include "store/postgres/pg_connection.h"
#include "store/sqlite/sqlite_db.h"

namespace payedge::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr int kStartupLimitMs = 20'000;  // a bound on waiting for readiness, not a sleep

pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            int stdout_fd, int stderr_fd, int stdin_fd = -1) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (stdin_fd >= 0) dup2(stdin_fd, STDIN_FILENO);
    dup2(stdout_fd, STDOUT_FILENO);
    dup2(stderr_fd, STDERR_FILENO);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string binary = PAYEDGE_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> args, std::map<std::string, std::string> env,
                           std::string stdout_path) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  const int out_fd = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_ = spawn(args, env, out_fd, pipe_fds[1]);
  close(out_fd);
  close(pipe_fds[1]);
  stderr_fd_ = pipe_fds[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) stop();
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

int ChildProcess::wait_listening() {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartupLimitMs);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto nl = buffered_.find('\n'); nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      if (line.rfind("listening on ", 0) == 0) return std::stoi(line.substr(line.rfind(':') + 1));
      continue;  // anything before it is a bug in the contract, but keep reading
    }
    pollfd p{stderr_fd_, POLLIN, 0};
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())
                                          .count());
    if (poll(&p, 1, std::max(left, 1)) <= 0) break;
    char buf[1024];
    const ssize_t n = read(stderr_fd_, buf, sizeof buf);
    if (n <= 0) break;  // the process ended
    buffered_.append(buf, static_cast<size_t>(n));
  }
  return 0;
}

void ChildProcess::kill_hard() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ChildProcess::terminate() {
  if (pid_ > 0) kill(pid_, SIGTERM);
}

int ChildProcess::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int ChildProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ChildProcess::stderr_rest() { return buffered_ + read_all(stderr_fd_); }

RunResult run_payedge(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env,
                      const std::string& stdin_path) {
  TempDir tmp;
  const std::string out_path = tmp.file("out"), err_path = tmp.file("err");
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int in_fd = open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
  const pid_t pid = spawn(args, env, out_fd, err_fd, in_fd);
  close(out_fd);
  close(err_fd);
  if (in_fd >= 0) close(in_fd);
  int status = 0;
  waitpid(pid, &status, 0);
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out_path),
          slurp(err_path)};
}

namespace {

std::mutex tls_ports_mu;
std::map<int, std::string> tls_ports;  // port → CA file

std::optional<std::string> tls_ca_for(int port) {
  std::lock_guard lock(tls_ports_mu);
  auto it = tls_ports.find(port);
  if (it == tls_ports.end()) return std::nullopt;
  return it->second;
}

template <class Stream>
HttpReply exchange(Stream& stream, const std::string& method, const std::string& target,
                   const std::string& body, const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() && req.find(http::field::content_type) == req.end())
    req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  http::read(stream, buffer, parser);
  auto res = parser.release();
  HttpReply out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = res.body();
  return out;
}

}  // namespace

void use_tls_for_port(int port, const std::string& ca_file) {
  std::lock_guard lock(tls_ports_mu);
  tls_ports[port] = ca_file;
}

void forget_tls_port(int port) {
  std::lock_guard lock(tls_ports_mu);
  tls_ports.erase(port);
}

HttpReply http_call(int port, const std::string& method, const std::string& target,
                    const std::string& body, const std::map<std::string, std::string>& headers) {
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(60));
  stream.connect(
      tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  beast::error_code ec;
  if (const auto ca = tls_ca_for(port)) {
    namespace ssl = boost::asio::ssl;
    ssl::context ctx(ssl::context::tls_client);
    if (!ca->empty()) {
      ctx.load_verify_file(*ca);
      ctx.set_verify_mode(ssl::verify_peer);
    }
    beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), ctx);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls.native_handle()), "127.0.0.1");
    tls.handshake(ssl::stream_base::client);
    HttpReply out = exchange(tls, method, target, body, headers);
    tls.shutdown(ec);  // the server's close_notify, or its close: either is fine here
    return out;
  }
  HttpReply out = exchange(stream, method, target, body, headers);
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/payedge-test-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Db::Db(const std::string& path_or_url, const std::string& schema) {
  if (path_or_url.starts_with("postgresql://")) {
    auto conn = PgConnection::open(path_or_url, schema.empty() ? "public" : schema);
    if (!conn) throw std::runtime_error("cannot open " + path_or_url + ": " + conn.error().detail);
    conn_ = std::move(*conn);
  } else {
    std::string path = path_or_url.starts_with("sqlite://") ? path_or_url.substr(9) : path_or_url;
    auto conn = sqlite::SqliteConnection::open(path, 10'000);
    if (!conn) throw std::runtime_error("cannot open " + path + ": " + conn.error().detail);
    conn_ = std::move(*conn);
  }
}

Db::~Db() = default;

std::vector<std::vector<std::string>> Db::rows(const std::string& sql) {
  auto r = conn_->run(sql, {});
  if (!r) throw std::runtime_error("sql: " + r.error().detail + " in " + sql);
  std::vector<std::vector<std::string>> out;
  for (auto& row : r->rows) {
    auto& o = out.emplace_back();
    for (auto& cell : row) o.push_back(cell.value_or("NULL"));
  }
  return out;
}

std::string Db::scalar(const std::string& sql) {
  auto r = rows(sql);
  return r.empty() || r[0].empty() ? "" : r[0][0];
}

long long Db::count(const std::string& table, const std::string& where) {
  return std::stoll(scalar("SELECT COUNT(*) FROM " + table + " WHERE " + where));
}

void Db::exec(const std::string& sql) {
  if (auto st = conn_->exec(sql); !st) throw std::runtime_error("sql: " + st.error().detail);
}

std::string pg_server_url() {
  std::string dir;
  if (const char* d = std::getenv("PAYEDGE_TEST_PG_DIR"); d && *d) dir = d;
  std::ifstream in(dir + "/url");
  std::string url;
  std::getline(in, url);
  if (dir.empty() || url.empty()) {
    throw std::runtime_error(
        "no test PostgreSQL: run through ctest (its fixture starts one with "
        "scripts/pg-test-server.sh), "
        "or start one yourself and set PAYEDGE_TEST_PG_DIR to its folder");
  }
  return url;
}

std::string fresh_pg_database() {
  const std::string server = pg_server_url();
  const std::string name = "t_" + random_hex(8);
  Db admin(server);
  admin.exec("CREATE DATABASE " + name);
  return server.substr(0, server.rfind('/') + 1) + name;
}

std::map<std::string, std::string> test_env() {
  return {{"TOSS_SECRET_KEY", kTossSecret},
          {"SUPABASE_JWT_SECRET", kJwtSecret},
          {"WEBHOOK_SECRET", kWebhookSecret}};
}

std::string token_for(const std::string& user, int ttl_s) {
  return sign_jwt(user, kJwtSecret, SystemClock::instance().now_ms(), ttl_s);
}

std::vector<nlohmann::json> read_json_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

std::string sample_seed_json() {
  const EpochMs now = SystemClock::instance().now_ms();
  const EpochMs day = 24LL * 3600 * 1000;
  nlohmann::json seed = {
      {"courses",
       {{{"id", "course-cpp"},
         {"title", "C++"},
         {"list_price", 99000},
         {"sale_price", 79000},
         {"sale_starts_at", format_utc(now - day)},
         {"sale_ends_at", format_utc(now + 7 * day)}},
        {{"id", "course-sql"}, {"title", "SQL"}, {"list_price", 49000}},
        {{"id", "course-ml"},
         {"title", "ML"},
         {"list_price", 129000},
         {"sale_price", 99000},
         {"sale_starts_at", format_utc(now - 30 * day)},
         {"sale_ends_at", format_utc(now - day)}},
        {{"id", "course-old"}, {"title", "Old"}, {"list_price", 39000}, {"active", false}}}},
      {"coupons",
       {{{"code", "WELCOME10"}, {"kind", "PERCENT"}, {"value", 10}, {"max_discount", 10000}},
        {{"code", "SQL5000"},
         {"kind", "FIXED"},
         {"value", 5000},
         {"course_id", "course-sql"},
         {"max_redemptions", 2}},
        {{"code", "SUMMER2026"},
         {"kind", "PERCENT"},
         {"value", 20},
         {"ends_at", format_utc(now - day)}},
        {{"code", "ONCE"}, {"kind", "FIXED"}, {"value", 1000}, {"max_redemptions", 1}}}}};
  return seed.dump();
}

Stack::Stack(StackOptions options) : options_(std::move(options)) {
  db_path_ = dir_.file("payedge.db");
  store_url_ = !options_.pg_url.empty() ? options_.pg_url
               : options_.postgres      ? fresh_pg_database()
                                        : "sqlite://" + db_path_;
  log_path_ = dir_.file("payedge.log");
  config_path_ = dir_.file("payedge.toml");
  {
    std::ofstream(dir_.file("seed.json")) << sample_seed_json();
    // Tests send bursts from one address: no rate limit unless a test asks for one.
    const bool own_server_section = options_.config_toml.find("[server]") != std::string::npos;
    std::ofstream(config_path_)
        << (own_server_section ? "" : "[server]\nconfirm_rate_per_s = 0\nwebhook_rate_per_s = 0\n")
        << options_.config_toml
        << (options_.pg_schema.empty() ? ""
                                       : "\n[store]\nschema = \"" + options_.pg_schema + "\"\n");
  }
  auto seeded = run_payedge(
      {"seed", dir_.file("seed.json"), "--config", config_path_, "--store", store_url()},
      test_env());
  if (seeded.exit_code != 0) throw std::runtime_error("seed failed: " + seeded.err);
  std::vector<std::string> args = {"sim", "--listen", "127.0.0.1:0"};
  if (options_.tls && options_.sim_cert_dir.empty()) {
    args.push_back("--tls-self-signed");
    args.push_back(dir_.file("sim-tls"));
  } else if (options_.tls) {
    for (const char* f : {"--tls-cert", "cert.pem", "--tls-key", "key.pem"})
      args.push_back(f[0] == '-' ? std::string(f) : options_.sim_cert_dir + "/" + f);
  }
  args.insert(args.end(), options_.sim_args.begin(), options_.sim_args.end());
  sim_ = std::make_unique<ChildProcess>(args, test_env());
  sim_port_ = sim_->wait_listening();
  if (!sim_port_) throw std::runtime_error("simulator did not start: " + sim_->stderr_rest());
  if (options_.tls)
    use_tls_for_port(sim_port_, options_.sim_cert_dir.empty() ? toss_ca() : std::string());
  services_.resize(static_cast<size_t>(options_.instances));
  api_ports_.resize(services_.size());
  for (size_t i = 0; i < services_.size(); ++i) start_service(i);
  db_ = std::make_unique<Db>(store_url_, options_.pg_schema);
}

Stack::~Stack() {
  if (sim_port_) forget_tls_port(sim_port_);
}

void Stack::start_service(size_t i) {
  auto env = test_env();
  env["PAYEDGE_ADMIN_TOKEN"] = options_.admin_token;  // empty counts as unset
  std::vector<std::string> args = {"serve",       "--config",   config_path_, "--listen",
                                   "127.0.0.1:0", "--store",    store_url(),  "--toss-url",
                                   toss_url(),    "--log-file", log_path_};
  if (options_.tls) {
    args.push_back("--toss-ca");
    args.push_back(toss_ca());
  }
  services_[i] = std::make_unique<ChildProcess>(args, env);
  api_ports_[i] = services_[i]->wait_listening();
  if (!api_ports_[i])
    throw std::runtime_error("service did not start: " + services_[i]->stderr_rest());
}

void Stack::restart_service(size_t i) {
  services_[i].reset();
  start_service(i);
}

void Stack::kill_service(size_t i) { services_[i]->kill_hard(); }

void Stack::stop_services() {
  for (auto& s : services_) s->stop();
}

RunResult Stack::ops(std::vector<std::string> args) {
  const bool talks_to_toss = !args.empty() && (args[0] == "reconcile" || args[0] == "verify" ||
                                               args[0] == "enrollment" || args[0] == "payment");
  args.insert(args.begin(), "ops");
  args.push_back("--config");
  args.push_back(config_path_);
  args.push_back("--store");
  args.push_back(store_url());
  if (talks_to_toss) {
    args.push_back("--toss-url");
    args.push_back(toss_url());
    if (options_.tls) {
      args.push_back("--toss-ca");
      args.push_back(toss_ca());
    }
  }
  // The tests read the English lines; Korean (the default) is tested on its own.
  auto env = test_env();
  env["LANG"] = "en_US.UTF-8";
  env["LC_ALL"] = env["LC_MESSAGES"] = "";
  return run_payedge(args, env);
}

std::string Stack::new_session(const std::string& order_id, long long amount) {
  auto r = http_call(sim_port_, "POST", "/__sim/sessions",
                     nlohmann::json{{"orderId", order_id}, {"amount", amount}}.dump());
  if (r.status != 200) throw std::runtime_error("session: " + r.body);
  return r.json()["paymentKey"];
}

std::map<std::string, std::string> toss_basic_auth() {
  return {{"Authorization", "Basic " + base64_encode(kTossSecret + ":")}};
}

std::string Stack::purchase(const std::string& order, const std::string& user) {
  const std::string key = new_session(order, 49000);
  auto r = confirm(body_for(key, order, 49000, "course-sql"), user);
  EXPECT_EQ(r.status, 200) << r.body;
  return key;
}

std::string Stack::paid_at_toss_only(const std::string& order, long long amount) {
  const std::string key = new_session(order, amount);
  auto r =
      http_call(sim_port_, "POST", "/v1/payments/confirm",
                nlohmann::json{{"paymentKey", key}, {"orderId", order}, {"amount", amount}}.dump(),
                toss_basic_auth());
  EXPECT_EQ(r.status, 200) << r.body;
  return key;
}

HttpReply Stack::confirm(const nlohmann::json& body, const std::string& user,
                         const std::map<std::string, std::string>& extra_headers, size_t instance) {
  std::map<std::string, std::string> headers = {{"Authorization", "Bearer " + token_for(user)}};
  for (const auto& [k, v] : extra_headers) headers[k] = v;
  return http_call(api_port(instance), "POST", "/functions/v1/confirm-payment", body.dump(),
                   headers);
}

nlohmann::json Stack::sim_stats() { return http_call(sim_port_, "GET", "/__sim/stats").json(); }

void Stack::set_faults(const nlohmann::json& faults) {
  auto r = http_call(sim_port_, "POST", "/__sim/faults", faults.dump());
  if (r.status != 200) throw std::runtime_error("faults: " + r.body);
}

}  // namespace payedge::testing
