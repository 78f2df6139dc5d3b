// Supabase tokens through the real binary (SPEC 4): ES256 through a JWKS served by a separate
// `payedge sim --jwks DIR` (keys from `payedge token --init-keys`), HS256 still; the refusals
// with their reason in the log line; refresh on an unknown kid (counted at the JWKS server),
// key rotation without a restart, and a JWKS server that goes away after the first fetch.
// Also the CORS preflight of every /functions/v1/* path and [server] trusted_proxies.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <fstream>
#include <sstream>

#include "auth/dev_keys.h"
#include "auth/jwt.h"
#include "core/codec.h"
#include "core/time.h"
#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

constexpr const char* kConfirmPath = "/functions/v1/confirm-payment";

// A JWKS server of its own (a Supabase project's Auth), so a test can take it away.
class JwksServer {
 public:
  explicit JwksServer(const std::string& keys_dir)
      : process_(std::make_unique<ChildProcess>(
            std::vector<std::string>{"sim", "--listen", "127.0.0.1:0", "--jwks", keys_dir},
            test_env())) {
    port_ = process_->wait_listening();
    if (!port_) throw std::runtime_error("JWKS simulator did not start");
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/auth/v1/.well-known/jwks.json";
  }
  long long fetches() {
    return http_call(port_, "GET", "/__sim/stats").json().value("jwks_fetches", -1LL);
  }
  void stop() { process_->stop(); }

 private:
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

std::string init_keys(const std::string& dir) {
  auto r = run_payedge({"token", "--init-keys", dir});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

std::string claims(const std::string& sub, json extra = json::object(), int ttl_s = 600) {
  const std::int64_t now_s = SystemClock::instance().now_ms() / 1000;
  json c = {{"sub", sub},
            {"aud", "authenticated"},
            {"role", "authenticated"},
            {"iat", now_s},
            {"exp", now_s + ttl_s}};
  c.update(extra);
  return c.dump();
}

std::string b64url(const std::string& s) { return base64url_encode(s); }

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_dir_ = keys_tmp_.file("keys");
    init_keys(keys_dir_);
    jwks_ = std::make_unique<JwksServer>(keys_dir_);
    StackOptions options;
    options.config_toml = "[auth]\njwks_url = \"" + jwks_->url() + "\"\n" + extra_auth_toml();
    stack_ = std::make_unique<Stack>(options);
    auto key = load_signing_key(keys_dir_);
    ASSERT_TRUE(key) << key.error().detail;
    key_ = std::move(*key);
  }
  virtual std::string extra_auth_toml() const { return ""; }

  std::string es256(const std::string& claims_json, const std::string& kid = "") {
    auto t = sign_jwt_with_key(claims_json, key_.key.get(), kid.empty() ? key_.kid : kid);
    EXPECT_TRUE(t);
    return t.value_or("");
  }
  // A request that passes auth fails on its empty body (400); a refused token is a 401.
  HttpReply probe(const std::string& token, const std::string& request_id) {
    return http_call(stack_->api_port(), "POST", kConfirmPath, "{}",
                     {{"Authorization", "Bearer " + token}, {"X-Request-Id", request_id}});
  }
  json log_line(const std::string& request_id) {
    for (const auto& line : read_json_lines(stack_->log_path())) {
      if (line.value("request_id", "") == request_id) return line;
    }
    return nullptr;
  }
  std::string log_text() {
    std::ifstream in(stack_->log_path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void expect_refused(const std::string& token, const std::string& reason,
                      const std::string& request_id) {
    SCOPED_TRACE(request_id);
    auto r = probe(token, request_id);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.json()["error"].value("code", ""), "E_UNAUTHORIZED");
    const json line = log_line(request_id);
    ASSERT_TRUE(line.is_object()) << "no log line for " << request_id;
    EXPECT_EQ(line.value("error_code", ""), "E_UNAUTHORIZED");
    EXPECT_NE(line.value("error_detail", "").find(reason), std::string::npos)
        << line.value("error_detail", "");
    // The token never reaches the log, not even a part of it (its claims segment).
    const auto dot1 = token.find('.');
    const std::string part = dot1 == std::string::npos
                                 ? token
                                 : token.substr(dot1 + 1, token.find('.', dot1 + 1) - dot1 - 1);
    EXPECT_EQ(log_text().find(part), std::string::npos);
  }

  TempDir keys_tmp_;
  std::string keys_dir_;
  std::unique_ptr<JwksServer> jwks_;
  std::unique_ptr<Stack> stack_;
  SigningKey key_;
};

TEST_F(AuthTest, Es256TokenThroughTheJwksConfirmsAPaymentAndHs256StillDoes) {
  // The token as `payedge token --alg ES256` mints it.
  auto minted = run_payedge({"token", "--alg", "ES256", "--keys", keys_dir_, "--user", "user-es"});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  const std::string token = minted.out.substr(0, minted.out.find('\n'));
  const std::string key = stack_->new_session("order-es256-1", 49000);
  auto r = http_call(stack_->api_port(), "POST", kConfirmPath,
                     body_for(key, "order-es256-1", 49000, "course-sql").dump(),
                     {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stack_->db().scalar("SELECT user_id FROM payments WHERE order_id='order-es256-1'"),
            "user-es");

  const std::string key2 = stack_->new_session("order-hs256-1", 49000);
  auto legacy = stack_->confirm(body_for(key2, "order-hs256-1", 49000, "course-sql"), "user-hs");
  ASSERT_EQ(legacy.status, 200) << legacy.body;
  EXPECT_EQ(stack_->db().scalar("SELECT user_id FROM payments WHERE order_id='order-hs256-1'"),
            "user-hs");
}

TEST_F(AuthTest, EachRefusalIs401WithItsReasonInTheLogLine) {
  const std::int64_t now_s = SystemClock::instance().now_ms() / 1000;
  // Algorithm confusion: HS256 "signed" with the public JWKS document as the secret.
  std::ifstream jwks_file(keys_dir_ + "/jwks.json");
  std::stringstream jwks_text;
  jwks_text << jwks_file.rdbuf();
  const std::string confusion_input =
      b64url(json{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", key_.kid}}.dump()) + "." +
      b64url(claims("user-x"));
  const std::string confusion =
      confusion_input + "." + b64url(hmac_sha256(jwks_text.str(), confusion_input));
  expect_refused(confusion, "alg HS256 does not fit key", "req-confusion");

  const std::string none =
      b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(claims("user-x")) + ".";
  expect_refused(none + "x", "alg none not accepted", "req-none");
  expect_refused(es256(claims("user-x", {{"aud", "anon"}})), "aud not accepted", "req-aud");
  expect_refused(es256(claims("user-x", {{"role", "service_role"}})), "role not accepted",
                 "req-role");
  expect_refused(es256(claims("user-x", {{"is_anonymous", true}})), "anonymous user refused",
                 "req-anon");
  expect_refused(es256(claims("user-x", {{"exp", now_s - 3600}})), "token expired", "req-expired");
  expect_refused(es256(claims("user-x", {{"exp", 1e300}})), "exp out of range", "req-1e300");
  expect_refused(es256(claims("user-x")).substr(0, 40) + "AAAA", "", "req-garbage");
  // The accepted one, for contrast: through auth, refused on its empty body.
  auto ok = probe(es256(claims("user-x")), "req-ok");
  EXPECT_EQ(ok.status, 400) << ok.body;
  EXPECT_EQ(log_line("req-ok").value("user_id", ""), "user-x");
}

TEST_F(AuthTest, UnknownKidTriggersOneRefreshThen401) {
  EXPECT_EQ(jwks_->fetches(), 1);  // serve loaded the keys before it listened
  PkeyPtr stranger = wrap_pkey(EVP_EC_gen("P-256"));
  auto token = sign_jwt_with_key(claims("user-x"), stranger.get(), "not-published");
  ASSERT_TRUE(token);
  expect_refused(*token, "unknown kid", "req-unknown-1");
  EXPECT_EQ(jwks_->fetches(), 2);
  // Within jwks_min_refresh_s another unknown kid does not fetch again.
  auto other = sign_jwt_with_key(claims("user-x"), stranger.get(), "not-published-either");
  expect_refused(*other, "unknown kid", "req-unknown-2");
  EXPECT_EQ(jwks_->fetches(), 2);
  // Known keys keep working throughout.
  EXPECT_EQ(probe(es256(claims("user-x")), "req-known").status, 400);
  EXPECT_EQ(jwks_->fetches(), 2);
}

TEST_F(AuthTest, KeyRotationWorksWithoutARestart) {
  const std::string old_token = es256(claims("user-old"));
  // A new signing key is published beside the old one (Supabase's rotation: the standby key
  // becomes current, the previous one stays in the JWKS for a while).
  init_keys(keys_dir_);
  auto rotated = load_signing_key(keys_dir_);
  ASSERT_TRUE(rotated);
  ASSERT_NE(rotated->kid, key_.kid);
  auto new_token = sign_jwt_with_key(claims("user-new"), rotated->key.get(), rotated->kid);
  ASSERT_TRUE(new_token);
  EXPECT_EQ(probe(*new_token, "req-rotated").status, 400);
  EXPECT_EQ(log_line("req-rotated").value("user_id", ""), "user-new");
  EXPECT_EQ(jwks_->fetches(), 2);
  EXPECT_EQ(probe(old_token, "req-old-key").status, 400);
}

TEST_F(AuthTest, AJwksServerThatGoesAwayKeepsTheCachedKeys) {
  jwks_->stop();
  EXPECT_EQ(probe(es256(claims("user-cached")), "req-cached").status, 400);
  EXPECT_EQ(log_line("req-cached").value("user_id", ""), "user-cached");
  // An unknown kid tries to refresh, fails, and keeps what it had.
  PkeyPtr stranger = wrap_pkey(EVP_EC_gen("P-256"));
  auto token = sign_jwt_with_key(claims("user-x"), stranger.get(), "while-down");
  expect_refused(*token, "unknown kid", "req-down");
  EXPECT_EQ(probe(es256(claims("user-cached")), "req-cached-2").status, 400);
  stack_->service().stop();
  const std::string err = stack_->service().stderr_rest();
  EXPECT_NE(err.find("auth: JWKS refresh on unknown kid failed"), std::string::npos) << err;
  EXPECT_NE(err.find("keeping 1 cached key(s)"), std::string::npos) << err;
}

class NarrowAuthTest : public AuthTest {
  std::string extra_auth_toml() const override {
    return "algorithms = [\"ES256\"]\nallow_anonymous = true\n";
  }
};

TEST_F(NarrowAuthTest, ConfiguredAlgorithmsAndAnonymousUsers) {
  expect_refused(token_for("user-hs"), "alg HS256 not accepted", "req-hs-off");
  EXPECT_EQ(probe(es256(claims("user-anon", {{"is_anonymous", true}})), "req-anon-ok").status, 400);
}

TEST(AuthConfig, ABrokenJwksFileStopsServeWithTheReason) {
  TempDir dir;
  std::ofstream(dir.file("jwks.json")) << R"({"keys": 1})";
  std::ofstream(dir.file("payedge.toml"))
      << "[auth]\njwks_file = \"" << dir.file("jwks.json") << "\"\n";
  auto r = run_payedge({"serve", "--config", dir.file("payedge.toml"), "--listen", "127.0.0.1:0",
                        "--store", "sqlite://" + dir.file("db.sqlite")},
                       test_env());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("jwks_file"), std::string::npos) << r.err;
}

TEST(AuthCli, InitKeysWritesAJwksAndEs256NeedsIt) {
  TempDir dir;
  const std::string out = init_keys(dir.file("k"));
  EXPECT_NE(out.find("kid "), std::string::npos);
  std::ifstream in(dir.file("k/jwks.json"));
  const json jwks = json::parse(in);
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_EQ(jwks["keys"][0]["kty"], "EC");
  EXPECT_EQ(jwks["keys"][0]["alg"], "ES256");
  EXPECT_EQ(jwks["keys"][0].count("d"), 0u);  // no private part
  auto missing =
      run_payedge({"token", "--alg", "ES256", "--keys", dir.file("none"), "--user", "u"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("--init-keys"), std::string::npos) << missing.err;
}

// --- CORS
// -----------------------------------------------------------------------------------------

TEST(Cors, EveryFunctionsPathAnswersThePreflight) {
  Stack stack;
  for (const std::string path : {"/functions/v1/confirm-payment", "/functions/v1/payment-status",
                                 "/functions/v1/toss-webhook", "/functions/v1/anything-else"}) {
    SCOPED_TRACE(path);
    auto r = http_call(stack.api_port(), "OPTIONS", path, "",
                       {{"Origin", "https://app.example.com"},
                        {"Access-Control-Request-Method", "POST"},
                        {"Access-Control-Request-Headers", "authorization, x-retry-count"}});
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.headers["access-control-allow-origin"], "*");
    const std::string allowed = r.headers["access-control-allow-headers"];
    for (const char* h :
         {"authorization", "x-client-info", "apikey", "content-type", "x-retry-count",
          "traceparent", "tracestate", "baggage", "x-request-id", "accept-language"}) {
      EXPECT_NE(allowed.find(h), std::string::npos) << h;
    }
    EXPECT_NE(r.headers["access-control-allow-methods"].find("POST"), std::string::npos);
  }
  auto status = http_call(stack.api_port(), "GET", "/functions/v1/payment-status");
  EXPECT_EQ(status.headers["access-control-allow-origin"], "*");
}

TEST(Cors, ConfiguredOriginsAreEchoedOnlyWhenListed) {
  StackOptions options;
  options.config_toml =
      "[server]\nconfirm_rate_per_s = 0\ncors_origins = [\"https://app.example.com\", "
      "\"http://localhost:3000\"]\n";
  Stack stack(options);
  auto listed = http_call(stack.api_port(), "OPTIONS", "/functions/v1/confirm-payment", "",
                          {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(listed.status, 204);
  EXPECT_EQ(listed.headers["access-control-allow-origin"], "http://localhost:3000");
  EXPECT_EQ(listed.headers["vary"], "Origin");
  auto other = http_call(stack.api_port(), "OPTIONS", "/functions/v1/confirm-payment", "",
                         {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);
  auto confirm = http_call(stack.api_port(), "POST", "/functions/v1/confirm-payment", "{}",
                           {{"Origin", "https://app.example.com"}});
  EXPECT_EQ(confirm.status, 401);
  EXPECT_EQ(confirm.headers["access-control-allow-origin"], "https://app.example.com");
}

// --- trusted proxies
// ------------------------------------------------------------------------------

std::string logged_ip(Stack& stack, const std::map<std::string, std::string>& headers,
                      const std::string& request_id) {
  auto h = headers;
  h["X-Request-Id"] = request_id;
  http_call(stack.api_port(), "POST", "/functions/v1/confirm-payment", "{}", h);
  for (const auto& line : read_json_lines(stack.log_path())) {
    if (line.value("request_id", "") == request_id) return line.value("ip", "");
  }
  return "(no line)";
}

TEST(TrustedProxies, WithoutTrustedProxiesForwardedForIsIgnored) {
  Stack stack;
  EXPECT_EQ(logged_ip(stack, {{"X-Forwarded-For", "203.0.113.9"}}, "xff-ignored"), "127.0.0.1");
}

TEST(TrustedProxies, SpoofedFirstEntriesChangeNothing) {
  StackOptions options;
  // One confirm per client and no refill to speak of: the second from the same client is 429.
  options.config_toml =
      "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\nconfirm_rate_per_s = 0.001\n"
      "confirm_burst = 1\nwebhook_rate_per_s = 0\n";
  Stack stack(options);
  // The load balancer (127.0.0.1) appended the client it saw, 198.51.100.23; the rest the
  // client wrote itself.
  EXPECT_EQ(logged_ip(stack, {{"X-Forwarded-For", "6.6.6.6, 198.51.100.23"}}, "spoof-1"),
            "198.51.100.23");
  EXPECT_EQ(logged_ip(stack, {{"X-Forwarded-For", "7.7.7.7, 198.51.100.23"}}, "spoof-2"),
            "198.51.100.23");
  // So a new spoofed first entry does not buy a new rate-limit bucket.
  for (const auto& line : read_json_lines(stack.log_path())) {
    if (line.value("request_id", "") == "spoof-2") {
      EXPECT_EQ(line.value("error_code", ""), "E_RATE_LIMITED");
    }
  }
}

TEST(TrustedProxies, AChainThroughTwoTrustedProxiesYieldsTheRealClient) {
  StackOptions options;
  options.config_toml =
      "[server]\ntrusted_proxies = [\"127.0.0.0/8\", \"10.0.0.0/8\", \"2001:db8:1::/48\"]\n"
      "confirm_rate_per_s = 0\n";
  Stack stack(options);
  EXPECT_EQ(logged_ip(stack, {{"X-Forwarded-For", "6.6.6.6, 198.51.100.23, 10.1.2.3"}}, "chain"),
            "198.51.100.23");
  EXPECT_EQ(logged_ip(stack, {{"X-Forwarded-For", "2001:db8::1, 2001:db8:9::5, 2001:db8:1::2"}},
                      "chain-v6"),
            "2001:db8:9::5");
}

TEST(TrustedProxies, TheRemovedSettingIsRefusedNamingItsReplacement) {
  TempDir dir;
  std::ofstream(dir.file("payedge.toml")) << "[server]\ntrust_forwarded_for = true\n";
  auto r = run_payedge({"serve", "--config", dir.file("payedge.toml"), "--listen", "127.0.0.1:0",
                        "--store", "sqlite://" + dir.file("db.sqlite")},
                       test_env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("trusted_proxies"), std::string::npos) << r.err;
  std::ofstream(dir.file("bad.toml")) << "[server]\ntrusted_proxies = [\"10.0.0.1/8\"]\n";
  auto bad = run_payedge({"serve", "--config", dir.file("bad.toml"), "--listen", "127.0.0.1:0",
                          "--store", "sqlite://" + dir.file("db.sqlite")},
                         test_env());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("10.0.0.1/8"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace payedge::testing
