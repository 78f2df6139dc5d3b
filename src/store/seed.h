// `payedge seed FILE`: courses and coupons from JSON (SPEC section 8) or the same shape in TOML.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/catalog.h"
#include "core/error.h"
#include "store/store.h"

namespace payedge {

struct SeedData {
  std::vector<Course> courses;
  std::vector<Coupon> coupons;
};

// Every record is validated before anything is written; errors name the record and field.
Result<SeedData> parse_seed(const std::string& text, bool toml);
Result<SeedData> read_seed_file(const std::string& path);
// Who loads a catalogue, from where: the audit row of a seed (catalogue changes are the cause
// of a mismatch incident, so they are in audit_log and the postmortem's timeline).
struct SeedAudit {
  std::string actor;   // e.g. the login name
  std::string source;  // the file name
  std::string reason;
};
// What a seed changes against the store: the prices, sale windows and `active` of each course
// that differs, and the new ones (a JSON object for the audit row's details; `summary` for
// people, e.g. "course-cpp sale_price 79000→69000").
struct CatalogChanges {
  nlohmann::json details;
  std::string summary;
};
Result<CatalogChanges> catalog_changes(Store& store, const SeedData& data);
// All of it in one transaction, or nothing; a coupon's course must be in the file or the store.
// With `audit`, one `catalog.seed` audit row in the same transaction.
Status apply_seed(Store& store, const SeedData& data,
                  const std::optional<SeedAudit>& audit = std::nullopt);

// The sample catalogue `demo` uses (and `payedge seed --sample` writes).
SeedData sample_seed(EpochMs now);

}  // namespace payedge
