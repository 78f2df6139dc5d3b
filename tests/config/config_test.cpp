// payedge.toml parsing (SPEC section 10): defaults without a file, and every kind of mistake
// refused with an error that names the key — all of them at once, not just the first.
#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace payedge {
namespace {

class ConfigFile : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }
  Result<Config> load(const std::string& text) {
    std::ofstream(path_) << text;
    return load_config(path_);
  }
  const std::string path_ =
      (std::filesystem::temp_directory_path() /
       ("payedge-config-" + std::to_string(::getpid()) + "-" + std::to_string(next_++) + ".toml"))
          .string();
  static inline int next_ = 0;
};

TEST(Config, DefaultsWithoutAFile) {
  const auto c = load_config("");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->server.environment, "development");
  EXPECT_GT(c->server.max_body_bytes, 0u);
  EXPECT_GT(c->toss.deadline_ms, c->toss.attempt_timeout_ms);
}

TEST(Config, AMissingFileIsAnError) {
  const auto c = load_config("/nonexistent/payedge.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("/nonexistent/payedge.toml"), std::string::npos);
}

TEST_F(ConfigFile, ValidValuesAreRead) {
  const auto c = load(
      "[server]\nenvironment = \"production\"\nmax_body_bytes = 4096\n"
      "[toss]\nmax_attempts = 2\nbackoff_base_ms = 10\n");
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->server.environment, "production");
  EXPECT_EQ(c->server.max_body_bytes, 4096u);
  EXPECT_EQ(c->toss.max_attempts, 2);
  EXPECT_EQ(c->toss.backoff_base_ms, 10);
}

struct BadConfig {
  const char* name;  // the test's name in ctest (a stable one, not the bytes of the struct)
  const char* toml;
  const char* names;  // what the error must say
};
void PrintTo(const BadConfig& b, std::ostream* os) { *os << b.name; }

class BadConfigs : public ConfigFile, public ::testing::WithParamInterface<BadConfig> {};

TEST_P(BadConfigs, AreRefusedNamingTheKey) {
  const auto c = load(GetParam().toml);
  ASSERT_FALSE(c) << GetParam().toml;
  EXPECT_NE(c.error().detail.find(GetParam().names), std::string::npos) << c.error().detail;
}

INSTANTIATE_TEST_SUITE_P(
    Config, BadConfigs,
    ::testing::Values(
        BadConfig{"unknown_key", "[server]\nconfirm_rate_per_sec = 1\n",
                  "[server] confirm_rate_per_sec: unknown key"},
        BadConfig{"unknown_section", "[sever]\nlisten = \"127.0.0.1:1\"\n",
                  "[sever]: unknown section"},
        BadConfig{"zero_body", "[server]\nmax_body_bytes = 0\n", "max_body_bytes"},
        BadConfig{"negative_body", "[server]\nmax_body_bytes = -5\n", "max_body_bytes"},
        BadConfig{"wrong_type", "[toss]\nbase_url = 42\n", "[toss] base_url"},
        BadConfig{"unknown_environment", "[server]\nenvironment = \"prod\"\n",
                  "[server] environment"},
        BadConfig{"too_many_io_threads", "[server]\nio_threads = 100000\n", "io_threads"},
        BadConfig{"rate_as_percent", "[slo]\nsuccess_rate = 99.5\n", "success_rate"},
        BadConfig{"store_url_without_scheme", "[store]\nurl = \"payedge.db\"\n", "[store] url"},
        BadConfig{"not_toml", "not toml at all = = =\n", "payedge-config-"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST_F(ConfigFile, EveryProblemIsListed) {
  const auto c = load("[server]\nconfirm_rate_per_sec = 1\nmax_body_bytes = 0\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("confirm_rate_per_sec"), std::string::npos);
  EXPECT_NE(c.error().detail.find("max_body_bytes"), std::string::npos);
}

}  // namespace
}  // namespace payedge
