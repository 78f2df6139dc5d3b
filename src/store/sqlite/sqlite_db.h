// A small RAII layer over the SQLite C API: connections with a statement cache, typed binds
// and column reads, and write transactions (BEGIN IMMEDIATE) that commit or roll back.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"

namespace payedge::sqlite {

Error sqlite_error(sqlite3* db, int rc, std::string_view what);

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const std::string& path, int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* handle() const { return db_; }
  Result<sqlite3_stmt*> prepare(std::string_view sql);  // cached by SQL text
  Status exec(const std::string& sql);

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// One execution of a cached statement; reset when it goes out of scope.
class Query {
 public:
  Query(Connection& conn, std::string_view sql);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  const Error& error() const { return error_; }

  Query& bind(std::string_view v);
  Query& bind(const std::string& v) { return bind(std::string_view(v)); }
  Query& bind(const char* v) { return bind(std::string_view(v)); }
  Query& bind(std::int64_t v);
  Query& bind(int v) { return bind(static_cast<std::int64_t>(v)); }
  Query& bind(bool v) { return bind(static_cast<std::int64_t>(v ? 1 : 0)); }
  Query& bind(std::nullopt_t);
  template <class T>
  Query& bind(const std::optional<T>& v) {
    return v ? bind(*v) : bind(std::nullopt);
  }

  // Next row: true when there is one; false at the end or on error (see error()).
  Result<bool> step();
  Status run();  // step to completion

  std::int64_t int64(int col) const;
  std::string text(int col) const;
  std::optional<std::string> opt_text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  int changes() const;

 private:
  Connection& conn_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 1;
  Error error_;
};

}  // namespace payedge::sqlite
