#include "core/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>

#include "core/codec.h"

namespace payedge {
namespace {

constexpr size_t kKeyBytes = 32, kNonceBytes = 12, kTagBytes = 16;
// Binds a sealed value to what it is: a text sealed for something else does not open here.
constexpr std::string_view kAad = "payedge webhook secret v1";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::optional<std::string> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); i += 2) {
    int v = 0;
    for (char c : text.substr(i, 2)) {
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return std::nullopt;
    }
    out.push_back(static_cast<char>(v));
  }
  return out;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Result<std::string> parse_secrets_key(std::string_view text) {
  std::optional<std::string> key =
      text.size() == 2 * kKeyBytes ? from_hex(text) : base64_decode(text);
  if (!key || key->size() != kKeyBytes) {
    return fail(ErrorCode::kInvalidRequest,
                "PAYEDGE_SECRETS_KEY must be 32 bytes: 64 hex digits or base64 "
                "(openssl rand -base64 32)");
  }
  return *key;
}

bool is_sealed(std::string_view text) { return text.starts_with(kSealedPrefix); }

std::string seal_secret(std::string_view key, std::string_view plaintext) {
  if (key.size() != kKeyBytes) std::abort();  // a broken invariant: keys come parsed
  unsigned char nonce[kNonceBytes];
  if (RAND_bytes(nonce, sizeof nonce) != 1) std::abort();  // no randomness: nothing is safe
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  std::copy(nonce, nonce + kNonceBytes, o);
  int len = 0, total = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(kAad), static_cast<int>(kAad.size())) ==
          1 &&
      EVP_EncryptUpdate(ctx.get(), o + kNonceBytes, &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      (total = len, EVP_EncryptFinal_ex(ctx.get(), o + kNonceBytes + total, &len) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          o + kNonceBytes + plaintext.size()) == 1;
  if (!ok) std::abort();  // OpenSSL failing on valid sizes: nothing sensible to do
  return std::string(kSealedPrefix) + base64_encode(out);
}

Result<std::string> open_secret(std::string_view key, std::string_view sealed) {
  auto refused = [] {
    return fail(ErrorCode::kInternal,
                "a stored webhook secret does not open with PAYEDGE_SECRETS_KEY (wrong key, or "
                "the value was changed)");
  };
  if (!is_sealed(sealed) || key.size() != kKeyBytes) return refused();
  auto raw = base64_decode(sealed.substr(kSealedPrefix.size()));
  if (!raw || raw->size() < kNonceBytes + kTagBytes) return refused();
  const auto* in = bytes(*raw);
  const size_t n = raw->size() - kNonceBytes - kTagBytes;
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  std::string tag = raw->substr(kNonceBytes + n);
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), in) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(kAad), static_cast<int>(kAad.size())) ==
          1 &&
      EVP_DecryptUpdate(ctx.get(), o, &len, in + kNonceBytes, static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), o + len, &len) == 1;
  if (!ok) return refused();
  return out;
}

}  // namespace payedge
