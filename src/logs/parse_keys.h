// The log reader's key table, shared by its two parsers (fast_path, simdjson_path): a key of a
// log line or of an export row to what it is, by length and one or two 8-byte compares, with
// a cache of the previous line's keys. Internal to src/logs.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "logs/record.h"

namespace payedge::logs::detail {

enum class Key : std::uint8_t {
  kUnknown,
  kTs,
  kString,  // one of Field, see KeyInfo::field
  kOtherString,
  kLatency,
  kHttpStatus,
  kAmount,
  kExpectedAmount,
  kTossHttpStatus,
  kTossLatency,
  kOtherInt,
  kReplayed,
  // The keys of an export row around a log line (a Supabase row or a journald entry). The fast
  // path never reads them: a string, number or nested value under one of these keys makes it
  // give up.
  kEventMessage,  // Supabase: the line as a string
  kMessage,       // journald's MESSAGE: the line as a string (or as an array of its bytes)
  kOuterTs,       // Supabase's timestamp, journald's __REALTIME_TIMESTAMP
  kMetadata,      // Supabase: where the function's name may be
  kFunctionName,
};

struct KeyInfo {
  Key key = Key::kUnknown;
  Field field = Field::kLevel;
};

constexpr KeyInfo str(Field f) { return {Key::kString, f}; }

// Eight bytes as one integer, first byte lowest, whatever the machine's byte order.
inline std::uint64_t load8(const char* p) {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  if constexpr (std::endian::native != std::endian::little) x = __builtin_bswap64(x);
  return x;
}

// The same packing of a name's bytes [from, from + n) (n <= 8), at compile time.
constexpr std::uint64_t pack(std::string_view s, std::size_t from, std::size_t n) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < n; ++i) {
    x |= std::uint64_t{static_cast<unsigned char>(s[from + i])} << (8 * i);
  }
  return x;
}

// A name's packed words for `classify`: for up to 8 bytes its bytes, else its first and last 8.
struct KeyWords {
  std::uint64_t head = 0, tail = 0;
};

template <std::size_t N>
consteval KeyWords key_words(const char (&name)[N]) {
  const std::string_view s(name, N - 1);
  if (s.size() <= 8) return {pack(s, 0, s.size()), 0};
  return {pack(s, 0, 8), pack(s, s.size() - 8, 8)};
}

// A key's words as key_words packs them (n <= 16). Keys are followed by readable bytes (at
// least their closing quote and the parser's padding), so a short key's 8-byte load stays in
// bounds.
inline KeyWords words_of(const char* p, std::size_t n) {
  const std::uint64_t head = n >= 8 ? load8(p) : load8(p) & ((std::uint64_t{1} << (8 * n)) - 1);
  return {head, n > 8 ? load8(p + n - 8) : 0};
}
// A key (between its quotes, escapes not undone) to what it is: by length, then one or two
// 8-byte compares per candidate.
KeyInfo classify(std::string_view k);

// The keys of the last line, by position: lines of one writer list their keys in one order,
// so most keys are known from the line before with one compare instead of a search.
class KeyCache {
 public:
  KeyInfo classify(std::size_t index, std::string_view k) {
    if (index < kSize && k.size() <= 16) {
      Entry& e = entries_[index];
      const std::size_t n = k.size();
      const KeyWords w = words_of(k.data(), n);
      if (e.size == n && e.words.head == w.head && e.words.tail == w.tail) return e.info;
      e = {w, n, detail::classify(k)};
      return e.info;
    }
    return detail::classify(k);
  }

 private:
  static constexpr std::size_t kSize = 32;
  struct Entry {
    KeyWords words;
    std::size_t size = static_cast<std::size_t>(-1);
    KeyInfo info;
  };
  std::array<Entry, kSize> entries_{};
};

// A raw key inside simdjson's buffer, up to its closing quote; a key with an escape is none of
// ours.
inline KeyInfo classify_raw(const char* k) {
  std::size_t n = 0;
  while (n < 32 && k[n] != '"' && k[n] != '\\') ++n;
  return k[n] == '"' ? classify(std::string_view(k, n)) : KeyInfo{};
}

inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool is_digit(char c) { return static_cast<unsigned>(c - '0') <= 9; }

}  // namespace payedge::logs::detail
