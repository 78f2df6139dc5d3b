// payedge.toml's transport settings: [toss] ca_file and [alerts] ca_file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/config.h"

namespace payedge {
namespace {

TEST(TransportConfig, CaFilesDefaultToTheSystemStore) {
  const auto c = load_config("");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->toss.ca_file, "");
  EXPECT_EQ(c->alerts.ca_file, "");
}

TEST(TransportConfig, CaFilesAreRead) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("payedge-transport-" + std::to_string(::getpid()) + ".toml"))
                               .string();
  std::ofstream(path) << "[toss]\nbase_url = \"https://localhost:8443\"\n"
                         "ca_file = \"/etc/payedge/sim-ca.pem\"\n"
                         "[alerts]\nca_file = \"/etc/payedge/alerts-ca.pem\"\n";
  const auto c = load_config(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(c) << c.error().detail;
  EXPECT_EQ(c->toss.base_url, "https://localhost:8443");
  EXPECT_EQ(c->toss.ca_file, "/etc/payedge/sim-ca.pem");
  EXPECT_EQ(c->alerts.ca_file, "/etc/payedge/alerts-ca.pem");
}

}  // namespace
}  // namespace payedge
