// The [slo] section of payedge.toml: the runbook's targets by default, overridden by the file,
// refused when out of range.
#include <gtest/gtest.h>

#include "config/config.h"
#include "log_fixture.h"

namespace payedge {
namespace {

using logs::testing::TempDir;

TEST(SloConfig, DefaultsAreTheRunbooksTargets) {
  const auto c = load_config("");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->slo.success_rate, 0.99);
  EXPECT_EQ(c->slo.mean_confirm_ms, 900);
  EXPECT_EQ(c->slo.p95_confirm_ms, 1500);
  EXPECT_EQ(c->slo.mismatch_rate, 0.001);
}

TEST(SloConfig, FileOverridesSomeTargetsAndKeepsTheOthers) {
  TempDir dir;
  const auto path = dir.write("payedge.toml",
                              "[slo]\n"
                              "success_rate = 0.995\n"
                              "mean_confirm_ms = 1000   # an integer is fine\n");
  const auto c = load_config(path);
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->slo.success_rate, 0.995);
  EXPECT_EQ(c->slo.mean_confirm_ms, 1000);
  EXPECT_EQ(c->slo.p95_confirm_ms, 1500);
  EXPECT_EQ(c->slo.mismatch_rate, 0.001);
}

TEST(SloConfig, OutOfRangeTargetsAreRefused) {
  TempDir dir;
  for (const char* bad : {"success_rate = 99", "mismatch_rate = -0.1", "mean_confirm_ms = 0",
                          "p95_confirm_ms = -5"}) {
    const auto path = dir.write("payedge.toml", std::string("[slo]\n") + bad + "\n");
    const auto c = load_config(path);
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().detail.find("[slo]"), std::string::npos);
  }
}

TEST(SloConfig, TheExampleFileHasTheDefaults) {
  const auto c = load_config(std::string(PAYEDGE_SOURCE_DIR) + "/examples/payedge.toml");
  ASSERT_TRUE(c) << c.error().detail;
  const SloConfig defaults;
  EXPECT_EQ(c->slo.success_rate, defaults.success_rate);
  EXPECT_EQ(c->slo.mean_confirm_ms, defaults.mean_confirm_ms);
  EXPECT_EQ(c->slo.p95_confirm_ms, defaults.p95_confirm_ms);
  EXPECT_EQ(c->slo.mismatch_rate, defaults.mismatch_rate);
}

}  // namespace
}  // namespace payedge
