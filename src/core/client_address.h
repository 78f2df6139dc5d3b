// The client's address behind load balancers ([server] trusted_proxies, SPEC 10): the rightmost
// X-Forwarded-For address that is not a trusted proxy. Entries left of it are written by the
// client and never believed; without trusted proxies X-Forwarded-For is ignored.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace payedge {

// An IPv4 or IPv6 address; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address.
struct IpAddress {
  std::array<unsigned char, 16> bytes{};
  bool v4 = false;
  std::string to_string() const;
};
std::optional<IpAddress> parse_ip(std::string_view text);

struct Cidr {
  IpAddress base;
  int prefix = 0;
  bool contains(const IpAddress& a) const;
};
// "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.7" = /32, "::1" = /128). Bits set
// past the prefix are refused (a typo such as 10.0.0.1/8 is more likely than intent).
Result<Cidr> parse_cidr(std::string_view text);

class TrustedProxies {
 public:
  static Result<TrustedProxies> parse(const std::vector<std::string>& cidrs);
  bool empty() const { return ranges_.empty(); }
  bool contains(const IpAddress& a) const;

 private:
  std::vector<Cidr> ranges_;
};

// The client address of a request from `peer` carrying `forwarded_for` (all X-Forwarded-For
// header lines joined with ','). The peer when it is not a trusted proxy; else the rightmost
// entry that is not one; an entry that is not an address stops the walk (the hop right of it
// is the answer). Ports ("1.2.3.4:5678", "[2001:db8::1]:443") are dropped.
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const TrustedProxies& proxies);

}  // namespace payedge
