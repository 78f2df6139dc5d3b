// The schema, as numbered migrations shared by SQLite and PostgreSQL. `{{ID}}` becomes the
// dialect's auto-increment key; everything else is portable SQL (TEXT times in canonical UTC).
#pragma once

#include <span>
#include <string_view>

#include "core/error.h"

namespace payedge {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // statements separated by ';'
};

std::span<const Migration> all_migrations();

// The newest version this binary knows.
int latest_schema_version();

// A store whose schema is newer than this binary's was migrated by a newer payedge: running
// against it could write rows the newer code does not expect, so this binary refuses. The
// error says so (E_INTERNAL with the two versions); an older or equal schema is fine.
Status check_schema_version(int store_version);

}  // namespace payedge
