#include "core/error.h"

#include <gtest/gtest.h>

TEST(ErrorCodes, TableIsIndexedByEnum) {
  for (const auto& e : payedge::all_error_codes()) EXPECT_EQ(&payedge::info(e.code), &e);
}
