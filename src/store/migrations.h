// The schema, as numbered migrations shared by SQLite and PostgreSQL. `{{ID}}` becomes the
// dialect's auto-increment key; everything else is portable SQL (TEXT times in canonical UTC).
#pragma once

#include <span>
#include <string_view>

#include "core/error.h"

namespace payedge {

// Expand/contract: a migration is `expand` when it only adds (tables, nullable or defaulted
// columns, indexes), so that a build one release older keeps reading and writing correctly
// against the newer schema — what a rolling upgrade needs while old and new instances serve
// together. Anything else (a drop, a rename, a table rebuild, a new constraint) is a contract
// step and comes in a later release than the code that stopped needing the old shape.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // statements separated by ';'
  bool expand = false;
};

// From this version on, schema_migrations records whether each migration was `expand`.
inline constexpr int kExpandColumnVersion = 7;

// The migrations this binary knows. PAYEDGE_SCHEMA_VERSION=N makes it act as a build that
// knows only 1..N (upgrade drills: an older build beside a newer one, tests/integration).
std::span<const Migration> all_migrations();

// The newest version this binary knows.
int latest_schema_version();

// A store whose schema is newer than this binary's was migrated by a newer payedge. When every
// newer migration is `expand` (recorded in the store), this binary still works against it;
// otherwise running could write rows the newer code does not expect, so it refuses. The error
// says so (E_INTERNAL with the two versions); an older or equal schema is fine.
Status check_schema_version(int store_version, bool newer_are_expand = false);

}  // namespace payedge
