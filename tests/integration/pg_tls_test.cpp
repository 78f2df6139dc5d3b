// PostgreSQL as Supabase serves it: over TLS with sslmode=verify-full and a root certificate
// (the URL goes to libpq as it is), payedge's tables in a schema of their own. The server is a
// throwaway one of scripts/pg-test-server.sh started with --ssl and its own test CA.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "harness.h"

namespace payedge::testing {
namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

class TlsPostgres : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string cmd = std::string(PAYEDGE_SOURCE_DIR) + "/scripts/pg-test-server.sh start " +
                            dir_->path() + " --ssl >/dev/null";
    started_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    const std::string cmd = std::string(PAYEDGE_SOURCE_DIR) + "/scripts/pg-test-server.sh stop " +
                            dir_->path() + " >/dev/null";
    (void)std::system(cmd.c_str());
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(started_) << "pg-test-server.sh start --ssl failed"; }
  static std::string tls_url() { return read_line(dir_->file("url-tls")); }

  static inline TempDir* dir_ = nullptr;
  static inline bool started_ = false;
};

TEST_F(TlsPostgres, ServeConfirmsOverVerifiedTlsInItsOwnSchema) {
  const std::string url = tls_url();
  ASSERT_NE(url.find("sslmode=verify-full"), std::string::npos) << url;
  Stack stack({.postgres = true, .pg_schema = "payedge", .pg_url = url});
  const std::string key = stack.new_session("order-pg-tls-1", 49000);
  auto r = stack.confirm(body_for(key, "order-pg-tls-1", 49000, "course-sql"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stack.db().scalar("SELECT status FROM payedge.payments WHERE order_id = "
                              "'order-pg-tls-1'"),
            "DONE");
  // Nothing of payedge's in public: it stays Supabase's.
  EXPECT_EQ(stack.db().scalar("SELECT count(*) FROM information_schema.tables WHERE "
                              "table_schema = 'public'"),
            "0");
  // Every session of the service's database user came in over TLS.
  EXPECT_EQ(stack.db().scalar("SELECT bool_and(s.ssl)::text FROM pg_stat_ssl s JOIN "
                              "pg_stat_activity a USING (pid) WHERE a.datname = 'payedge_test'"),
            "true");
}

TEST_F(TlsPostgres, AnotherCaIsRefusedWithTheReason) {
  TempDir other;
  const std::string make_ca =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
      "/CN=other -keyout " +
      other.file("ca.key") + " -out " + other.file("ca.pem") + " 2>/dev/null";
  ASSERT_EQ(std::system(make_ca.c_str()), 0);
  std::string url = tls_url();
  url = url.substr(0, url.find("sslrootcert=")) + "sslrootcert=" + other.file("ca.pem");
  auto r = run_payedge({"migrate", "--store", url}, test_env());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("certificate verify failed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace payedge::testing
