// `payedge check weekly`: the runbook's weekly check (section 9) in one run — a masked
// sample of 50 log lines to read, the week's ratios against the SLOs, the webhook secret's
// rotation schedule, the docs' error codes against the binary's, the store's local
// invariants, and the week's payments against Toss (`ops verify --since`). Each item says OK,
// ATTENTION or SKIPPED and why.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "confirm/verifier.h"
#include "core/time.h"
#include "logs/timezone.h"

namespace payedge {
class Store;
}

namespace payedge::check {

enum class ItemStatus { kOk, kAttention, kSkipped };

struct CheckItem {
  std::string name;   // sample | ratios | secret_rotation | docs | store
  std::string title;  // the runbook's wording: "Korean / English"
  ItemStatus status = ItemStatus::kSkipped;
  std::string detail;     // one line for people (English; JSON's "detail")
  std::string detail_ko;  // the same line in Korean
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
};

struct WeeklyOptions {
  std::vector<std::string> inputs;  // log files (globs expanded); empty: no log items
  EpochMs since = 0, until = 0;
  const logs::TimeZone* tz = nullptr;
  Config config;
  Store* store = nullptr;   // null: no store items
  std::string docs_dir;     // empty: no docs item
  std::string sample_path;  // where the 50 masked lines go
  std::size_t sample_size = 50;
  std::uint64_t seed = 0;
  EpochMs now = 0;
  // `ops verify` over the week (run by the caller, which holds the Toss client); unset: the
  // item is skipped (no --toss-url).
  std::optional<VerifyReport> verify;
};

std::vector<CheckItem> run_weekly(const WeeklyOptions& o);

std::string_view to_string(ItemStatus s);
nlohmann::ordered_json weekly_json(const std::vector<CheckItem>& items);
// For people: Korean unless `english` (the JSON keeps its codes and English details).
std::string weekly_table(const std::vector<CheckItem>& items, bool english = false);

}  // namespace payedge::check
