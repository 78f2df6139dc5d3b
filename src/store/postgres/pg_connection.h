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
  // `schema`: every statement runs with search_path = that schema (created when missing).
  // Supabase's transaction pooler (port 6543) is refused: it keeps neither prepared statements
  // nor SET between transactions.
  static Result<std::unique_ptr<PgConnection>> open(const std::string& url,
                                                    const std::string& schema = "public");
  ~PgConnection() override;

  Result<SqlRows> run(std::string_view sql, const std::vector<SqlParam>& params) override;
  Status exec(const std::string& sql) override;

 private:
  PgConnection(PGconn* conn, std::string url, std::string schema)
      : conn_(conn), url_(std::move(url)), schema_(std::move(schema)) {}
  Status ensure_connected();
  Status start_session();  // after a connect or a reset: notices off, search_path
  Error error_from(PGresult* res, std::string_view what);

  PGconn* conn_;
  std::string url_;
  std::string schema_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL → statement name
  bool in_transaction_ = false;
};

// "SELECT ? , '?'" → "SELECT $1 , '?'": numbers the placeholders outside string literals.
std::string number_placeholders(std::string_view sql);

// The port a libpq URL or key=value string names ("" when none): 6543 is Supabase's
// transaction pooler.
std::string pg_port_of(const std::string& conninfo);

}  // namespace payedge
