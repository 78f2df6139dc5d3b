#include "logs/timezone.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace payedge::logs {
namespace {

constexpr EpochMs kDayMs = 86'400'000;
constexpr EpochMs kHourMs = 3'600'000;

// Zones whose offset has been fixed for decades: the fallback when no TZif file is found.
struct FixedZone {
  std::string_view name;
  int offset_minutes;
};
constexpr FixedZone kFixedZones[] = {
    {"UTC", 0},
    {"Etc/UTC", 0},
    {"GMT", 0},
    {"Z", 0},
    {"Asia/Seoul", 540},
    {"KST", 540},
    {"Asia/Tokyo", 540},
    {"JST", 540},
    {"Asia/Shanghai", 480},
    {"Asia/Singapore", 480},
    {"Asia/Kolkata", 330},
};

std::optional<int> parse_offset(std::string_view s) {
  // "+09:00", "-05:30", "+0900"
  if (s.size() != 6 && s.size() != 5) return std::nullopt;
  if (s[0] != '+' && s[0] != '-') return std::nullopt;
  const std::string digits = s.size() == 6
                                 ? std::string(s.substr(1, 2)) + std::string(s.substr(4, 2))
                                 : std::string(s.substr(1));
  if (s.size() == 6 && s[3] != ':') return std::nullopt;
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int h = std::atoi(digits.substr(0, 2).c_str()), m = std::atoi(digits.substr(2).c_str());
  if (h > 23 || m > 59) return std::nullopt;
  return (s[0] == '-' ? -1 : 1) * (h * 60 + m);
}

std::int64_t be(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

bool safe_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

EpochMs floor_to(EpochMs t, EpochMs unit) {
  EpochMs q = t / unit;
  if (t % unit < 0) --q;
  return q * unit;
}

}  // namespace

Result<TimeZone> TimeZone::load(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Z" || name == "Etc/UTC") return utc();
  if (auto off = parse_offset(name)) {
    TimeZone tz{std::string(name)};
    tz.fixed_offset_s_ = *off * 60;
    return tz;
  }
  if (safe_name(name)) {
    const char* dir = std::getenv("TZDIR");
    std::ifstream in(
        std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + std::string(name),
        std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto* b = reinterpret_cast<const unsigned char*>(data.data());
    if (data.size() >= 44 && data.compare(0, 4, "TZif") == 0) {
      auto counts = [&](std::size_t at, std::int64_t c[6]) {
        for (int i = 0; i < 6; ++i) c[i] = be(b + at + 20 + 4 * i, 4);
      };
      std::int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
      counts(0, c);
      std::size_t at = 44;
      int time_size = 4;
      if (b[4] >= '2') {
        // Skip the 32-bit block; the 64-bit one follows with its own header.
        at += static_cast<std::size_t>(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
        if (data.size() < at + 44) return fail(ErrorCode::kInvalidRequest, "bad TZif file");
        counts(at, c);
        at += 44;
        time_size = 8;
      }
      const std::size_t need = at + static_cast<std::size_t>(c[3] * (time_size + 1) + c[4] * 6);
      if (c[4] < 1 || data.size() < need) return fail(ErrorCode::kInvalidRequest, "bad TZif file");
      const std::size_t times = at, idx = at + static_cast<std::size_t>(c[3] * time_size),
                        types = idx + static_cast<std::size_t>(c[3]);
      auto type_offset = [&](std::int64_t t) {
        return static_cast<int>(be(b + types + static_cast<std::size_t>(t) * 6, 4));
      };
      TimeZone tz{std::string(name)};
      tz.initial_offset_s_ = type_offset(0);
      for (std::int64_t i = 0; i < c[3]; ++i) {
        const std::int64_t when =
            be(b + times + static_cast<std::size_t>(i * time_size), time_size);
        const unsigned type = b[idx + static_cast<std::size_t>(i)];
        if (type >= c[4]) return fail(ErrorCode::kInvalidRequest, "bad TZif file");
        tz.transitions_.push_back({when, type_offset(type)});
      }
      if (tz.transitions_.empty()) tz.fixed_offset_s_ = tz.initial_offset_s_;
      return tz;
    }
  }
  for (const auto& z : kFixedZones) {
    if (z.name == name) {
      TimeZone tz{std::string(name)};
      tz.fixed_offset_s_ = z.offset_minutes * 60;
      return tz;
    }
  }
  return fail(ErrorCode::kInvalidRequest, "unknown time zone: " + std::string(name));
}

int TimeZone::offset_seconds(EpochMs t) const {
  if (transitions_.empty()) return fixed_offset_s_;
  const std::int64_t s = floor_to(t, 1000) / 1000;
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s,
                             [](std::int64_t v, const Transition& tr) { return v < tr.at_s; });
  if (it == transitions_.begin()) return initial_offset_s_;
  return std::prev(it)->offset_s;
}

std::string TimeZone::day_label(EpochMs t) const { return format(t).substr(0, 10); }

std::string TimeZone::hour_label(EpochMs t) const { return format(t).substr(0, 13); }

std::string TimeZone::format(EpochMs t) const {
  const int off_min = offset_seconds(t) / 60;
  std::string s = format_with_offset(floor_to(t, 1000), off_min);
  if (off_min == 0 && is_utc()) s.replace(s.size() - 6, 6, "Z");
  return s;
}

EpochMs TimeZone::floor_day(EpochMs t) const {
  const EpochMs off = offset_seconds(t) * 1000LL;
  return floor_to(t + off, kDayMs) - off;
}

EpochMs TimeZone::floor_hour(EpochMs t) const {
  const EpochMs off = offset_seconds(t) * 1000LL;
  return floor_to(t + off, kHourMs) - off;
}

}  // namespace payedge::logs
