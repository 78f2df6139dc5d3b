#include "store/sqlite/sqlite_db.h"

#include <fmt/format.h>

namespace payedge::sqlite {
namespace {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  const bool unique = rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
  Error e = make_error(
      ErrorCode::kInternal,
      fmt::format("{}sqlite {}: {} ({})", unique ? std::string(kUniqueViolation) + ": " : "", what,
                  db ? sqlite3_errmsg(db) : "", rc));
  // BUSY/LOCKED mean another writer held the file past the busy timeout: worth a retry.
  // A full disk is the operator's to fix, and the client's retry then succeeds (RUNBOOK).
  e.retryable = primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR ||
                primary == SQLITE_FULL;
  return e;
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path,
                                                                 int busy_timeout_ms,
                                                                 bool read_only) {
  sqlite3* db = nullptr;
  if (read_only) {
    // mode=ro first; a WAL file in a directory we may not write needs immutable=1 (no locks:
    // fine for a copy nobody writes). https://www.sqlite.org/uri.html
    for (const char* query : {"?mode=ro", "?mode=ro&immutable=1"}) {
      std::string uri = "file:";
      for (char ch : path) {
        if (ch == '?' || ch == '#' || ch == '%') {
          uri += fmt::format("%{:02X}", static_cast<unsigned char>(ch));
        } else {
          uri += ch;
        }
      }
      uri += query;
      int rc = sqlite3_open_v2(
          uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
      if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, "SELECT COUNT(*) FROM sqlite_master", nullptr, nullptr, nullptr);
      }
      if (rc == SQLITE_OK) {
        std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
        sqlite3_busy_timeout(db, busy_timeout_ms);
        return conn;
      }
      Error e = sqlite_error(db, rc, "open " + path + " (read-only)");
      sqlite3_close(db);
      db = nullptr;
      if (std::string_view(query).find("immutable") != std::string_view::npos) {
        return std::unexpected(e);
      }
    }
  }
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(db, rc, "open " + path);
    sqlite3_close(db);
    return std::unexpected(e);
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  auto st = conn->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (!st) return std::unexpected(st.error());
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<sqlite3_stmt*> SqliteConnection::prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db_, rc, "prepare"));
  cache_.emplace(std::move(key), stmt);
  return stmt;
}

Result<SqlRows> SqliteConnection::run(std::string_view sql, const std::vector<SqlParam>& params) {
  auto prepared = prepare(sql);
  if (!prepared) return std::unexpected(prepared.error());
  sqlite3_stmt* stmt = *prepared;
  struct Reset {
    sqlite3_stmt* s;
    ~Reset() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } reset{stmt};
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    if (const auto* text = std::get_if<std::string>(&params[i])) {
      sqlite3_bind_text(stmt, index, text->data(), static_cast<int>(text->size()),
                        SQLITE_TRANSIENT);
    } else if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
      sqlite3_bind_int64(stmt, index, *n);
    } else {
      sqlite3_bind_null(stmt, index);
    }
  }
  SqlRows out;
  const int columns = sqlite3_column_count(stmt);
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW)
      return std::unexpected(sqlite_error(db_, sqlite3_extended_errcode(db_), "step"));
    auto& row = out.rows.emplace_back();
    row.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
      } else {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        row.emplace_back(std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
      }
    }
  }
  out.affected = sqlite3_changes(db_);
  return out;
}

Status SqliteConnection::exec(const std::string& sql) {
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

}  // namespace payedge::sqlite
