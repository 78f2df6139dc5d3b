#include "store/postgres/pg_connection.h"

#include <fmt/format.h>

namespace payedge {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

}  // namespace

std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  bool quoted = false;
  int n = 0;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += fmt::format("${}", ++n);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string pg_port_of(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (err) PQfreemem(err);
  std::string port;
  for (auto* o = options; o && o->keyword; ++o) {
    if (std::string_view(o->keyword) == "port" && o->val) port = o->val;
  }
  if (options) PQconninfoFree(options);
  return port;
}

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& url,
                                                         const std::string& schema) {
  // https://supabase.com/docs/guides/database/connecting-to-postgres: the transaction pooler
  // (Supavisor, port 6543) shares a server connection between clients per transaction, so
  // prepared statements and SET do not survive; payedge needs both. Refused rather than run
  // unprepared: the session pooler (5432) or the direct connection work unchanged.
  if (pg_port_of(url) == "6543") {
    return fail(ErrorCode::kInvalidRequest,
                "postgresql: port 6543 is Supabase's transaction pooler, which keeps no prepared "
                "statements; use the direct connection (db.<ref>.supabase.co:5432) or the session "
                "pooler (<region>.pooler.supabase.com:5432) — see docs/DEPLOY.md");
  }
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names the TLS failure (e.g. "certificate verify failed") but never the
    // password.
    Error e = make_error(ErrorCode::kInternal,
                         std::string("postgresql connect: ") + PQerrorMessage(conn));
    e.retryable = true;
    PQfinish(conn);
    return std::unexpected(e);
  }
  std::unique_ptr<PgConnection> c(new PgConnection(conn, url, schema));
  if (auto st = c->start_session(); !st) return std::unexpected(st.error());
  return c;
}

Status PgConnection::start_session() {
  // NOTICEs ("relation already exists, skipping") would go to stderr, whose first line is a
  // contract ("listening on …").
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  if (schema_.empty() || schema_ == "public") return {};
  // The name was checked to be a plain lower-case identifier ([store] schema); quoted anyway.
  const std::string ident = "\"" + schema_ + "\"";
  for (const std::string& sql :
       {"CREATE SCHEMA IF NOT EXISTS " + ident, "SET search_path TO " + ident}) {
    PgResult res(PQexec(conn_, sql.c_str()));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return std::unexpected(error_from(res.get(), "schema " + schema_));
    }
  }
  return {};
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Status PgConnection::ensure_connected() {
  if (PQstatus(conn_) == CONNECTION_OK) return {};
  if (in_transaction_) {
    // Never reconnect inside a transaction: what follows would run outside it and commit
    // half a change. The transaction fails; its ROLLBACK resets the connection.
    Error e = make_error(ErrorCode::kInternal, "postgresql connection lost inside a transaction");
    e.retryable = true;
    return std::unexpected(e);
  }
  // The server restarted or the network broke: a new session, with nothing prepared yet.
  PQreset(conn_);
  prepared_.clear();
  in_transaction_ = false;
  if (PQstatus(conn_) != CONNECTION_OK) {
    Error e = make_error(ErrorCode::kInternal,
                         std::string("postgresql reconnect: ") + PQerrorMessage(conn_));
    e.retryable = true;
    return std::unexpected(e);
  }
  return start_session();
}

Error PgConnection::error_from(PGresult* res, std::string_view what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const bool unique = state && std::string_view(state) == "23505";
  const char* constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  std::string message = PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // 26000 (prepared statement does not exist) and 42P05 (already exists) on statements this
  // connection prepared itself: a transaction-mode pooler (PgBouncer, Supavisor) in between.
  const bool pooler =
      state && (std::string_view(state) == "26000" || std::string_view(state) == "42P05");
  Error e = make_error(
      ErrorCode::kInternal,
      fmt::format("{}postgresql {}: {}{}{}", unique ? std::string(kUniqueViolation) + ": " : "",
                  what, message, constraint ? fmt::format(" [{}]", constraint) : "",
                  pooler ? " (a transaction-mode pooler keeps no prepared statements: connect "
                           "directly or through the session pooler, docs/DEPLOY.md)"
                         : ""));
  // A lost connection, a serialization failure, a deadlock or a full disk (class 53,
  // insufficient resources: the client may retry once space is freed) is worth another try.
  e.retryable =
      PQstatus(conn_) != CONNECTION_OK ||
      (state && (std::string_view(state).starts_with("08") || std::string_view(state) == "40001" ||
                 std::string_view(state) == "40P01" || std::string_view(state).starts_with("57P") ||
                 std::string_view(state).starts_with("53")));
  return e;
}

Result<SqlRows> PgConnection::run(std::string_view sql, const std::vector<SqlParam>& params) {
  if (auto st = ensure_connected(); !st) return std::unexpected(st.error());
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    const std::string name = fmt::format("p{}", prepared_.size() + 1);
    PgResult res(PQprepare(conn_, name.c_str(), number_placeholders(sql).c_str(), 0, nullptr));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK)
      return std::unexpected(error_from(res.get(), "prepare"));
    it = prepared_.emplace(std::move(key), name).first;
  }
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (size_t i = 0; i < params.size(); ++i) {
    if (const auto* s = std::get_if<std::string>(&params[i])) {
      texts[i] = *s;
      values[i] = texts[i].c_str();
    } else if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
      texts[i] = std::to_string(*n);
      values[i] = texts[i].c_str();
    }
  }
  PgResult res(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                              values.data(), nullptr, nullptr, 0));
  const auto status = PQresultStatus(res.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return std::unexpected(error_from(res.get(), "query"));
  }
  SqlRows out;
  const int rows = PQntuples(res.get());
  const int cols = PQnfields(res.get());
  out.rows.reserve(static_cast<size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    auto& row = out.rows.emplace_back();
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res.get(), r, c),
                                     static_cast<size_t>(PQgetlength(res.get(), r, c))));
      }
    }
  }
  const char* affected = PQcmdTuples(res.get());
  out.affected = affected && *affected ? std::atoll(affected) : 0;
  return out;
}

Status PgConnection::exec(const std::string& sql) {
  const bool begin = sql.starts_with("BEGIN");
  // ROLLBACK TO SAVEPOINT undoes part of a transaction that goes on (group commit).
  const bool rollback = sql.starts_with("ROLLBACK") && !sql.starts_with("ROLLBACK TO");
  const bool end = sql.starts_with("COMMIT") || rollback;
  if (rollback && PQstatus(conn_) != CONNECTION_OK) {
    in_transaction_ = false;  // the server dropped the transaction with the connection
    return ensure_connected();
  }
  if (auto st = ensure_connected(); !st) return st;
  PgResult res(PQexec(conn_, sql.c_str()));
  const auto status = PQresultStatus(res.get());
  if (end) in_transaction_ = false;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return std::unexpected(error_from(res.get(), "exec"));
  if (begin) in_transaction_ = true;
  return {};
}

}  // namespace payedge
