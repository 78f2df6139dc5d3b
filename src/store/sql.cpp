#include "store/sql.h"

#include <charconv>

namespace payedge {

Result<bool> Query::step() {
  if (!executed_) {
    auto r = conn_.run(sql_, params_);
    if (!r) return std::unexpected(r.error());
    result_ = std::move(*r);
    executed_ = true;
    next_row_ = 0;
  } else {
    ++next_row_;
  }
  return next_row_ < result_.rows.size();
}

Status Query::run() {
  auto r = step();
  if (!r) return std::unexpected(r.error());
  return {};
}

const std::optional<std::string>& Query::cell(int col) const {
  return result_.rows.at(next_row_).at(static_cast<size_t>(col));
}

std::int64_t Query::int64(int col) const { return opt_int64(col).value_or(0); }

std::optional<std::int64_t> Query::opt_int64(int col) const {
  const auto& c = cell(col);
  if (!c) return std::nullopt;
  std::int64_t v = 0;
  std::from_chars(c->data(), c->data() + c->size(), v);
  return v;
}

bool Query::boolean(int col) const {
  const auto& c = cell(col);
  return c && (*c == "1" || *c == "t" || *c == "true");
}

}  // namespace payedge
