// The seam between the store's logic and a database: a connection that runs one SQL
// statement with positional `?` parameters and hands back the rows as text. SQLite and
// PostgreSQL each implement it; `SqlStore` holds every query and transaction once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

namespace payedge {

using SqlParam = std::variant<std::monostate, std::string, std::int64_t>;

struct SqlRows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  long long affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

// Error details that the store logic reacts to (the code stays E_INTERNAL).
inline constexpr std::string_view kUniqueViolation = "unique_violation";

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // One statement; `?` placeholders in order. A unique-constraint failure comes back as an
  // error whose detail starts with kUniqueViolation.
  virtual Result<SqlRows> run(std::string_view sql, const std::vector<SqlParam>& params) = 0;
  // Statements without parameters, separated by ';' (transactions, migrations).
  virtual Status exec(const std::string& sql) = 0;
};

// What differs between the two databases, beyond the connection itself.
struct SqlDialect {
  std::string_view name;
  std::string_view begin_write;     // "BEGIN IMMEDIATE" takes SQLite's write lock up front
  std::string_view id_column;       // the auto-increment key of audit_log and alerts
  std::string_view migration_lock;  // run first inside the migration transaction ("" for none)
  // A read-only transaction whose statements all see one snapshot.
  std::string_view begin_read;
  // The most writes one group commit batches (PostgreSQL: each member's savepoint is a
  // subtransaction, and a backend caches 64 of them before snapshots slow down).
  size_t max_batch = 64;
};

// One execution of a statement: bind parameters in order, then read the rows.
class Query {
 public:
  Query(SqlConnection& conn, std::string_view sql) : conn_(conn), sql_(sql) {}

  Query& bind(std::string_view v) { return push(std::string(v)); }
  Query& bind(const std::string& v) { return push(v); }
  Query& bind(const char* v) { return push(std::string(v)); }
  Query& bind(std::int64_t v) { return push(v); }
  Query& bind(int v) { return push(static_cast<std::int64_t>(v)); }
  Query& bind(bool v) { return push(static_cast<std::int64_t>(v ? 1 : 0)); }
  Query& bind(std::nullopt_t) { return push(std::monostate{}); }
  template <class T>
  Query& bind(const std::optional<T>& v) {
    return v ? bind(*v) : bind(std::nullopt);
  }

  Result<bool> step();  // runs the statement on the first call; true while there is a row
  Status run();

  std::string text(int col) const { return cell(col).value_or(""); }
  std::optional<std::string> opt_text(int col) const { return cell(col); }
  std::int64_t int64(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  bool boolean(int col) const;  // SQLite gives 1/0, PostgreSQL t/f
  long long changes() const { return result_.affected; }

 private:
  Query& push(SqlParam p) {
    params_.push_back(std::move(p));
    return *this;
  }
  const std::optional<std::string>& cell(int col) const;

  SqlConnection& conn_;
  std::string_view sql_;
  std::vector<SqlParam> params_;
  SqlRows result_;
  bool executed_ = false;
  size_t next_row_ = 0;
};

}  // namespace payedge
