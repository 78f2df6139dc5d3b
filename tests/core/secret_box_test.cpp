// Webhook secrets at rest: AES-256-GCM round trip; a wrong key or a changed byte never opens.
#include "core/secret_box.h"

#include <gtest/gtest.h>

namespace payedge {
namespace {

const std::string kHexKey = std::string(64, 'a');

TEST(SecretBox, SealsAndOpens) {
  const auto key = parse_secrets_key(kHexKey);
  ASSERT_TRUE(key);
  const std::string sealed = seal_secret(*key, "whsec-rotated-0001");
  EXPECT_TRUE(is_sealed(sealed));
  EXPECT_EQ(sealed.find("whsec"), std::string::npos);
  EXPECT_NE(seal_secret(*key, "whsec-rotated-0001"), sealed);  // a fresh nonce each time
  auto opened = open_secret(*key, sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "whsec-rotated-0001");
}

TEST(SecretBox, WrongKeyOrChangedTextIsRefused) {
  const auto key = *parse_secrets_key(kHexKey);
  const auto other = *parse_secrets_key(std::string(64, 'b'));
  std::string sealed = seal_secret(key, "whsec-rotated-0001");
  EXPECT_FALSE(open_secret(other, sealed));
  // A changed character inside the base64 text (not one of the last, whose low bits may be
  // padding that decoding ignores).
  const size_t at = kSealedPrefix.size() + 20;
  sealed[at] = sealed[at] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(open_secret(key, sealed));
  EXPECT_FALSE(open_secret(key, "enc:v1:"));
  EXPECT_FALSE(open_secret(key, "plain"));
}

TEST(SecretBox, KeysAre32BytesInHexOrBase64) {
  EXPECT_TRUE(parse_secrets_key(kHexKey));
  EXPECT_TRUE(parse_secrets_key("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="));  // 32 bytes
  EXPECT_FALSE(parse_secrets_key("short"));
  EXPECT_FALSE(parse_secrets_key(std::string(63, 'a')));
  EXPECT_FALSE(parse_secrets_key(std::string(64, 'g')));
}

}  // namespace
}  // namespace payedge
