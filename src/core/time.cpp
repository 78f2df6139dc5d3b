#include "core/time.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

namespace payedge {
namespace {

using namespace std::chrono;

// Exactly `len` ASCII digits: from_chars alone would take a sign.
bool read_int(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return r.ec == std::errc() && r.ptr == s.data() + pos + len;
}

std::string format_parts(EpochMs t, int offset_minutes, bool millis) {
  const auto tp = sys_time<milliseconds>(milliseconds(t + offset_minutes * 60'000LL));
  const auto day = floor<days>(tp);
  const year_month_day ymd(day);
  const hh_mm_ss hms(tp - day);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", int(ymd.year()),
                                unsigned(ymd.month()), unsigned(ymd.day()), hms.hours().count(),
                                hms.minutes().count(), hms.seconds().count());
  if (millis) out += fmt::format(".{:03}", hms.subseconds().count());
  return out;
}

}  // namespace

EpochMs SystemClock::now_ms() const {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

std::string format_utc(EpochMs t) { return format_parts(t, 0, true) + "Z"; }

std::string format_with_offset(EpochMs t, int offset_minutes) {
  const char sign = offset_minutes < 0 ? '-' : '+';
  const int m = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  return format_parts(t, offset_minutes, false) +
         fmt::format("{}{:02}:{:02}", sign, m / 60, m % 60);
}

std::optional<EpochMs> parse_rfc3339(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!read_int(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !read_int(s, 5, 2, mo) ||
      s[7] != '-' || !read_int(s, 8, 2, d)) {
    return std::nullopt;
  }
  const year_month_day ymd{year(y), month(unsigned(mo)), day(unsigned(d))};
  if (!ymd.ok()) return std::nullopt;
  EpochMs ms = duration_cast<milliseconds>(sys_days(ymd).time_since_epoch()).count();
  if (s.size() == 10) return ms;
  if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !read_int(s, 11, 2, h) || s.size() < 19 ||
      s[13] != ':' || !read_int(s, 14, 2, mi) || s[16] != ':' || !read_int(s, 17, 2, sec)) {
    return std::nullopt;
  }
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  ms += (h * 3600LL + mi * 60LL + sec) * 1000LL;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    int frac_ms = 0, digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0'), ++digits;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    while (digits < 3) frac_ms *= 10, ++digits;
    ms += frac_ms;
  }
  if (pos >= s.size()) return std::nullopt;  // RFC 3339 requires a zone
  if (s[pos] == 'Z' || s[pos] == 'z') {
    return pos + 1 == s.size() ? std::optional(ms) : std::nullopt;
  }
  int oh, om;
  if ((s[pos] != '+' && s[pos] != '-') || s.size() != pos + 6 || !read_int(s, pos + 1, 2, oh) ||
      s[pos + 3] != ':' || !read_int(s, pos + 4, 2, om) || oh > 23 || om > 59) {
    return std::nullopt;
  }
  const EpochMs offset = (oh * 60LL + om) * 60'000LL;
  return s[pos] == '+' ? ms - offset : ms + offset;
}

std::optional<EpochMs> parse_duration_ms(std::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  EpochMs n = 0;
  std::from_chars(s.data(), s.data() + digits, n);
  const std::string_view unit = s.substr(digits);
  if (unit == "ms") return n;
  if (unit.empty() || unit == "s") return n * 1000;
  if (unit == "m") return n * 60'000;
  if (unit == "h") return n * 3'600'000;
  if (unit == "d") return n * 86'400'000;
  return std::nullopt;
}

}  // namespace payedge
