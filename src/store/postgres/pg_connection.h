// SqlConnection on PostgreSQL through libpq: statements prepared once per connection
// (`?` placeholders become $1, $2, …), text parameters, and a reconnect after the server
// restarts. Errors on a broken connection are retryable.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/sql.h"

namespace payedge {

class PgConnection final : public SqlConnection {
 public:
  static Result<std::unique_ptr<PgConnection>> open(const std::string& url);
  ~PgConnection() override;

  Result<SqlRows> run(std::string_view sql, const std::vector<SqlParam>& params) override;
  Status exec(const std::string& sql) override;

 private:
  PgConnection(PGconn* conn, std::string url) : conn_(conn), url_(std::move(url)) {}
  Status ensure_connected();
  Error error_from(PGresult* res, std::string_view what);

  PGconn* conn_;
  std::string url_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL → statement name
  bool in_transaction_ = false;
};

// "SELECT ? , '?'" → "SELECT $1 , '?'": numbers the placeholders outside string literals.
std::string number_placeholders(std::string_view sql);

}  // namespace payedge
