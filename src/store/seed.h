// `payedge seed FILE`: courses and coupons from JSON (SPEC section 8) or the same shape in TOML.
#pragma once

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
// All of it in one transaction, or nothing; a coupon's course must be in the file or the store.
Status apply_seed(Store& store, const SeedData& data);

// The sample catalogue `demo` uses (and `payedge seed --sample` writes).
SeedData sample_seed(EpochMs now);

}  // namespace payedge
