// The fast path of the log reader: a plain line (one flat object of ASCII scalars without
// escapes, as payedge writes) read in one pass without simdjson; anything else is left to the
// simdjson path (simdjson_path.h), which alone decides what is malformed. Internal to src/logs.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "logs/parse_keys.h"
#include "logs/record.h"

namespace payedge::logs::detail {

// Where the quotes of a line are, as bits, built in one vectorised pass that also refuses any
// line with a byte the fast path does not read: a backslash (an escape), a control byte (tabs
// and line breaks included; payedge writes neither) or a non-ASCII byte. So every string of an
// accepted line runs from one quote to the next, the only whitespace is the space, and the
// line is valid UTF-8. AVX-512 or AVX2 when the CPU has them (checked once), SSE2 otherwise.
constexpr std::size_t kMaxPlainLine = 4096;  // longer lines take the simdjson path
constexpr std::size_t kMaskWords = kMaxPlainLine / 64;

class QuoteMask {
 public:
  // `line` is followed by at least 64 readable bytes (the parser's padding).
  bool build(std::string_view line);  // false: a byte the fast path does not read

  std::size_t words() const { return words_; }
  std::uint64_t word(std::size_t w) const { return bits_[w]; }

 private:
  std::array<std::uint64_t, kMaskWords> bits_{};
  std::size_t words_ = 0;
};

// What the fast path saw besides the fields; `fn` is tracked only for lines inside an export
// row (kInner), which take a default when they have none.
struct PlainKeys {
  bool ts = false;
  bool fn = false;  // present, even as null
};

// True when the line was read — a flat object, with or without `ts` (see `keys_seen`); false
// means "let the simdjson path decide" (`r` is then partly written and must be cleared).
template <bool kInner>
bool parse_plain_line(std::string_view line, QuoteMask& quotes, KeyCache& keys,
                      const FieldSet& wanted, LogRecord& r, PlainKeys& keys_seen);

}  // namespace payedge::logs::detail
