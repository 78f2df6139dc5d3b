// [server] trusted_proxies (SPEC 10): CIDR parsing and matching for IPv4 and IPv6, and the
// rightmost-untrusted X-Forwarded-For rule.
#include "core/client_address.h"

#include <gtest/gtest.h>

namespace payedge {
namespace {

TrustedProxies proxies(std::vector<std::string> cidrs) {
  auto p = TrustedProxies::parse(cidrs);
  EXPECT_TRUE(p) << p.error().detail;
  return p.value_or(TrustedProxies{});
}

bool in(const std::string& cidr, const std::string& ip) {
  auto c = parse_cidr(cidr);
  auto a = parse_ip(ip);
  EXPECT_TRUE(c && a) << cidr << " " << ip;
  return c && a && c->contains(*a);
}

TEST(Cidr, Ipv4Prefixes) {
  EXPECT_TRUE(in("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(in("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(in("192.168.4.0/22", "192.168.7.255"));
  EXPECT_FALSE(in("192.168.4.0/22", "192.168.8.0"));
  EXPECT_FALSE(in("192.168.4.0/22", "192.168.3.255"));
  EXPECT_TRUE(in("0.0.0.0/0", "203.0.113.9"));
  EXPECT_TRUE(in("203.0.113.9", "203.0.113.9"));  // one address is /32
  EXPECT_FALSE(in("203.0.113.9", "203.0.113.10"));
  EXPECT_TRUE(in("172.16.0.0/12", "172.31.255.255"));
  EXPECT_FALSE(in("172.16.0.0/12", "172.32.0.0"));
}

TEST(Cidr, Ipv6PrefixesAndMappedAddresses) {
  EXPECT_TRUE(in("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(in("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(in("fd00::/8", "fdab:1::2"));
  EXPECT_TRUE(in("2001:db8:0:2::/63", "2001:db8:0:3:ffff::"));
  EXPECT_FALSE(in("2001:db8:0:2::/63", "2001:db8:0:4::"));
  EXPECT_FALSE(in("2001:db8:0:2::/63", "2001:db8:0:1::"));
  EXPECT_TRUE(in("::1", "::1"));
  // An IPv4-mapped IPv6 peer (a dual-stack socket) is its IPv4 address.
  EXPECT_TRUE(in("10.0.0.0/8", "::ffff:10.1.2.3"));
  // Families never match each other.
  EXPECT_FALSE(in("::/0", "10.0.0.1"));
  EXPECT_FALSE(in("0.0.0.0/0", "2001:db8::1"));
}

TEST(Cidr, MalformedEntriesAreRefusedWithTheirText) {
  for (const char* bad :
       {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0/8", "example.com",
        "2001:db8::/129", "10.0.0.1/8", "2001:db8::1/32", "::ffff:10.0.0.0/104", " /8"}) {
    SCOPED_TRACE(bad);
    auto c = parse_cidr(bad);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().detail.find(bad), std::string::npos);
  }
  EXPECT_FALSE(TrustedProxies::parse({"10.0.0.0/8", "nonsense"}));
}

TEST(ClientAddress, WithoutTrustedProxiesForwardedForIsIgnored) {
  EXPECT_EQ(client_address("198.51.100.7", "1.2.3.4", TrustedProxies{}), "198.51.100.7");
}

TEST(ClientAddress, FromAnUntrustedPeerForwardedForIsIgnored) {
  // The client talks to us directly and writes any header it likes.
  EXPECT_EQ(client_address("198.51.100.7", "1.2.3.4", proxies({"10.0.0.0/8"})), "198.51.100.7");
}

TEST(ClientAddress, SpoofedFirstEntriesAreIgnored) {
  const auto p = proxies({"10.0.0.0/8"});
  // The client sent "X-Forwarded-For: 1.2.3.4, 5.6.7.8"; the load balancer appended its peer.
  EXPECT_EQ(client_address("10.0.0.5", "1.2.3.4, 5.6.7.8, 203.0.113.9", p), "203.0.113.9");
  EXPECT_EQ(client_address("10.0.0.5", "203.0.113.9", p), "203.0.113.9");
}

TEST(ClientAddress, AChainThroughTwoTrustedProxiesYieldsTheRealClient) {
  const auto p = proxies({"10.0.0.0/8", "2001:db8:1::/48"});
  EXPECT_EQ(client_address("10.0.0.5", "6.6.6.6, 203.0.113.9, 10.1.1.1", p), "203.0.113.9");
  EXPECT_EQ(client_address("2001:db8:1::5", "2001:db8:2::77, 2001:db8:1::9", p), "2001:db8:2::77");
}

TEST(ClientAddress, PortsAndSpacingAreTolerated) {
  const auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client_address("10.0.0.5", "203.0.113.9:51234", p), "203.0.113.9");
  EXPECT_EQ(client_address("10.0.0.5", "[2001:db8::7]:443 ,\t10.2.2.2", p), "2001:db8::7");
  EXPECT_EQ(client_address("::ffff:10.0.0.5", " 203.0.113.9 ", p), "203.0.113.9");
  EXPECT_EQ(client_address("10.0.0.5", "203.0.113.9,,", p), "203.0.113.9");
}

TEST(ClientAddress, GarbageStopsTheWalkAtTheLastTrustedHop) {
  const auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client_address("10.0.0.5", "203.0.113.9, <script>, 10.3.3.3", p), "10.3.3.3");
  EXPECT_EQ(client_address("10.0.0.5", "not-an-ip", p), "10.0.0.5");
  EXPECT_EQ(client_address("10.0.0.5", "", p), "10.0.0.5");
}

TEST(ClientAddress, AllHopsTrustedGivesTheLeftmost) {
  const auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client_address("10.0.0.5", "10.9.9.9, 10.1.1.1", p), "10.9.9.9");
}

}  // namespace
}  // namespace payedge
