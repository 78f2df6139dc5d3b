#include "logs/filter.h"

namespace payedge::logs {

RecordFilter::RecordFilter(FilterSpec spec) : spec_(std::move(spec)) {
  auto add = [&](Field f, const std::vector<std::string>& values) {
    if (!values.empty()) clauses_.push_back({f, values});
  };
  add(Field::kFn, spec_.fn);
  add(Field::kStatus, spec_.status);
  add(Field::kErrorCode, spec_.error_code);
  add(Field::kUserId, spec_.user);
  add(Field::kCourseId, spec_.course);
}

FieldSet RecordFilter::fields() const {
  FieldSet s;
  if (!spec_.exclude_fn.empty()) s.add(Field::kFn);
  for (const auto& c : clauses_) s.add(c.field);
  return s;
}

std::optional<EpochMs> parse_time_bound(std::string_view text, EpochMs now) {
  if (text == "now") return now;
  if (!text.empty() && text.front() == '-') {
    const auto d = parse_duration_ms(text.substr(1));
    if (!d) return std::nullopt;
    return now - *d;
  }
  if (auto t = parse_rfc3339(text)) return t;
  // "2h" alone: a duration, read as "2 hours ago" (a bare number would be a year-less date).
  if (!text.empty() && text.back() >= 'a' && text.back() <= 'z') {
    if (const auto d = parse_duration_ms(text)) return now - *d;
  }
  return std::nullopt;
}

std::vector<std::string> split_values(const std::vector<std::string>& raw) {
  std::vector<std::string> out;
  for (const auto& r : raw) {
    std::size_t start = 0;
    while (start <= r.size()) {
      std::size_t comma = r.find(',', start);
      if (comma == std::string::npos) comma = r.size();
      if (comma > start) out.push_back(r.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace payedge::logs
