// The filters of SPEC section 8 (`--fn --status --error-code --user --course --since
// --until`), combined with AND; a filter given several values (repeated or comma-separated)
// matches any of them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "logs/record.h"

namespace payedge::logs {

struct FilterSpec {
  std::vector<std::string> fn, status, error_code, user, course;
  // Lines of these functions are left out (request statistics without the background lines);
  // a line without fn is kept.
  std::vector<std::string> exclude_fn;
  std::optional<EpochMs> since;  // inclusive
  std::optional<EpochMs> until;  // exclusive
};

class RecordFilter {
 public:
  RecordFilter() = default;
  explicit RecordFilter(FilterSpec spec);

  bool match(const LogRecord& r) const {
    if (spec_.since && r.ts < *spec_.since) return false;
    if (spec_.until && r.ts >= *spec_.until) return false;
    if (!spec_.exclude_fn.empty()) {
      if (const auto& fn = r.get(Field::kFn)) {
        for (const auto& no : spec_.exclude_fn) {
          if (*fn == no) return false;
        }
      }
    }
    for (const auto& c : clauses_) {
      const auto& v = r.get(c.field);
      if (!v) return false;
      bool any = false;
      for (const auto& want : c.values) any = any || *v == want;
      if (!any) return false;
    }
    return true;
  }
  // The fields match() reads.
  FieldSet fields() const;
  const FilterSpec& spec() const { return spec_; }

 private:
  struct Clause {
    Field field;
    std::vector<std::string> values;
  };
  FilterSpec spec_;
  std::vector<Clause> clauses_;
};

// The functions whose lines are not requests: the periodic reconciler, the dashboard's own
// polling, the Toss client's transport failures (each also logged under its request).
inline const std::vector<std::string>& background_fns() {
  static const std::vector<std::string> fns = {"reconciler", "admin-poll", "toss-client"};
  return fns;
}

// "2026-11-26T01:02:03Z", "2026-11-26T10:00:00+09:00", "2026-11-26" (midnight UTC), "now",
// or relative to `now`: "-2h", "-30m", "-7d" (also without the sign: "2h" means 2 hours ago).
std::optional<EpochMs> parse_time_bound(std::string_view text, EpochMs now);

// "a,b" and repeated flags → {"a", "b"}; empty items dropped.
std::vector<std::string> split_values(const std::vector<std::string>& raw);

}  // namespace payedge::logs
