// The timestamps of the log reader: the writer's fixed form quickly, any RFC 3339 form, and
// export rows' microseconds or zone-less ISO 8601.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/time.h"
#include "logs/parse_keys.h"
#include "logs/record_parser.h"

namespace payedge::logs {
namespace {

using detail::is_digit;
using detail::load8;
using detail::pack;

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The writer's form "YYYY-MM-DDTHH:MM:SS.mmmZ": separators and digits checked 8 bytes at a
// time, without a branch per character.
bool fixed_form(std::string_view s) {
  if (s.size() != 24) return false;
  // Per word: which bytes are digits, and what the other bytes must be.
  static constexpr std::uint64_t kDigits[3] = {
      pack(std::string_view("\xff\xff\xff\xff\0\xff\xff\0", 8), 0, 8),
      pack(std::string_view("\xff\xff\0\xff\xff\0\xff\xff", 8), 0, 8),
      pack(std::string_view("\0\xff\xff\0\xff\xff\xff\0", 8), 0, 8)};
  static constexpr std::uint64_t kSeparators[3] = {
      pack(std::string_view("\0\0\0\0-\0\0-", 8), 0, 8),
      pack(std::string_view("\0\0T\0\0:\0\0", 8), 0, 8),
      pack(std::string_view(":\0\0.\0\0\0Z", 8), 0, 8)};
  std::uint64_t wrong = 0;
  for (int w = 0; w < 3; ++w) {
    const std::uint64_t x = load8(s.data() + 8 * w);
    const std::uint64_t d = (x ^ 0x3030303030303030ULL) & kDigits[w];
    wrong |= ((d + 0x7676767676767676ULL) | d) & 0x8080808080808080ULL & kDigits[w];
    wrong |= (x & ~kDigits[w]) ^ kSeparators[w];
  }
  return wrong == 0;
}

}  // namespace

std::optional<EpochMs> parse_log_ts(std::string_view s) {
  if (fixed_form(s)) {
    auto num = [&](std::size_t at, std::size_t n) {
      int v = 0;
      for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[at + i] - '0');
      return v;
    };
    const int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
              sec = num(17, 2), ms = num(20, 3);
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || sec > 60) {
      return std::nullopt;
    }
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return std::nullopt;
    return (days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
            h * 3600 + mi * 60 + sec) *
               1000 +
           ms;
  }
  return parse_rfc3339(s);
}

std::optional<EpochMs> parse_export_timestamp(std::string_view s) {
  // 16 digits: microseconds since the epoch (2001-09-09 to 2286), as Logflare stores them and
  // journald writes __REALTIME_TIMESTAMP. Fewer or more digits would be another unit: refused
  // rather than read as a time decades off.
  if (s.size() == 16 && std::all_of(s.begin(), s.end(), is_digit)) {
    std::int64_t us = 0;
    std::from_chars(s.data(), s.data() + s.size(), us);
    return us / 1000;
  }
  if (auto t = parse_rfc3339(s)) return t;
  // ISO 8601 without a zone ("2026-06-22T09:34:06.215000", or with a space): UTC, as the Logs
  // Explorer's DateTime64 column is.
  if (s.size() >= 19 && s.size() < 40 && is_digit(s.back())) {
    char buf[48];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 'Z';
    return parse_rfc3339(std::string_view(buf, s.size() + 1));
  }
  return std::nullopt;
}

}  // namespace payedge::logs
