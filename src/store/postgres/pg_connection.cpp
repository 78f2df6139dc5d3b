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

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    Error e = make_error(ErrorCode::kInternal,
                         std::string("postgresql connect: ") + PQerrorMessage(conn));
    e.retryable = true;
    PQfinish(conn);
    return std::unexpected(e);
  }
  // NOTICEs ("relation already exists, skipping") would go to stderr, whose first line is a
  // contract ("listening on …").
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn, url));
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
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  prepared_.clear();
  in_transaction_ = false;
  if (PQstatus(conn_) != CONNECTION_OK) {
    Error e = make_error(ErrorCode::kInternal,
                         std::string("postgresql reconnect: ") + PQerrorMessage(conn_));
    e.retryable = true;
    return std::unexpected(e);
  }
  return {};
}

Error PgConnection::error_from(PGresult* res, std::string_view what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const bool unique = state && std::string_view(state) == "23505";
  const char* constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  std::string message = PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  Error e = make_error(
      ErrorCode::kInternal,
      fmt::format("{}postgresql {}: {}{}", unique ? std::string(kUniqueViolation) + ": " : "", what,
                  message, constraint ? fmt::format(" [{}]", constraint) : ""));
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
  const bool end = sql.starts_with("COMMIT") || sql.starts_with("ROLLBACK");
  if (sql.starts_with("ROLLBACK") && PQstatus(conn_) != CONNECTION_OK) {
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
