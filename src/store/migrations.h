// The schema, as numbered migrations shared by SQLite and PostgreSQL. `{{ID}}` becomes the
// dialect's auto-increment key; everything else is portable SQL (TEXT times in canonical UTC).
#pragma once

#include <span>
#include <string_view>

namespace payedge {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // statements separated by ';'
};

std::span<const Migration> all_migrations();

}  // namespace payedge
