#include "logs/record_parser.h"

#include <simdjson.h>

#if defined(__x86_64__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

namespace payedge::logs {
namespace {

namespace od = simdjson::ondemand;

constexpr std::array<std::string_view, kStringFieldCount> kFieldNames = {
    "level",    "fn",          "request_id",  "status",    "error_code", "user_id", "course_id",
    "order_id", "payment_key", "coupon_code", "toss_code", "ip",         "ua",      "error_detail"};

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

// A key (between its quotes, escapes not undone) to what it is: by length, then one or two
// 8-byte compares per candidate. Keys are followed by readable bytes (at least their closing
// quote and the parser's padding), so a short key's 8-byte load stays in bounds.
// A key's words as key_words packs them (n <= 16).
inline KeyWords words_of(const char* p, std::size_t n) {
  const std::uint64_t head = n >= 8 ? load8(p) : load8(p) & ((std::uint64_t{1} << (8 * n)) - 1);
  return {head, n > 8 ? load8(p + n - 8) : 0};
}

KeyInfo classify(std::string_view k) {
  const std::size_t n = k.size();
  if (n == 20 && k == "__REALTIME_TIMESTAMP") return {Key::kOuterTs};
  if (n < 2 || n > 16) return {};
  const KeyWords key = words_of(k.data(), n);
  auto is = [&](KeyWords w) { return key.head == w.head && key.tail == w.tail; };
  switch (n) {
    case 2:
      if (is(key_words("ts"))) return {Key::kTs};
      if (is(key_words("fn"))) return str(Field::kFn);
      if (is(key_words("ip"))) return str(Field::kIp);
      if (is(key_words("ua"))) return str(Field::kUa);
      break;
    case 5:
      if (is(key_words("level"))) return str(Field::kLevel);
      break;
    case 6:
      if (is(key_words("status"))) return str(Field::kStatus);
      if (is(key_words("amount"))) return {Key::kAmount};
      break;
    case 7:
      if (is(key_words("user_id"))) return str(Field::kUserId);
      if (is(key_words("MESSAGE"))) return {Key::kMessage};
      break;
    case 8:
      if (is(key_words("order_id"))) return str(Field::kOrderId);
      if (is(key_words("replayed"))) return {Key::kReplayed};
      if (is(key_words("metadata"))) return {Key::kMetadata};
      break;
    case 9:
      if (is(key_words("course_id"))) return str(Field::kCourseId);
      if (is(key_words("toss_code"))) return str(Field::kTossCode);
      if (is(key_words("timestamp"))) return {Key::kOuterTs};
      break;
    case 10:
      if (is(key_words("request_id"))) return str(Field::kRequestId);
      if (is(key_words("error_code"))) return str(Field::kErrorCode);
      if (is(key_words("latency_ms"))) return {Key::kLatency};
      if (is(key_words("toss_tries"))) return {Key::kOtherInt};
      break;
    case 11:
      if (is(key_words("payment_key"))) return str(Field::kPaymentKey);
      if (is(key_words("coupon_code"))) return str(Field::kCouponCode);
      if (is(key_words("http_status"))) return {Key::kHttpStatus};
      break;
    case 12:
      if (is(key_words("error_detail"))) return str(Field::kErrorDetail);
      break;
    case 13:
      if (is(key_words("event_message"))) return {Key::kEventMessage};
      if (is(key_words("function_name"))) return {Key::kFunctionName};
      break;
    case 15:
      if (is(key_words("expected_amount"))) return {Key::kExpectedAmount};
      if (is(key_words("toss_latency_ms"))) return {Key::kTossLatency};
      break;
    case 16:
      if (is(key_words("toss_http_status"))) return {Key::kTossHttpStatus};
      break;
    default:
      break;
  }
  return {};
}

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
      e = {w, n, payedge::logs::classify(k)};
      return e.info;
    }
    return payedge::logs::classify(k);
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
KeyInfo classify_raw(const char* k) {
  std::size_t n = 0;
  while (n < 32 && k[n] != '"' && k[n] != '\\') ++n;
  return k[n] == '"' ? classify(std::string_view(k, n)) : KeyInfo{};
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::string_view field_name(Field f) { return kFieldNames[static_cast<std::size_t>(f)]; }

std::optional<Field> parse_field(std::string_view name) {
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

// The writer's form "YYYY-MM-DDTHH:MM:SS.mmmZ": separators and digits checked 8 bytes at a
// time, without a branch per character.
bool fixed_form(std::string_view s) {
  if (s.size() != 24) return false;
  // Per word: which bytes are digits, and what the other bytes must be.
  static constexpr std::uint64_t kDigits[3] = {
      pack(std::string_view("\xff\xff\xff\xff\0\xff\xff\0", 8), 0, 8),
      pack(std::string_view("\xff\xff\0\xff\xff\0\xff\xff", 8), 0, 8),
      pack(std::string_view("\0\xff\xff\0\xff\xff\xff\0", 8), 0, 8)};
  static constexpr std::uint64_t kSeparators[3] = {
      pack(std::string_view("\0\0\0\0-\0\0-", 8), 0, 8),
      pack(std::string_view("\0\0T\0\0:\0\0", 8), 0, 8),
      pack(std::string_view(":\0\0.\0\0\0Z", 8), 0, 8)};
  std::uint64_t wrong = 0;
  for (int w = 0; w < 3; ++w) {
    const std::uint64_t x = load8(s.data() + 8 * w);
    const std::uint64_t d = (x ^ 0x3030303030303030ULL) & kDigits[w];
    wrong |= ((d + 0x7676767676767676ULL) | d) & 0x8080808080808080ULL & kDigits[w];
    wrong |= (x & ~kDigits[w]) ^ kSeparators[w];
  }
  return wrong == 0;
}

std::optional<EpochMs> parse_log_ts(std::string_view s) {
  if (fixed_form(s)) {
    auto num = [&](std::size_t at, std::size_t n) {
      int v = 0;
      for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[at + i] - '0');
      return v;
    };
    const int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
              sec = num(17, 2), ms = num(20, 3);
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || sec > 60) {
      return std::nullopt;
    }
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return std::nullopt;
    return (days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
            h * 3600 + mi * 60 + sec) *
               1000 +
           ms;
  }
  return parse_rfc3339(s);
}

namespace {

// ---- The fast path ----
//
// Most lines are what payedge itself writes: one flat object of ASCII scalars without escapes.
// Those are read here in one pass without simdjson. The fast path accepts only lines that are
// valid JSON and reads them exactly as the simdjson path would; anything else (an escape, a
// nested value, a non-ASCII byte, a wrong type, a Supabase wrapper, a bad number) makes it give
// up, and the simdjson path decides. So what counts as malformed, and why, is decided in one
// place; the fast path only decides how quickly a good line is read.

inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool is_digit(char c) { return static_cast<unsigned>(c - '0') <= 9; }

// Where the quotes of a line are, as bits, built in one vectorised pass that also refuses any
// line with a byte the fast path does not read: a backslash (an escape), a control byte (tabs
// and line breaks included; payedge writes neither) or a non-ASCII byte. So every string of an
// accepted line runs from one quote to the next, the only whitespace is the space, and the
// line is valid UTF-8. AVX-512 or AVX2 when the CPU has them (checked once), SSE2 otherwise.
constexpr std::size_t kMaxPlainLine = 4096;  // longer lines take the simdjson path
constexpr std::size_t kMaskWords = kMaxPlainLine / 64;

// Fills bits[0, words) for the 64-byte blocks at p; returns the bad-byte bits of all blocks
// (before the caller masks off the bytes past the line). Reads whole blocks: the last may run
// up to 63 bytes past the line, which the parser's padding allows.
using MaskFn = std::uint64_t (*)(const char* p, std::size_t words, std::uint64_t* bits,
                                 std::uint64_t tail_keep);

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512bw"))) std::uint64_t mask_avx512(const char* p, std::size_t words,
                                                              std::uint64_t* bits,
                                                              std::uint64_t tail_keep) {
  const __m512i quote = _mm512_set1_epi8('"');
  const __m512i backslash = _mm512_set1_epi8('\\');
  const __m512i space = _mm512_set1_epi8(0x20);
  std::uint64_t bad = 0;
  for (std::size_t w = 0; w < words; ++w) {
    const __m512i v = _mm512_loadu_si512(p + 64 * w);
    const std::uint64_t keep = w + 1 == words ? tail_keep : ~std::uint64_t{0};
    bits[w] = _mm512_cmpeq_epi8_mask(v, quote) & keep;
    // Signed compare: bytes >= 0x80 are negative, so "< 0x20" also finds non-ASCII bytes.
    bad |= (_mm512_cmpeq_epi8_mask(v, backslash) | _mm512_cmplt_epi8_mask(v, space)) & keep;
  }
  return bad;
}

__attribute__((target("avx2"))) std::uint64_t mask_avx2(const char* p, std::size_t words,
                                                        std::uint64_t* bits,
                                                        std::uint64_t tail_keep) {
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i backslash = _mm256_set1_epi8('\\');
  const __m256i space = _mm256_set1_epi8(0x20);
  std::uint64_t bad = 0;
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t q = 0, b = 0;
    for (int half = 0; half < 2; ++half) {
      const __m256i v =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64 * w + 32 * half));
      const auto qh = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, quote)));
      const auto bh = static_cast<std::uint32_t>(_mm256_movemask_epi8(
          _mm256_or_si256(_mm256_cmpeq_epi8(v, backslash), _mm256_cmpgt_epi8(space, v))));
      q |= std::uint64_t{qh} << (32 * half);
      b |= std::uint64_t{bh} << (32 * half);
    }
    const std::uint64_t keep = w + 1 == words ? tail_keep : ~std::uint64_t{0};
    bits[w] = q & keep;
    bad |= b & keep;
  }
  return bad;
}
#endif

std::uint64_t mask_portable(const char* p, std::size_t words, std::uint64_t* bits,
                            std::uint64_t tail_keep) {
  std::uint64_t bad = 0;
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t q = 0, b = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    for (int i = 0; i < 4; ++i) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 64 * w + 16 * i));
      const auto qi = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)));
      const auto bi = static_cast<std::uint32_t>(
          _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmplt_epi8(v, space))));
      q |= std::uint64_t{qi} << (16 * i);
      b |= std::uint64_t{bi} << (16 * i);
    }
#else
    for (int i = 0; i < 64; ++i) {
      const auto c = static_cast<unsigned char>(p[64 * w + i]);
      q |= std::uint64_t{c == '"'} << i;
      b |= std::uint64_t{c == '\\' || c < 0x20 || c >= 0x80} << i;
    }
#endif
    const std::uint64_t keep = w + 1 == words ? tail_keep : ~std::uint64_t{0};
    bits[w] = q & keep;
    bad |= b & keep;
  }
  return bad;
}

bool cpu_has(MaskKernel k) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (k == MaskKernel::kAvx512) return __builtin_cpu_supports("avx512bw");
  if (k == MaskKernel::kAvx2) return __builtin_cpu_supports("avx2");
#else
  if (k != MaskKernel::kPortable) return false;
#endif
  return true;
}

MaskFn mask_fn_of(MaskKernel k) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (k == MaskKernel::kAvx512) return mask_avx512;
  if (k == MaskKernel::kAvx2) return mask_avx2;
#endif
  return mask_portable;
}

MaskKernel best_kernel() {
  for (MaskKernel k : {MaskKernel::kAvx512, MaskKernel::kAvx2}) {
    if (cpu_has(k)) return k;
  }
  return MaskKernel::kPortable;
}

std::atomic<MaskKernel> g_kernel{best_kernel()};
std::atomic<MaskFn> g_mask_fn{mask_fn_of(g_kernel.load())};

class QuoteMask {
 public:
  // `line` is followed by at least 64 readable bytes (the parser's padding).
  bool build(std::string_view line) {
    const std::size_t n = line.size();
    if (n == 0 || n > kMaxPlainLine) return false;
    words_ = (n + 63) / 64;
    const std::size_t tail = n % 64;
    const std::uint64_t keep = tail ? (std::uint64_t{1} << tail) - 1 : ~std::uint64_t{0};
    return g_mask_fn.load(std::memory_order_relaxed)(line.data(), words_, bits_.data(), keep) == 0;
  }

  std::size_t words() const { return words_; }
  std::uint64_t word(std::size_t w) const { return bits_[w]; }

 private:
  std::array<std::uint64_t, kMaskWords> bits_{};
  std::size_t words_ = 0;
};

// The quotes of a QuoteMask in order. A local of the parse loop, so that its state stays in
// registers.
class QuoteCursor {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  explicit QuoteCursor(const QuoteMask& m) : mask_(m), bits_(m.word(0)) {}

  // The next quote not yet taken, or npos.
  std::size_t take() {
    while (bits_ == 0) {
      if (++word_ >= mask_.words()) return npos;
      bits_ = mask_.word(word_);
    }
    const std::size_t at = word_ * 64 + static_cast<std::size_t>(__builtin_ctzll(bits_));
    bits_ &= bits_ - 1;
    return at;
  }

 private:
  const QuoteMask& mask_;
  std::uint64_t bits_;
  std::size_t word_ = 0;
};

struct NumberToken {
  const char* end = nullptr;  // nullptr: not a JSON number
  bool integer = false;       // no fraction, no exponent
  int digits = 0;             // of the integer part
};

// The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
inline NumberToken scan_number(const char* p, const char* end) {
  NumberToken t;
  if (p < end && *p == '-') ++p;
  if (p >= end) return t;
  const char* first = p;
  if (*p == '0') {
    ++p;
  } else if (is_digit(*p)) {
    while (p < end && is_digit(*p)) ++p;
  } else {
    return t;
  }
  t.digits = static_cast<int>(p - first);
  t.integer = true;
  if (p < end && *p == '.') {
    t.integer = false;
    if (++p >= end || !is_digit(*p)) return t;
    while (p < end && is_digit(*p)) ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    t.integer = false;
    if (++p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !is_digit(*p)) return t;
    while (p < end && is_digit(*p)) ++p;
  }
  t.end = p;
  return t;
}

// Up to eight digits at `p` without a branch (reads 8 bytes; the parser's padding allows it):
// how many there are (0: `p` is not a digit; 8: there may be more) and their value.
inline int eight_digits(const char* p, std::uint64_t& value) {
  std::uint64_t x = load8(p) ^ 0x3030303030303030ULL;  // a digit byte is now 0..9
  // Bit 7 of a byte: set for a byte > 9; "| x" catches bytes >= 0x80 (past the line's end).
  const std::uint64_t nondigit = ((x + 0x7676767676767676ULL) | x) & 0x8080808080808080ULL;
  const int n = nondigit ? __builtin_ctzll(nondigit) >> 3 : 8;
  if (n == 0) return 0;
  // Left-align the digits behind zero bytes (leading zeros), then the usual SWAR conversion.
  x <<= 64 - 8 * n;
  x = (x * 10) + (x >> 8);
  x = (((x & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((x >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  value = x;
  return n;
}

struct Number {
  const char* begin = nullptr;
  const char* end = nullptr;
  bool integer = false;  // no fraction, no exponent, at most 18 digits: `value` holds it
  std::int64_t value = 0;
};

// The JSON number at `p`; false when there is none.
inline bool read_number(const char* p, const char* end, Number& out) {
  out.begin = p;
  const bool negative = *p == '-';
  const char* q = p + negative;
  std::uint64_t v = 0;
  const int n = eight_digits(q, v);
  if (n == 0) return false;
  // The common case: a short integer with something after it inside the line.
  if (n < 8 && q + n < end && (n == 1 || *q != '0')) {
    const char next = q[n];
    if (next != '.' && next != 'e' && next != 'E') {
      out.end = q + n;
      out.integer = true;
      out.value = negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
      return true;
    }
  }
  const NumberToken t = scan_number(p, end);
  if (!t.end) return false;
  out.end = t.end;
  out.integer = t.integer && t.digits <= 18;
  if (out.integer) {
    std::int64_t value = 0;
    for (const char* d = q; d < t.end; ++d) value = value * 10 + (*d - '0');
    out.value = negative ? -value : value;
  }
  return true;
}

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
                      const FieldSet& wanted, LogRecord& r, PlainKeys& keys_seen) {
  // A line that ends in '}' has a sentinel: every token below stops at that brace at the
  // latest (no string can contain it, its bit is not a quote), so the loop reads no further
  // than the line without checking for its end at every step.
  if (line.size() < 2 || line.front() != '{' || line.back() != '}' || !quotes.build(line)) {
    return false;
  }
  const char* const base = line.data();
  const char* const end = base + line.size();
  const char* p = base + 1;
  QuoteCursor cursor(quotes);
  auto skip_ws = [&] {
    while (*p == ' ') ++p;
  };
  // `p` is at an opening quote: the string up to the next quote, and `p` after it. Quotes are
  // taken in order, so the next one not taken must be this opening one.
  auto take_string = [&](std::string_view& out) {
    if (cursor.take() != static_cast<std::size_t>(p - base)) return false;
    const std::size_t close = cursor.take();
    if (close == QuoteCursor::npos) return false;
    out = std::string_view(p + 1, base + close - (p + 1));
    p = base + close + 1;
    return true;
  };
  bool has_ts = false;
  for (std::size_t index = 0;; ++index) {
    skip_ws();
    std::string_view key;
    if (*p != '"' || !take_string(key)) return false;
    const KeyInfo info = keys.classify(index, key);
    skip_ws();
    if (*p != ':') return false;
    ++p;
    skip_ws();
    const char c = *p;
    if (c == '"') {
      std::string_view value;
      if (!take_string(value)) return false;
      switch (info.key) {
        case Key::kTs: {
          const auto t = parse_log_ts(value);
          if (!t) return false;
          r.ts = *t;
          has_ts = true;
          break;
        }
        case Key::kString:
          if (wanted.has(info.field)) r.str[static_cast<std::size_t>(info.field)] = value;
          if constexpr (kInner) keys_seen.fn |= info.field == Field::kFn;
          break;
        case Key::kOtherString:
        case Key::kUnknown:
          break;
        default:
          return false;  // a wrong type, or a wrapper
      }
    } else if (c == 'n') {
      if (std::memcmp(p, "null", 4) != 0) return false;
      p += 4;
      if (info.key == Key::kTs || info.key == Key::kEventMessage) return false;
      if constexpr (kInner) keys_seen.fn |= info.key == Key::kString && info.field == Field::kFn;
    } else if (c == 't' || c == 'f') {
      const bool b = c == 't';
      if (b ? std::memcmp(p, "true", 4) != 0 : std::memcmp(p, "false", 5) != 0) return false;
      p += b ? 4 : 5;
      if (info.key == Key::kReplayed) {
        if (wanted.toss) r.replayed = b;
      } else if (info.key != Key::kUnknown) {
        return false;
      }
    } else if (c == '-' || is_digit(c)) {
      Number num;
      if (!read_number(p, end, num)) return false;
      p = num.end;
      switch (info.key) {
        case Key::kUnknown:
          break;
        case Key::kLatency:
        case Key::kTossLatency: {
          double d;
          if (num.integer && *num.begin != '-') {  // "-0" is -0.0, as simdjson reads it
            d = static_cast<double>(num.value);
          } else {
            const auto res = std::from_chars(num.begin, num.end, d);
            if (res.ec != std::errc{} || res.ptr != num.end || !std::isfinite(d)) return false;
          }
          if (info.key == Key::kLatency ? wanted.latency : wanted.toss) {
            (info.key == Key::kLatency ? r.latency_ms : r.toss_latency_ms) = d;
          }
          break;
        }
        case Key::kHttpStatus:
        case Key::kAmount:
        case Key::kExpectedAmount:
        case Key::kTossHttpStatus:
        case Key::kOtherInt: {
          if (!num.integer) return false;
          const std::int64_t v = num.value;
          if (info.key == Key::kHttpStatus && wanted.http) r.http_status = v;
          if (info.key == Key::kAmount && wanted.amounts) r.amount = v;
          if (info.key == Key::kExpectedAmount && wanted.amounts) r.expected_amount = v;
          if (info.key == Key::kTossHttpStatus && wanted.toss) r.toss_http_status = v;
          break;
        }
        default:
          return false;  // a number where a string belongs
      }
    } else {
      return false;  // a nested object or array, or not JSON
    }
    skip_ws();
    if (*p == '}') {
      ++p;
      break;
    }
    if (*p != ',') return false;
    ++p;
  }
  keys_seen.ts = has_ts;
  return p == end;
}

}  // namespace

MaskKernel mask_kernel() { return g_kernel.load(); }

bool use_mask_kernel(MaskKernel k) {
  if (!cpu_has(k)) return false;
  g_kernel = k;
  g_mask_fn = mask_fn_of(k);
  return true;
}

struct RecordParser::Impl {
  FieldSet wanted;
  ParsePath path = ParsePath::kFast;
  QuoteMask quotes;
  KeyCache keys;
  od::parser outer;
  od::parser inner;
  std::vector<char> inner_buf;
  std::vector<char> metadata_buf;  // a CSV row's metadata, padded for simdjson
  std::string json_buf;            // an inner line completed with the row's ts and fn
};

RecordParser::RecordParser(FieldSet wanted, ParsePath path) : impl_(std::make_unique<Impl>()) {
  impl_->wanted = wanted;
  impl_->path = path;
}

RecordParser::~RecordParser() = default;

namespace {

enum class Parsed { kOk, kBad };

// For error messages only.
std::string_view key_name(const KeyInfo& info) {
  switch (info.key) {
    case Key::kTs:
      return "ts";
    case Key::kString:
      return field_name(info.field);
    case Key::kLatency:
      return "latency_ms";
    case Key::kHttpStatus:
      return "http_status";
    case Key::kAmount:
      return "amount";
    case Key::kExpectedAmount:
      return "expected_amount";
    case Key::kTossHttpStatus:
      return "toss_http_status";
    case Key::kTossLatency:
      return "toss_latency_ms";
    case Key::kReplayed:
      return "replayed";
    case Key::kEventMessage:
      return "event_message";
    case Key::kMessage:
      return "MESSAGE";
    case Key::kOuterTs:
      return "timestamp";
    case Key::kMetadata:
      return "metadata";
    case Key::kFunctionName:
      return "function_name";
    case Key::kOtherString:
      return "error_detail";
    case Key::kOtherInt:
      return "toss_tries";
    case Key::kUnknown:
      break;
  }
  return "?";
}

bool is_row_key(Key k) {
  return k == Key::kEventMessage || k == Key::kMessage || k == Key::kOuterTs ||
         k == Key::kMetadata || k == Key::kFunctionName;
}

// What one simdjson pass over an object saw besides the log fields it wrote into the record.
struct ObjectKeys {
  // In: read the keys of an export row around a log line (event_message, MESSAGE, timestamp,
  // metadata, function_name); otherwise they are ignored like any unknown key.
  bool row_keys = false;
  // In: read only those; the log fields are skipped unchecked (an export row's own columns
  // are not the log line's: a drain's `status` may be a number).
  bool row_keys_only = false;

  bool ts = false;
  bool fn = false;          // present, even as null
  bool type_error = false;  // the error was a log field of the wrong type (or a bad ts)
  std::optional<std::string_view> message;  // the log line inside the row
  Key message_key = Key::kEventMessage;
  std::optional<std::string_view> outer_ts;  // raw text; empty: present but not a time
  std::optional<std::string_view> function_name;
  std::string message_bytes;  // journald's MESSAGE given as an array of bytes
};

// Every string under `function_name` in an object, or in the first object of an array (BigQuery
// gives `metadata` as a one-element array). Walks the whole value, so the caller's iteration
// goes on where it should.
simdjson::error_code read_function_name(od::value v, std::optional<std::string_view>& out) {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  auto from_object = [&](od::value obj_value) -> simdjson::error_code {
    od::object obj;
    if (auto e = obj_value.get_object().get(obj)) return e;
    for (auto item : obj) {
      od::field f;
      if (auto e = std::move(item).get(f)) return e;
      const char* k = f.key().raw();
      if (std::strncmp(k, "function_name\"", 14) != 0) continue;
      od::json_type t;
      if (auto e = f.value().type().get(t)) return e;
      std::string_view s;
      if (t == od::json_type::string && f.value().get_string().get(s) == simdjson::SUCCESS) out = s;
    }
    return simdjson::SUCCESS;
  };
  if (type == od::json_type::object) return from_object(v);
  if (type != od::json_type::array) return simdjson::SUCCESS;
  od::array arr;
  if (auto e = v.get_array().get(arr)) return e;
  bool first = true;
  for (auto item : arr) {
    od::value element;
    if (auto e = std::move(item).get(element)) return e;
    if (!first) continue;
    first = false;
    od::json_type t;
    if (auto e = element.type().get(t)) return e;
    if (t == od::json_type::object) {
      if (auto e = from_object(element)) return e;
    }
  }
  return simdjson::SUCCESS;
}

// journald writes a MESSAGE that is not valid UTF-8 as an array of its bytes.
bool read_message_bytes(od::value v, std::string& out) {
  od::array arr;
  if (v.get_array().get(arr)) return false;
  out.clear();
  for (auto item : arr) {
    std::uint64_t b;
    if (item.get_uint64().get(b) || b > 255) return false;
    out.push_back(static_cast<char>(b));
  }
  return true;
}

// One pass over every field of the object: known fields are type-checked, wanted ones read.
Parsed parse_object_unchecked(od::parser& parser, const char* data, std::size_t len,
                              std::size_t capacity, const FieldSet& wanted, LogRecord& r,
                              ObjectKeys& seen, std::string& error);

// simdjson's iterator can still throw on some broken documents (found by the log_line
// fuzzer): a thrown error is a malformed line like any other, never a crash.
Parsed parse_object(od::parser& parser, const char* data, std::size_t len, std::size_t capacity,
                    const FieldSet& wanted, LogRecord& r, ObjectKeys& seen, std::string& error) {
  try {
    return parse_object_unchecked(parser, data, len, capacity, wanted, r, seen, error);
  } catch (const simdjson::simdjson_error& e) {
    error = e.what();
    seen.type_error = false;
    return Parsed::kBad;
  }
}

Parsed parse_object_unchecked(od::parser& parser, const char* data, std::size_t len,
                              std::size_t capacity, const FieldSet& wanted, LogRecord& r,
                              ObjectKeys& seen, std::string& error) {
  od::document doc;
  if (auto e = parser.iterate(data, len, capacity).get(doc)) {
    error = simdjson::error_message(e);
    return Parsed::kBad;
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    error = e == simdjson::INCORRECT_TYPE ? "not a JSON object" : simdjson::error_message(e);
    return Parsed::kBad;
  }
  auto wrong_type = [&](const KeyInfo& info) {
    error = std::string(key_name(info)) + ": wrong type";
    seen.type_error = true;
    return Parsed::kBad;
  };
  for (auto item : obj) {
    od::field field;
    if (auto e = std::move(item).get(field)) {
      error = simdjson::error_message(e);
      return Parsed::kBad;
    }
    // A key with escapes is not one of ours.
    const char* k = field.key().raw();
    const KeyInfo info = classify_raw(k);
    if (info.key == Key::kUnknown) continue;  // skipped when the loop advances
    const bool row_key = is_row_key(info.key);
    if (row_key ? !seen.row_keys : seen.row_keys_only) continue;
    od::value& v = field.value();
    od::json_type type;
    if (auto e = v.type().get(type)) {
      error = simdjson::error_message(e);
      return Parsed::kBad;
    }
    const bool null = type == od::json_type::null;
    if (null) {
      // A literal that merely starts with 'n' (e.g. "nul") must still be rejected.
      if (!v.is_null()) return wrong_type(info);
      if (info.key == Key::kTs) return wrong_type(info);
      if (info.key == Key::kString && info.field == Field::kFn) seen.fn = true;
      continue;
    }
    switch (info.key) {
      case Key::kTs: {
        // Read in place: a timestamp has no escapes (one that does is not RFC 3339 anyway),
        // and this saves copying every line's ts into the parser's string buffer.
        od::raw_json_string raw;
        if (type != od::json_type::string || v.get_raw_json_string().get(raw)) {
          return wrong_type(info);
        }
        const char* p = raw.raw();
        std::size_t n = 0;
        while (p[n] != '"' && p[n] != '\\') ++n;  // simdjson found the closing quote
        const auto t = p[n] == '"' ? parse_log_ts(std::string_view(p, n)) : std::nullopt;
        if (!t) {
          error = "ts: not an RFC 3339 time";
          seen.type_error = true;
          return Parsed::kBad;
        }
        r.ts = *t;
        seen.ts = true;
        break;
      }
      case Key::kString:
      case Key::kOtherString: {
        // Unescaped even when not wanted: a bad escape makes the line malformed for every query.
        if (type != od::json_type::string) return wrong_type(info);
        std::string_view s;
        if (auto e = v.get_string().get(s)) {
          error = std::string(key_name(info)) + ": " + simdjson::error_message(e);
          return Parsed::kBad;
        }
        if (info.key == Key::kString && wanted.has(info.field)) {
          r.str[static_cast<std::size_t>(info.field)] = s;
        }
        if (info.key == Key::kString && info.field == Field::kFn) seen.fn = true;
        break;
      }
      case Key::kEventMessage:
      case Key::kMessage: {
        std::string_view s;
        if (type == od::json_type::string) {
          if (auto e = v.get_string().get(s)) {
            error = std::string(key_name(info)) + ": " + simdjson::error_message(e);
            return Parsed::kBad;
          }
        } else if (info.key == Key::kMessage && type == od::json_type::array &&
                   read_message_bytes(v, seen.message_bytes)) {
          s = seen.message_bytes;
        } else {
          break;  // not a log line: the row is judged without it
        }
        seen.message = s;
        seen.message_key = info.key;
        break;
      }
      case Key::kOuterTs:
        if (type == od::json_type::number) {
          std::string_view token = v.raw_json_token();
          while (!token.empty() && is_ws(token.back())) token.remove_suffix(1);
          seen.outer_ts = token;
        } else if (type == od::json_type::string) {
          std::string_view s;
          if (auto e = v.get_string().get(s)) {
            error = std::string(key_name(info)) + ": " + simdjson::error_message(e);
            return Parsed::kBad;
          }
          seen.outer_ts = s;
        } else {
          seen.outer_ts = std::string_view();
        }
        break;
      case Key::kMetadata:
        if (auto e = read_function_name(v, seen.function_name)) {
          error = std::string("metadata: ") + simdjson::error_message(e);
          return Parsed::kBad;
        }
        break;
      case Key::kFunctionName:
        if (type == od::json_type::string) {
          std::string_view s;
          if (v.get_string().get(s) == simdjson::SUCCESS) seen.function_name = s;
        }
        break;
      case Key::kReplayed: {
        bool b;
        if (type != od::json_type::boolean || v.get_bool().get(b)) return wrong_type(info);
        if (wanted.toss) r.replayed = b;
        break;
      }
      case Key::kLatency:
      case Key::kTossLatency: {
        if (type != od::json_type::number) return wrong_type(info);
        double d;
        if (v.get_double().get(d)) return wrong_type(info);
        const bool want = info.key == Key::kLatency ? wanted.latency : wanted.toss;
        if (want) (info.key == Key::kLatency ? r.latency_ms : r.toss_latency_ms) = d;
        break;
      }
      default: {  // integers
        if (type != od::json_type::number) return wrong_type(info);
        // Parsed even when not wanted, so that what is malformed does not depend on the query.
        std::optional<std::int64_t> scratch;
        std::optional<std::int64_t>* slot = &scratch;
        if (info.key == Key::kAmount && wanted.amounts) slot = &r.amount;
        if (info.key == Key::kExpectedAmount && wanted.amounts) slot = &r.expected_amount;
        if (info.key == Key::kTossHttpStatus && wanted.toss) slot = &r.toss_http_status;
        if (info.key == Key::kHttpStatus && wanted.http) slot = &r.http_status;
        od::number n;
        if (v.get_number().get(n)) return wrong_type(info);
        if (n.is_int64()) {
          *slot = n.get_int64();
        } else if (n.is_uint64()) {
          return wrong_type(info);
        } else {
          const double d = n.get_double();
          // Range first: casting 1e33 to int64 is undefined (found by the log_line fuzzer).
          if (!(d >= -9.2e18 && d <= 9.2e18) || d != std::trunc(d)) return wrong_type(info);
          *slot = static_cast<std::int64_t>(d);
        }
        break;
      }
    }
  }
  // Anything after the object ("{...} {...}", "{...}}") makes the line malformed.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) {
    error = "trailing content after the object";
    seen.type_error = false;
    return Parsed::kBad;
  }
  return Parsed::kOk;
}

// A Supabase Edge Function's name (its URL slug); anything else in `function_name` is ignored.
bool is_function_slug(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
      return false;
  }
  return true;
}

// The runbook's function: lines of the original Edge Function that no row names are its.
constexpr std::string_view kDefaultFn = "confirm-payment";

}  // namespace

std::optional<EpochMs> parse_export_timestamp(std::string_view s) {
  // 16 digits: microseconds since the epoch (2001-09-09 to 2286), as Logflare stores them and
  // journald writes __REALTIME_TIMESTAMP. Fewer or more digits would be another unit: refused
  // rather than read as a time decades off.
  if (s.size() == 16 && std::all_of(s.begin(), s.end(), is_digit)) {
    std::int64_t us = 0;
    std::from_chars(s.data(), s.data() + s.size(), us);
    return us / 1000;
  }
  if (auto t = parse_rfc3339(s)) return t;
  // ISO 8601 without a zone ("2026-06-22T09:34:06.215000", or with a space): UTC, as the Logs
  // Explorer's DateTime64 column is.
  if (s.size() >= 19 && s.size() < 40 && is_digit(s.back())) {
    char buf[48];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 'Z';
    return parse_rfc3339(std::string_view(buf, s.size() + 1));
  }
  return std::nullopt;
}

LineKind RecordParser::parse(std::string_view line, LogRecord& r) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  std::size_t lead = 0;
  while (lead < line.size() && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
  line.remove_prefix(lead);
  if (line.empty()) return LineKind::kBlank;
  r.clear();
  if (impl_->path == ParsePath::kFast) {
    PlainKeys keys;
    if (parse_plain_line<false>(line, impl_->quotes, impl_->keys, impl_->wanted, r, keys) &&
        keys.ts) {
      ++fast_reads_;
      r.json = line;
      return LineKind::kRecord;
    }
    r.clear();
  }
  ObjectKeys seen;
  seen.row_keys = true;
  if (parse_object(impl_->outer, line.data(), line.size(), line.size() + kLinePadding,
                   impl_->wanted, r, seen, error_) != Parsed::kOk) {
    if (!seen.type_error) return LineKind::kMalformed;
    // A log field of the wrong type is fine in an export row around a log line: read the row
    // again for its own keys only; without a line inside, the first error stands.
    std::string first = std::move(error_);
    r.clear();
    seen = ObjectKeys{};
    seen.row_keys = seen.row_keys_only = true;
    if (parse_object(impl_->outer, line.data(), line.size(), line.size() + kLinePadding,
                     impl_->wanted, r, seen, error_) != Parsed::kOk ||
        !seen.message) {
      error_ = std::move(first);
      return LineKind::kMalformed;
    }
  } else if (seen.ts) {
    r.json = line;
    return LineKind::kRecord;
  }
  if (!seen.message) {
    error_ = "no ts field";
    return LineKind::kMalformed;
  }
  return unwrap(*seen.message, seen.message_key == Key::kMessage ? "MESSAGE" : "event_message",
                seen.outer_ts, seen.function_name, std::nullopt, r);
}

LineKind RecordParser::parse_row(const ExportRow& row, LogRecord& r) {
  r.clear();
  if (!row.event_message) {
    error_ = "the row has no event_message field";
    return LineKind::kMalformed;
  }
  return unwrap(*row.event_message, "event_message", row.timestamp, row.function_name, row.metadata,
                r);
}

LineKind RecordParser::unwrap(std::string_view message, std::string_view key,
                              std::optional<std::string_view> outer_ts,
                              std::optional<std::string_view> function_name,
                              std::optional<std::string_view> metadata, LogRecord& r) {
  // The log line is the JSON text inside the row: copied so that it has the parser's padding.
  auto& buf = impl_->inner_buf;
  const std::size_t n = message.size();
  if (buf.size() < n + kLinePadding) buf.resize(n + kLinePadding);
  std::memcpy(buf.data(), message.data(), n);
  std::memset(buf.data() + n, ' ', kLinePadding);
  std::string_view inner(buf.data(), n);
  while (!inner.empty() && is_ws(inner.back())) inner.remove_suffix(1);
  while (!inner.empty() && is_ws(inner.front())) inner.remove_prefix(1);
  r.clear();
  PlainKeys keys;
  bool read = false;
  if (impl_->path == ParsePath::kFast) {
    read = parse_plain_line<true>(inner, impl_->quotes, impl_->keys, impl_->wanted, r, keys);
    if (read) {
      ++fast_reads_;
    } else {
      r.clear();
      keys = {};
    }
  }
  if (!read) {
    ObjectKeys seen;
    if (parse_object(impl_->inner, buf.data(), n, buf.size(), impl_->wanted, r, seen, error_) !=
        Parsed::kOk) {
      error_ = std::string(key) + ": " + error_;
      return LineKind::kMalformed;
    }
    keys.ts = seen.ts;
    keys.fn = seen.fn;
  }
  // The original Edge Function's lines have no ts: the row's timestamp is the event time.
  if (!keys.ts) {
    if (!outer_ts) {
      error_ = std::string(key) + ": no ts field, and the row has no timestamp";
      return LineKind::kMalformed;
    }
    const auto t = parse_export_timestamp(*outer_ts);
    if (!t) {
      error_ = "timestamp: neither microseconds since the epoch (16 digits) nor ISO 8601";
      return LineKind::kMalformed;
    }
    r.ts = *t;
  }
  // ... and no fn: the function the row names, else the runbook's confirm-payment. (A line with
  // its own ts is payedge's and is taken as it is.)
  std::string_view fn;
  if (!keys.ts && !keys.fn) {
    fn = kDefaultFn;
    if (function_name && is_function_slug(*function_name)) {
      fn = *function_name;
    } else if (metadata && (impl_->wanted.has(Field::kFn) || impl_->wanted.json)) {
      // A CSV row's metadata column is JSON text; read only when the answer needs the name.
      auto& mb = impl_->metadata_buf;
      if (mb.size() < metadata->size() + kLinePadding) mb.resize(metadata->size() + kLinePadding);
      std::memcpy(mb.data(), metadata->data(), metadata->size());
      std::memset(mb.data() + metadata->size(), ' ', kLinePadding);
      std::optional<std::string_view> name;
      try {
        od::document doc;
        od::value v;
        if (impl_->outer.iterate(mb.data(), metadata->size(), mb.size()).get(doc) ==
                simdjson::SUCCESS &&
            doc.get_value().get(v) == simdjson::SUCCESS) {
          read_function_name(v, name);
        }
      } catch (const simdjson::simdjson_error&) {
        name.reset();  // metadata is the platform's, not the log line: never malformed for it
      }
      if (name && is_function_slug(*name)) fn = *name;
    }
    if (impl_->wanted.has(Field::kFn)) r.str[static_cast<std::size_t>(Field::kFn)] = fn;
  }
  r.wrapped = true;
  r.json = inner;
  if (!keys.ts && impl_->wanted.json) {
    // Printed lines (query, export, sample) are complete SPEC section 7 lines.
    std::string& j = impl_->json_buf;
    j.assign("{");
    if (!keys.ts) j.append("\"ts\":\"").append(format_utc(r.ts)).append("\",");
    if (!fn.empty()) j.append("\"fn\":\"").append(fn).append("\",");
    std::string_view rest = inner.substr(1);
    while (!rest.empty() && is_ws(rest.front())) rest.remove_prefix(1);
    if (rest.front() == '}') j.pop_back();
    j.append(rest);
    r.json = j;
  }
  return LineKind::kRecord;
}

}  // namespace payedge::logs
