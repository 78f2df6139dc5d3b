#include "store/sqlite/sqlite_db.h"

#include <fmt/format.h>

namespace payedge::sqlite {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  Error e = make_error(ErrorCode::kInternal,
                       fmt::format("sqlite {}: {} ({})", what, db ? sqlite3_errmsg(db) : "", rc));
  // BUSY/LOCKED mean another writer held the file past the busy timeout: worth a retry.
  const int primary = rc & 0xff;
  e.retryable = primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR;
  return e;
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(db, rc, "open " + path);
    sqlite3_close(db);
    return std::unexpected(e);
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
  // before we answer success (SPEC section 2).
  auto st = conn->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (!st) return std::unexpected(st.error());
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<sqlite3_stmt*> Connection::prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db_, rc, "prepare"));
  cache_.emplace(std::move(key), stmt);
  return stmt;
}

Status Connection::exec(const std::string& sql) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(db_, rc, "exec");
    if (msg) e.detail += std::string(": ") + msg;
    sqlite3_free(msg);
    return std::unexpected(e);
  }
  return {};
}

Query::Query(Connection& conn, std::string_view sql) : conn_(conn) {
  auto stmt = conn.prepare(sql);
  if (stmt) {
    stmt_ = *stmt;
  } else {
    error_ = stmt.error();
  }
}

Query::~Query() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Query& Query::bind(std::string_view v) {
  if (stmt_)
    sqlite3_bind_text(stmt_, next_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  ++next_;
  return *this;
}

Query& Query::bind(std::int64_t v) {
  if (stmt_) sqlite3_bind_int64(stmt_, next_, v);
  ++next_;
  return *this;
}

Query& Query::bind(std::nullopt_t) {
  if (stmt_) sqlite3_bind_null(stmt_, next_);
  ++next_;
  return *this;
}

Result<bool> Query::step() {
  if (!stmt_) return std::unexpected(error_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  error_ = sqlite_error(conn_.handle(), rc, "step");
  return std::unexpected(error_);
}

Status Query::run() {
  while (true) {
    auto r = step();
    if (!r) return std::unexpected(r.error());
    if (!*r) return {};
  }
}

std::int64_t Query::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Query::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col))
           : std::string();
}

std::optional<std::string> Query::opt_text(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return text(col);
}

std::optional<std::int64_t> Query::opt_int64(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return int64(col);
}

int Query::changes() const { return sqlite3_changes(conn_.handle()); }

}  // namespace payedge::sqlite
