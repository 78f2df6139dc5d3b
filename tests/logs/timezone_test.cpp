// Time zones for --tz: KST day and hour boundaries, TZif files, fixed offsets, the fallback.
#include "logs/timezone.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace payedge::logs {
namespace {

EpochMs at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

TEST(TimeZone, KstMidnightIsFifteenHundredUtc) {
  auto tz = TimeZone::load("Asia/Seoul");
  ASSERT_TRUE(tz.has_value()) << tz.error().detail;
  EXPECT_EQ(tz->offset_seconds(at("2026-11-25T14:59:59.999Z")), 9 * 3600);
  EXPECT_EQ(tz->day_label(at("2026-11-25T14:59:59.999Z")), "2026-11-25");
  EXPECT_EQ(tz->day_label(at("2026-11-25T15:00:00.000Z")), "2026-11-26");
  EXPECT_EQ(tz->hour_label(at("2026-11-25T14:59:59.999Z")), "2026-11-25T23");
  EXPECT_EQ(tz->hour_label(at("2026-11-25T15:00:00.000Z")), "2026-11-26T00");
  EXPECT_EQ(tz->floor_day(at("2026-11-26T03:00:00Z")), at("2026-11-25T15:00:00Z"));
  EXPECT_EQ(tz->floor_hour(at("2026-11-26T03:59:00Z")), at("2026-11-26T03:00:00Z"));
  EXPECT_EQ(tz->format(at("2026-11-25T15:00:00.500Z")), "2026-11-26T00:00:00+09:00");
}

TEST(TimeZone, Utc) {
  auto tz = TimeZone::load("UTC");
  ASSERT_TRUE(tz.has_value());
  EXPECT_TRUE(tz->is_utc());
  EXPECT_EQ(tz->day_label(at("2026-11-25T23:59:59Z")), "2026-11-25");
  EXPECT_EQ(tz->format(at("2026-11-25T23:59:59.999Z")), "2026-11-25T23:59:59Z");
}

TEST(TimeZone, FixedOffsets) {
  auto plus = TimeZone::load("+09:00");
  ASSERT_TRUE(plus.has_value());
  EXPECT_EQ(plus->day_label(at("2026-11-25T15:00:00Z")), "2026-11-26");
  auto minus = TimeZone::load("-05:30");
  ASSERT_TRUE(minus.has_value());
  EXPECT_EQ(minus->offset_seconds(0), -(5 * 3600 + 1800));
  EXPECT_EQ(minus->format(at("2026-11-26T05:30:00Z")), "2026-11-26T00:00:00-05:30");
}

TEST(TimeZone, UnknownZonesAndPathsAreRefused) {
  EXPECT_FALSE(TimeZone::load("Mars/Olympus_Mons").has_value());
  EXPECT_FALSE(TimeZone::load("../../etc/passwd").has_value());
  EXPECT_FALSE(TimeZone::load("/etc/localtime").has_value());
  EXPECT_FALSE(TimeZone::load("+25:00").has_value());
}

TEST(TimeZone, WithoutTzdataSeoulStillWorks) {
  const char* old = std::getenv("TZDIR");
  const std::string saved = old ? old : "";
  setenv("TZDIR", "/nonexistent-zoneinfo", 1);
  auto tz = TimeZone::load("Asia/Seoul");
  if (old) {
    setenv("TZDIR", saved.c_str(), 1);
  } else {
    unsetenv("TZDIR");
  }
  ASSERT_TRUE(tz.has_value());
  EXPECT_EQ(tz->day_label(at("2026-11-25T15:00:00Z")), "2026-11-26");
}

TEST(TimeZone, DaylightSavingFromTheTzifFile) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/America/New_York")) {
    GTEST_SKIP() << "no tzdata";
  }
  auto tz = TimeZone::load("America/New_York");
  ASSERT_TRUE(tz.has_value());
  EXPECT_EQ(tz->offset_seconds(at("2026-07-01T12:00:00Z")), -4 * 3600);
  EXPECT_EQ(tz->offset_seconds(at("2026-12-01T12:00:00Z")), -5 * 3600);
  // Seoul has had no DST since 1988.
  auto seoul = TimeZone::load("Asia/Seoul");
  EXPECT_EQ(seoul->offset_seconds(at("2026-07-01T12:00:00Z")), 9 * 3600);
}

}  // namespace
}  // namespace payedge::logs
