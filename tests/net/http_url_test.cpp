// parse_http_url: https anywhere, plain http only to loopback, and the parts a request needs.
#include <gtest/gtest.h>

#include "net/client.h"

namespace payedge {
namespace {

TEST(HttpUrl, HttpsGetsPort443AndKeepsThePrefix) {
  auto ep = parse_http_url("https://api.tosspayments.com");
  ASSERT_TRUE(ep) << ep.error().detail;
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->host, "api.tosspayments.com");
  EXPECT_EQ(ep->port, "443");
  EXPECT_EQ(ep->prefix, "");
  auto slack = parse_http_url("https://hooks.slack.com/services/T0/B0/xyz/");
  ASSERT_TRUE(slack);
  EXPECT_EQ(slack->prefix, "/services/T0/B0/xyz");
  auto local = parse_http_url("https://localhost:8443");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->port, "8443");
}

TEST(HttpUrl, PlainHttpOnlyToLoopback) {
  for (const char* ok : {"http://127.0.0.1:8081", "http://127.9.9.9:1/x", "http://localhost:80",
                         "http://LOCALHOST", "http://[::1]:8081"}) {
    auto ep = parse_http_url(ok);
    ASSERT_TRUE(ep) << ok << ": " << ep.error().detail;
    EXPECT_FALSE(ep->tls);
  }
  EXPECT_EQ(parse_http_url("http://[::1]:8081")->host, "::1");
  EXPECT_EQ(parse_http_url("http://localhost")->port, "80");
  for (const char* bad :
       {"http://api.tosspayments.com", "http://10.0.0.5:9093", "http://192.168.1.1/hook",
        "http://[2001:db8::1]:80", "http://localhost.example.com"}) {
    auto ep = parse_http_url(bad);
    ASSERT_FALSE(ep) << bad;
    EXPECT_NE(ep.error().detail.find("loopback"), std::string::npos);
    // The URL (for Slack, a secret) is never repeated.
    EXPECT_EQ(ep.error().detail.find(bad), std::string::npos);
  }
}

TEST(HttpUrl, MalformedUrlsAreRefused) {
  for (const char* bad : {"ftp://x", "api.tosspayments.com", "https://", "https://:443",
                          "https://host:", "https://host:99999", "https://host:12ab",
                          "https://user:pw@host", "https://[::1", "https://[::1]x"}) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
}

TEST(HttpUrl, ARequestToAnEndpointCarriesSchemeHostAndPath) {
  auto ep = parse_http_url("https://toss.example:8443/base/");
  ASSERT_TRUE(ep);
  const FetchRequest r = FetchRequest::to(*ep, "/v1/payments/confirm");
  EXPECT_TRUE(r.tls);
  EXPECT_EQ(r.host, "toss.example");
  EXPECT_EQ(r.port, "8443");
  EXPECT_EQ(r.target, "/base/v1/payments/confirm");
}

TEST(CaFile, AFileWithoutCertificatesIsRefused) {
  EXPECT_TRUE(check_ca_file(""));  // the system store
  EXPECT_FALSE(check_ca_file("/nonexistent/ca.pem"));
  EXPECT_FALSE(check_ca_file("/dev/null"));
}

}  // namespace
}  // namespace payedge
