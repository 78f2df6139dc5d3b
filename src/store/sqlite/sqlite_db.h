// SqlConnection on one SQLite file: WAL, synchronous=FULL (a commit is on disk before we
// answer), foreign keys on, a busy timeout for the other writers, and a statement cache.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/sql.h"

namespace payedge::sqlite {

class SqliteConnection final : public SqlConnection {
 public:
  // `read_only`: the file must exist; nothing is created or changed (not even the journal
  // mode), and a read-only copy (a file the user may not write) is read as it is.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path,
                                                        int busy_timeout_ms,
                                                        bool read_only = false);
  ~SqliteConnection() override;

  Result<SqlRows> run(std::string_view sql, const std::vector<SqlParam>& params) override;
  Status exec(const std::string& sql) override;

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  Result<sqlite3_stmt*> prepare(std::string_view sql);

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace payedge::sqlite
