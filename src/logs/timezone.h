// Time zones for `--tz`: GCC 12's libstdc++ has no std::chrono::tzdb, so named zones are
// read from the system's TZif files (/usr/share/zoneinfo, or $TZDIR) with the transitions
// they list; when no such file exists, a small fixed-offset table (Asia/Seoul, KST, …) and
// literal offsets ("+09:00") still work. Transitions after the last one in the file (past
// 2037 in Debian's "fat" files) repeat the last offset.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace payedge::logs {

class TimeZone {
 public:
  static TimeZone utc() { return TimeZone("UTC"); }
  // "UTC", "Z", "Asia/Seoul", "+09:00", "-05:30".
  static Result<TimeZone> load(std::string_view name);

  const std::string& name() const { return name_; }
  bool is_utc() const { return transitions_.empty() && fixed_offset_s_ == 0; }
  // Seconds east of UTC at instant `t`.
  int offset_seconds(EpochMs t) const;
  // `t` as a local calendar: "2026-11-26" (day) or "2026-11-26T13" (hour).
  std::string day_label(EpochMs t) const;
  std::string hour_label(EpochMs t) const;
  // RFC 3339 with this zone's offset ("Z" for UTC), without fractions.
  std::string format(EpochMs t) const;
  // The start (UTC) of the local day / hour holding `t`.
  EpochMs floor_day(EpochMs t) const;
  EpochMs floor_hour(EpochMs t) const;

 private:
  explicit TimeZone(std::string name) : name_(std::move(name)) {}
  struct Transition {
    std::int64_t at_s;  // UTC seconds
    int offset_s;       // in effect from `at_s`
  };
  std::string name_;
  int fixed_offset_s_ = 0;               // when there are no transitions
  std::vector<Transition> transitions_;  // sorted; offset before the first: initial_offset_s_
  int initial_offset_s_ = 0;
};

}  // namespace payedge::logs
