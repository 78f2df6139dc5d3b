// What the simulator's files share (src/sim/*.cpp): Toss's error body and the zone Toss writes
// its times in. Internal to sim/.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/time.h"
#include "net/server.h"

namespace payedge::sim_detail {

// Toss's times are KST with an offset (+09:00).
constexpr int kKst = 9 * 60;
// Toss expires an unconfirmed payment after 10 min.
constexpr EpochMs kSessionTtlMs = 10 * 60 * 1000;

// Toss's error body: {"code", "message"}.
inline HttpResponse toss_error(int status, std::string_view code, std::string_view message) {
  return json_response(status, nlohmann::json{{"code", code}, {"message", message}}.dump());
}

// %XX escapes decoded (Boost 1.74 has no Boost.URL); a '%' not followed by two hex digits
// stays as it is.
std::string url_decode(std::string_view s);

}  // namespace payedge::sim_detail
