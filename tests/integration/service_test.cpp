// Issue 14, "the service fails closed", through the real binary: production refuses the
// development secrets, /readyz needs a store that can write, and the HTTP edge cases answer
// (431, 400, 405, absolute-form targets) instead of dropping the connection.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <fstream>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

// Sends `bytes` as they are and reads until the server closes: the raw answer.
std::string raw_exchange(int port, const std::string& bytes) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  boost::asio::write(socket, boost::asio::buffer(bytes));
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    const size_t n = socket.read_some(boost::asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

int status_of(const std::string& raw) {
  return raw.size() > 12 ? std::atoi(raw.substr(9, 3).c_str()) : 0;
}

TEST(FailClosed, ProductionRefusesDevelopmentSecretsByName) {
  TempDir dir;
  std::ofstream(dir.file("prod.toml")) << "[server]\nenvironment = \"production\"\n";
  auto r = run_payedge({"serve", "--config", dir.file("prod.toml"), "--listen", "127.0.0.1:0",
                        "--store", "sqlite://" + dir.file("p.db")},
                       {{"TOSS_SECRET_KEY", "live_sk_integration_0001"}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("SUPABASE_JWT_SECRET, WEBHOOK_SECRET"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("listening on"), std::string::npos);
}

TEST(FailClosed, DevelopmentWarningNamesTheMissingVariable) {
  TempDir dir;
  ASSERT_EQ(run_payedge({"migrate", "--store", "sqlite://" + dir.file("d.db")}).exit_code, 0);
  auto env = test_env();
  env.erase("WEBHOOK_SECRET");
  ChildProcess serve({"serve", "--listen", "127.0.0.1:0", "--store", "sqlite://" + dir.file("d.db"),
                      "--log-file", dir.file("log")},
                     env);
  const int port = serve.wait_listening();
  ASSERT_NE(port, 0);
  // Answered once: serve is past its start-up lines and has its signal handler.
  EXPECT_EQ(http_call(port, "GET", "/healthz").status, 200);
  serve.stop();
  const auto err = serve.stderr_rest();
  EXPECT_NE(err.find("warning: WEBHOOK_SECRET not set"), std::string::npos) << err;
  EXPECT_EQ(err.find("TOSS_SECRET_KEY"), std::string::npos) << err;
}

TEST(FailClosed, ReadyzNeedsAStoreThatCanWrite) {
  Stack stack({.config_toml = "[store]\nbusy_timeout_ms = 100\n"});
  EXPECT_EQ(http_call(stack.api_port(), "GET", "/readyz").status, 200);
  // Another process holds the write lock past the busy timeout: reads work, writes do not.
  stack.db().exec("BEGIN EXCLUSIVE");
  const auto locked = http_call(stack.api_port(), "GET", "/readyz");
  stack.db().exec("ROLLBACK");
  EXPECT_EQ(locked.status, 503) << locked.body;
  EXPECT_EQ(http_call(stack.api_port(), "GET", "/readyz").status, 200);
  // A table the probe writes is gone (a damaged store): not ready.
  stack.db().exec("DROP TABLE instances");
  EXPECT_EQ(http_call(stack.api_port(), "GET", "/readyz").status, 503);
}

TEST(HttpEdges, AnswerInsteadOfDropping) {
  Stack stack;
  const int port = stack.api_port();
  struct Case {
    const char* name;
    std::string request;
    int status;
    const char* body_has;
  };
  const std::string token = token_for("user-edge");
  const std::string body = R"({"paymentKey":"k","orderId":"order-edge-1","amount":1})";
  const std::vector<Case> cases = {
      {"absolute-form GET",
       "GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200,
       "\"ok\":true"},
      {"absolute-form confirm",
       "POST http://payedge.example/functions/v1/confirm-payment HTTP/1.1\r\nHost: x\r\n"
       "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body,
       401, "E_UNAUTHORIZED"},
      {"oversized headers",
       "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n",
       431, "E_INVALID_REQUEST"},
      {"bad Content-Length",
       "POST /functions/v1/confirm-payment HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400,
       "E_INVALID_REQUEST"},
      {"two Content-Lengths",
       "POST /functions/v1/confirm-payment HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
       "Content-Length: 3\r\n\r\n{}",
       400, "E_INVALID_REQUEST"},
      {"TRACE", "TRACE / HTTP/1.1\r\nHost: x\r\nCookie: secret\r\n\r\n", 405, "E_INVALID_REQUEST"},
      {"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405,
       "E_INVALID_REQUEST"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string raw = raw_exchange(port, c.request);
    EXPECT_EQ(status_of(raw), c.status) << raw.substr(0, 300);
    EXPECT_NE(raw.find(c.body_has), std::string::npos) << raw.substr(0, 300);
    EXPECT_NE(raw.find("X-Content-Type-Options: nosniff"), std::string::npos);
    EXPECT_EQ(raw.find("Cookie: secret"), std::string::npos);  // TRACE echoes nothing
  }
  // Every JSON answer carries nosniff.
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/healthz"},
           {"GET", "/readyz"},
           {"GET", "/nowhere"},
           {"GET", "/functions/v1/payment-status"},
           {"POST", "/functions/v1/confirm-payment"}}) {
    auto r = http_call(port, method, target, method == "POST" ? "{}" : "");
    EXPECT_EQ(r.headers["x-content-type-options"], "nosniff") << target;
  }
}

TEST(PaymentStatus, ListsTheCoursesOffSale) {
  Stack stack;
  auto r = http_call(stack.api_port(), "GET", "/functions/v1/payment-status").json();
  EXPECT_EQ(r["paymentsEnabled"], true);
  EXPECT_EQ(r["coursesOff"], json::array({"course-old"}));
  ASSERT_EQ(stack.ops({"course", "deactivate", "course-sql", "--reason", "price check"}).exit_code,
            0);
  r = http_call(stack.api_port(), "GET", "/functions/v1/payment-status").json();
  EXPECT_EQ(r["coursesOff"], json::array({"course-old", "course-sql"}));
}

// Webhook signing secrets are stored sealed with PAYEDGE_SECRETS_KEY (docs/DEPLOY.md).
TEST(SecretsAtRest, RotatedWebhookSecretsAreEncrypted) {
  Stack stack;
  TempDir dir;
  std::ofstream(dir.file("new")) << "rotated-secret-abcdefghijkl\n";
  auto env = test_env();
  env["PAYEDGE_SECRETS_KEY"] = std::string(64, 'c');
  auto rotate = [&](const std::map<std::string, std::string>& e) {
    return run_payedge({"ops", "secret", "rotate", "--from-file", dir.file("new"), "--reason", "q",
                        "--store", stack.store_url()},
                       e);
  };
  auto first = rotate(env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto stored = stack.db().scalar("SELECT secret FROM webhook_secrets ORDER BY id DESC");
  EXPECT_EQ(stored.rfind("enc:v1:", 0), 0u) << stored;
  EXPECT_EQ(stack.db().count("webhook_secrets", "secret LIKE '%rotated-secret%'"), 0);
  // Read back with the key: the same secret again is "already current".
  auto again = rotate(env);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already current"), std::string::npos) << again.err;
  // Without the key, or with another one, nothing is read (and nothing written).
  auto no_key = rotate(test_env());
  EXPECT_EQ(no_key.exit_code, 1);
  EXPECT_NE(no_key.err.find("PAYEDGE_SECRETS_KEY"), std::string::npos) << no_key.err;
  env["PAYEDGE_SECRETS_KEY"] = std::string(64, 'd');
  auto wrong = rotate(env);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("PAYEDGE_SECRETS_KEY"), std::string::npos) << wrong.err;
  env["PAYEDGE_SECRETS_KEY"] = "not-a-key";
  auto bad = rotate(env);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("must be 32 bytes"), std::string::npos) << bad.err;
  EXPECT_EQ(stack.db().count("webhook_secrets"), 2);  // the imported env secret + the rotation
}

}  // namespace
}  // namespace payedge::testing
