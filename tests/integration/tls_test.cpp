// payedge talks to Toss over TLS the way a payments client must: the real `serve` confirms
// against `sim --tls-self-signed` trusting its CA, still confirms over plain HTTP on loopback,
// refuses plain HTTP to anything else, and refuses a certificate from an unknown CA, for another
// host or out of date — a retryable TOSS_API_ERROR, nothing sent to Toss, nothing recorded.
#include "net/tls.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

// Fails fast: one try per confirm, so a refused certificate is answered at once.
constexpr const char* kOneTry = "[toss]\nmax_attempts = 1\n";

std::vector<json> tls_error_lines(const std::string& log_path) {
  std::vector<json> out;
  for (auto& line : read_json_lines(log_path)) {
    const std::string detail = line.value("error_detail", std::string());
    if (detail.starts_with("toss_tls_error")) out.push_back(line);
  }
  return out;
}

void make_certs(const std::string& dir, const SelfSignedOptions& options = {}) {
  auto st = write_self_signed(dir, options);
  ASSERT_TRUE(st) << st.error().detail;
}

TEST(Tls, ConfirmsEndToEndOverTlsWithTheSimulatorsCa) {
  Stack stack;  // TLS by default
  ASSERT_TRUE(stack.toss_url().starts_with("https://"));
  for (int i = 0; i < 3; ++i) {  // the later ones over the kept-alive connection
    const std::string order = "order-tls-" + std::to_string(i);
    const std::string key = stack.new_session(order, 79000);
    auto r =
        stack.confirm(body_for(key, order, 79000, "course-cpp"), "user-tls-" + std::to_string(i));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["payment"]["status"], "DONE");
  }
  EXPECT_EQ(stack.db().count("payments"), 3);
  EXPECT_EQ(stack.sim_stats()["confirm_calls"], 3);
  EXPECT_TRUE(tls_error_lines(stack.log_path()).empty());
  // ops talks to the same simulator over TLS too (--toss-ca).
  auto verify = stack.ops({"verify", "--format", "json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
}

TEST(Tls, PlainHttpToALoopbackSimulatorStillConfirms) {
  Stack stack({.tls = false});
  ASSERT_TRUE(stack.toss_url().starts_with("http://127.0.0.1:"));
  const std::string key = stack.new_session("order-plain-1", 49000);
  auto r = stack.confirm(body_for(key, "order-plain-1", 49000, "course-sql"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stack.db().count("payments"), 1);
}

TEST(Tls, ServeRefusesPlainHttpToAnotherHostAndAnUnreadableCaFile) {
  TempDir dir;
  const std::string store = "sqlite://" + dir.file("p.db");
  auto plain = run_payedge({"serve", "--listen", "127.0.0.1:0", "--store", store, "--toss-url",
                            "http://api.tosspayments.com"},
                           test_env());
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_NE(plain.err.find("only to a loopback address"), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find("listening on"), std::string::npos) << plain.err;

  auto no_ca = run_payedge({"serve", "--listen", "127.0.0.1:0", "--store", store, "--toss-url",
                            "https://127.0.0.1:1", "--toss-ca", dir.file("missing.pem")},
                           test_env());
  EXPECT_EQ(no_ca.exit_code, 1);
  EXPECT_NE(no_ca.err.find("ca_file"), std::string::npos) << no_ca.err;

  auto ops = run_payedge({"ops", "verify", "--store", store, "--toss-url", "http://10.0.0.1:8081"},
                         test_env());
  EXPECT_EQ(ops.exit_code, 1);
  EXPECT_NE(ops.err.find("only to a loopback address"), std::string::npos) << ops.err;
}

// One refused certificate: the confirm is a retryable TOSS_API_ERROR, the simulator never saw
// a confirm, no payment or enrollment exists, the attempt stays open for a retry, and the log
// says why.
void expect_refused(Stack& stack, const std::string& order, const std::string& reason) {
  const std::string key = stack.new_session(order, 49000);
  auto r = stack.confirm(body_for(key, order, 49000, "course-sql"));
  ASSERT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "TOSS_API_ERROR");
  EXPECT_EQ(r.json()["error"]["retryable"], true);
  EXPECT_EQ(stack.sim_stats()["confirm_calls"], 0);
  EXPECT_EQ(stack.db().count("payments"), 0);
  EXPECT_EQ(stack.db().count("enrollments"), 0);
  EXPECT_EQ(
      stack.db().scalar("SELECT state FROM confirm_attempts WHERE payment_key = '" + key + "'"),
      "IN_PROGRESS");
  const auto lines = tls_error_lines(stack.log_path());
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back()["error_detail"].get<std::string>().find(reason), std::string::npos)
      << lines.back().dump();
}

TEST(Tls, RefusesACertificateFromAnUnknownCa) {
  TempDir certs;
  make_certs(certs.file("trusted"));
  make_certs(certs.file("stranger"));  // a valid localhost certificate, from another CA
  Stack stack({.sim_cert_dir = certs.file("stranger"),
               .toss_ca = certs.file("trusted/ca.pem"),
               .config_toml = kOneTry});
  expect_refused(stack, "order-tls-unknown-ca", "unable to get local issuer certificate");
}

TEST(Tls, RefusesACertificateForAnotherHostName) {
  TempDir certs;
  make_certs(certs.file("other"), {.dns_names = {"payments.example"}, .ip_addresses = {}});
  Stack stack({.sim_cert_dir = certs.file("other"),
               .toss_ca = certs.file("other/ca.pem"),
               .toss_host = "localhost",
               .config_toml = kOneTry});
  expect_refused(stack, "order-tls-other-host", "hostname mismatch");
}

TEST(Tls, RefusesACertificateForAnotherIpAddress) {
  TempDir certs;
  make_certs(certs.file("other"), {.dns_names = {}, .ip_addresses = {"127.0.0.2"}});
  Stack stack({.sim_cert_dir = certs.file("other"),
               .toss_ca = certs.file("other/ca.pem"),
               .config_toml = kOneTry});
  expect_refused(stack, "order-tls-other-ip", "IP address mismatch");
}

TEST(Tls, RefusesAnExpiredCertificate) {
  TempDir certs;
  make_certs(certs.file("old"), {.not_before_s = -2 * 86400, .not_after_s = -86400});
  Stack stack({.sim_cert_dir = certs.file("old"),
               .toss_ca = certs.file("old/ca.pem"),
               .config_toml = kOneTry});
  expect_refused(stack, "order-tls-expired", "certificate has expired");
}

TEST(Tls, TheSelfSignedFilesAreWrittenAndTheKeyIsPrivate) {
  TempDir dir;
  ChildProcess sim({"sim", "--listen", "127.0.0.1:0", "--tls-self-signed", dir.file("tls")},
                   test_env());
  const int port = sim.wait_listening();
  ASSERT_GT(port, 0);
  for (const char* f : {"ca.pem", "cert.pem", "key.pem"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(std::string("tls/") + f))) << f;
  EXPECT_EQ(std::filesystem::status(dir.file("tls/key.pem")).permissions() &
                std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  use_tls_for_port(port, dir.file("tls/ca.pem"));
  const auto stats = http_call(port, "GET", "/__sim/stats");
  forget_tls_port(port);
  EXPECT_EQ(stats.status, 200);
  // The TLS port does not answer plain HTTP.
  EXPECT_THROW(http_call(port, "GET", "/__sim/stats"), std::exception);
}

}  // namespace
}  // namespace payedge::testing
