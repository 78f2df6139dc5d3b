#include "core/client_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/text.h"

namespace payedge {
namespace {

// An X-Forwarded-For entry may carry a port: "1.2.3.4:80", "[::1]:80"; a bare IPv6 has colons.
std::optional<IpAddress> parse_entry(std::string_view e) {
  e = trim_ows(e);
  if (auto a = parse_ip(e)) return a;
  if (e.starts_with('[')) {
    const auto close = e.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return parse_ip(e.substr(1, close - 1));
  }
  if (const auto colon = e.find(':'); colon != std::string_view::npos && e.rfind(':') == colon) {
    return parse_ip(e.substr(0, colon));
  }
  return std::nullopt;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.v4 = true;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    a.v4 = true;
  }
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.v4 != base.v4) return false;
  const int full = prefix / 8;
  if (std::memcmp(a.bytes.data(), base.bytes.data(), static_cast<size_t>(full)) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (base.bytes[full] & mask);
}

Result<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  auto ip = parse_ip(addr);
  // A mapped address in a CIDR would silently change the prefix's meaning: write it as IPv4.
  if (!ip || (ip->v4 && addr.find(':') != std::string_view::npos)) {
    return fail(ErrorCode::kInvalidRequest, "\"" + std::string(text) + "\" is not an IP address");
  }
  const int max = ip->v4 ? 32 : 128;
  int prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix < 0 ||
        prefix > max) {
      return fail(ErrorCode::kInvalidRequest,
                  "\"" + std::string(text) + "\": prefix must be 0.." + std::to_string(max));
    }
  }
  Cidr c{*ip, prefix};
  // Host bits set: refuse rather than guess which network was meant.
  Cidr exact = c;
  for (int bit = prefix; bit < max; ++bit) {
    exact.base.bytes[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
  }
  if (exact.base.bytes != c.base.bytes) {
    return fail(ErrorCode::kInvalidRequest,
                "\"" + std::string(text) + "\" has bits set after the prefix (did you mean " +
                    exact.base.to_string() + "/" + std::to_string(prefix) + "?)");
  }
  return c;
}

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& cidrs) {
  TrustedProxies t;
  for (const auto& text : cidrs) {
    auto c = parse_cidr(trim_ows(text));
    if (!c) return std::unexpected(c.error());
    t.ranges_.push_back(*c);
  }
  return t;
}

bool TrustedProxies::contains(const IpAddress& a) const {
  return std::any_of(ranges_.begin(), ranges_.end(), [&](const Cidr& c) { return c.contains(a); });
}

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const TrustedProxies& proxies) {
  if (proxies.empty()) return std::string(peer);
  auto hop = parse_ip(peer);
  if (!hop || !proxies.contains(*hop)) return std::string(peer);
  // Walk right to left: each entry was appended by the hop to its right, which we trust.
  std::string_view rest = forwarded_for;
  while (!trim_ows(rest).empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (trim_ows(entry).empty()) continue;
    auto a = parse_entry(entry);
    if (!a) break;  // garbage: the trusted hop right of it is the best we know
    hop = a;
    if (!proxies.contains(*a)) return a->to_string();
  }
  return hop->to_string();
}

}  // namespace payedge
