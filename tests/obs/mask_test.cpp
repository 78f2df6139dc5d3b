// SPEC section 11: a payment_key keeps its first 4 and last 4 characters.
#include "obs/mask.h"

#include <gtest/gtest.h>

#include <string>

namespace payedge {
namespace {

TEST(MaskPaymentKey, KeepsFirstFourAndLastFour) {
  EXPECT_EQ(mask_payment_key("tgen_20261126abcdEFGH1234"), "tgen*****************1234");
}

TEST(MaskPaymentKey, KeepsTheLength) {
  for (size_t n : {0u, 1u, 8u, 9u, 20u, 200u}) {
    SCOPED_TRACE(n);
    EXPECT_EQ(mask_payment_key(std::string(n, 'k')).size(), n);
  }
}

TEST(MaskPaymentKey, HidesTheMiddle) {
  const std::string key = "5zJ4xY7m0kQvWn2pLr8tBcDe";
  const std::string masked = mask_payment_key(key);
  EXPECT_EQ(masked.substr(0, 4), "5zJ4");
  EXPECT_EQ(masked.substr(masked.size() - 4), "BcDe");
  EXPECT_EQ(masked.substr(4, masked.size() - 8), std::string(key.size() - 8, '*'));
  EXPECT_EQ(masked.find("xY7m"), std::string::npos);
}

TEST(MaskPaymentKey, NineCharactersMaskOne) {
  EXPECT_EQ(mask_payment_key("abcdXwxyz"), "abcd*wxyz");
}

TEST(MaskPaymentKey, EightOrFewerCharactersAreMaskedWhole) {
  // Keeping 4 + 4 of an 8-character key would reveal all of it.
  EXPECT_EQ(mask_payment_key("abcdwxyz"), "********");
  EXPECT_EQ(mask_payment_key("abcde"), "*****");
  EXPECT_EQ(mask_payment_key("a"), "*");
  EXPECT_EQ(mask_payment_key(""), "");
}

TEST(MaskPaymentKey, LongKey) {
  const std::string key = "tviva" + std::string(190, 'x') + "Z9y8x";
  EXPECT_EQ(mask_payment_key(key), "tviv" + std::string(192, '*') + "9y8x");
}

TEST(MaskPaymentKey, AlreadyMaskedStaysTheSame) {
  const std::string once = mask_payment_key("tgen_20261126abcdEFGH1234");
  EXPECT_EQ(mask_payment_key(once), once);
}

}  // namespace
}  // namespace payedge
