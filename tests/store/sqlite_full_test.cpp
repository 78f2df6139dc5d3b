// A full disk is an E_INTERNAL the client may retry (RUNBOOK: it succeeds once space is freed):
// SQLITE_FULL, staged with max_page_count on a real SQLite file, comes back retryable.
#include <gtest/gtest.h>

#include "harness.h"
#include "store/sqlite/sqlite_db.h"

namespace payedge::testing {
namespace {

TEST(SqliteFull, AFullDatabaseIsARetryableError) {
  TempDir dir;
  auto conn = sqlite::SqliteConnection::open(dir.file("full.db"), 100);
  ASSERT_TRUE(conn) << conn.error().detail;
  ASSERT_TRUE((*conn)->exec("CREATE TABLE t (v TEXT); PRAGMA max_page_count = 8"));
  Status st;
  for (int i = 0; i < 1000 && st; ++i) {
    st = (*conn)->exec("INSERT INTO t VALUES (printf('%.1000c', 'x'))");
  }
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(st.error().retryable) << st.error().detail;
}

}  // namespace
}  // namespace payedge::testing
