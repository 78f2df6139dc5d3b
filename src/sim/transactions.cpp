// The simulator's `GET /v1/transactions`: Toss's transaction list for a window, derived from
// the payments it holds (an approval is one DONE transaction at approvedAt, each cancel one
// CANCELED or PARTIAL_CANCELED transaction at its canceledAt), oldest first, paged with
// startingAfter (a transactionKey) and limit, as Toss pages it.
// https://docs.tosspayments.com/reference#거래-조회 ,
// https://docs.rs/tosspayments-rs/0.2.0/src/tosspayments/api/list_transactions.rs.html
#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/codec.h"
#include "sim/sim_common.h"
#include "sim/simulator.h"

namespace payedge {
namespace {

using nlohmann::json;
using sim_detail::toss_error;

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 10'000;

// One query parameter, percent-decoded ("" when absent).
std::string query_value(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name || eq == std::string_view::npos) continue;
    // A query's '+' is a space (application/x-www-form-urlencoded); a path's is not.
    std::string v(pair.substr(eq + 1));
    std::replace(v.begin(), v.end(), '+', ' ');
    return sim_detail::url_decode(v);
  }
  return "";
}

// startDate/endDate: ISO 8601; without an offset the time is Korea's, as in Toss's examples.
std::optional<EpochMs> parse_toss_date(const std::string& s) {
  if (s.size() == 19) return parse_rfc3339(s + "+09:00");
  return parse_rfc3339(s);
}

json transaction(const json& payment, std::string key, std::string status, const json& at,
                 const json& amount) {
  return {{"mId", "tpayedgesim"},
          {"transactionKey", std::move(key)},
          {"paymentKey", payment.value("paymentKey", json())},
          {"orderId", payment.value("orderId", json())},
          {"method", payment.value("method", json())},
          {"customerKey", nullptr},
          {"useEscrow", false},
          {"receiptUrl", nullptr},
          {"status", std::move(status)},
          {"transactionAt", at},
          {"currency", "KRW"},
          {"amount", amount}};
}

}  // namespace

HttpResponse Simulator::list_transactions(const HttpRequest& req) {
  const std::string_view target(req.msg.target().data(), req.msg.target().size());
  const auto since = parse_toss_date(query_value(target, "startDate"));
  const auto until = parse_toss_date(query_value(target, "endDate"));
  if (!since || !until) {
    return toss_error(400, "INVALID_REQUEST", "startDate와 endDate는 필수 값입니다.");
  }
  int limit = kDefaultLimit;
  if (const std::string l = query_value(target, "limit"); !l.empty()) {
    const auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
    if (ec != std::errc() || end != l.data() + l.size() || limit < 1 || limit > kMaxLimit)
      return toss_error(400, "INVALID_REQUEST", "limit은 1 이상 10000 이하입니다.");
  }
  // Every transaction of the payments held, with its time for ordering.
  struct Row {
    EpochMs at;
    json tx;
  };
  std::vector<Row> rows;
  for (const auto& [key, p] : payments_) {
    const json& o = p.object;
    const json approved = o.value("approvedAt", json());
    const auto approved_at = approved.is_string() ? parse_rfc3339(approved.get<std::string>())
                                                  : std::optional<EpochMs>();
    if (!approved_at) continue;  // never approved: no money moved, no transaction
    const std::string approval_key = sha256_hex("approve:" + key).substr(0, 32);
    rows.push_back({*approved_at, transaction(o, approval_key, "DONE", approved,
                                              o.value("totalAmount", json()))});
    const json cancels = o.value("cancels", json());
    if (!cancels.is_array()) continue;
    for (std::size_t i = 0; i < cancels.size(); ++i) {
      const json& c = cancels[i];
      const json at = c.value("canceledAt", json());
      const auto canceled_at =
          at.is_string() ? parse_rfc3339(at.get<std::string>()) : std::optional<EpochMs>();
      if (!canceled_at) continue;
      const bool last_of_full = i + 1 == cancels.size() && o.value("status", "") == "CANCELED";
      rows.push_back({*canceled_at, transaction(o, c.value("transactionKey", ""),
                                                last_of_full ? "CANCELED" : "PARTIAL_CANCELED", at,
                                                c.value("cancelAmount", json()))});
    }
  }
  // endDate is inclusive, to the second.
  std::erase_if(rows, [&](const Row& r) { return r.at < *since || r.at / 1000 > *until / 1000; });
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.at != b.at ? a.at < b.at
                        : a.tx["transactionKey"].get<std::string>() <
                              b.tx["transactionKey"].get<std::string>();
  });
  std::size_t first = 0;
  if (const std::string after = query_value(target, "startingAfter"); !after.empty()) {
    const auto it = std::find_if(rows.begin(), rows.end(),
                                 [&](const Row& r) { return r.tx["transactionKey"] == after; });
    first = it == rows.end() ? rows.size() : static_cast<std::size_t>(it - rows.begin()) + 1;
  }
  json page = json::array();
  for (std::size_t i = first; i < rows.size() && page.size() < static_cast<std::size_t>(limit); ++i)
    page.push_back(rows[i].tx);
  return json_response(200, page.dump());
}

}  // namespace payedge
