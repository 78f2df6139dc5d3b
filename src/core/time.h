// Time as epoch milliseconds, RFC 3339 text, and the one clock abstraction (tests inject time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace payedge {

using EpochMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual EpochMs now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  EpochMs now_ms() const override;
  static const SystemClock& instance();
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(EpochMs t) : t_(t) {}
  EpochMs now_ms() const override { return t_; }
  void set(EpochMs t) { t_ = t; }

 private:
  EpochMs t_;
};

// "2026-11-26T01:02:03.123Z" — the canonical form stored in the database and the log line.
std::string format_utc(EpochMs t);
// "2026-11-26T10:02:03+09:00" — with a fixed offset in minutes (Toss answers in KST).
std::string format_with_offset(EpochMs t, int offset_minutes);
// RFC 3339 with 'Z' or ±hh:mm, optional fraction; a bare date "2026-11-26" is midnight UTC.
std::optional<EpochMs> parse_rfc3339(std::string_view s);

// "500ms", "60s", "5m", "2h", "7d" → milliseconds; a bare number is seconds.
std::optional<EpochMs> parse_duration_ms(std::string_view s);

}  // namespace payedge
