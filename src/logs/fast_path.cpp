#include "logs/fast_path.h"

#if defined(__x86_64__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>

#include "logs/record_parser.h"

namespace payedge::logs {
namespace detail {
namespace {

// ---- The fast path ----
//
// Most lines are what payedge itself writes: one flat object of ASCII scalars without escapes.
// Those are read here in one pass without simdjson. The fast path accepts only lines that are
// valid JSON and reads them exactly as the simdjson path would; anything else (an escape, a
// nested value, a non-ASCII byte, a wrong type, a Supabase wrapper, a bad number) makes it give
// up, and the simdjson path decides. So what counts as malformed, and why, is decided in one
// place; the fast path only decides how quickly a good line is read.

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

}  // namespace

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

bool QuoteMask::build(std::string_view line) {
  const std::size_t n = line.size();
  if (n == 0 || n > kMaxPlainLine) return false;
  words_ = (n + 63) / 64;
  const std::size_t tail = n % 64;
  const std::uint64_t keep = tail ? (std::uint64_t{1} << tail) - 1 : ~std::uint64_t{0};
  return g_mask_fn.load(std::memory_order_relaxed)(line.data(), words_, bits_.data(), keep) == 0;
}

template bool parse_plain_line<false>(std::string_view, QuoteMask&, KeyCache&, const FieldSet&,
                                      LogRecord&, PlainKeys&);
template bool parse_plain_line<true>(std::string_view, QuoteMask&, KeyCache&, const FieldSet&,
                                     LogRecord&, PlainKeys&);

}  // namespace detail

MaskKernel mask_kernel() { return detail::g_kernel.load(); }

bool use_mask_kernel(MaskKernel k) {
  if (!detail::cpu_has(k)) return false;
  detail::g_kernel = k;
  detail::g_mask_fn = detail::mask_fn_of(k);
  return true;
}

}  // namespace payedge::logs
