#include "obs/mask.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace payedge {

std::string mask_payment_key(std::string_view key) {
  // A card number, phone, e-mail or token sent as a paymentKey is masked as what it is: a card
  // keeps only its last 4 digits, never its first 4 as well.
  if (std::string masked = mask_text(key); masked != key) return masked;
  if (key.size() <= 8) return std::string(key.size(), '*');
  return std::string(key.substr(0, 4)) + std::string(key.size() - 8, '*') +
         std::string(key.substr(key.size() - 4));
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_b64url(char c) { return is_alnum(c) || c == '_' || c == '-'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, size_t pos, std::string_view prefix) {
  if (pos + prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[pos + i]) != prefix[i]) return false;
  }
  return true;
}

size_t span_of(std::string_view s, size_t pos, bool (*pred)(char)) {
  size_t end = pos;
  while (end < s.size() && pred(s[end])) ++end;
  return end;
}

// --- credentials: JWTs, bearer/basic tokens, Toss secret keys, Slack webhooks, key=value ---

constexpr std::array<std::string_view, 6> kSecretKeyPrefixes = {
    "test_sk_", "live_sk_", "test_gsk_", "live_gsk_", "sk_live_", "sk_test_"};
constexpr std::array<std::string_view, 9> kSecretNames = {
    "secret", "password",   "passwd",      "token",        "api_key",
    "apikey", "access_key", "private_key", "authorization"};

bool is_token_char(char c) {
  return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' ||
         c == '=';
}
bool is_url_char(char c) { return is_alnum(c) || std::strchr("-._~:/?#@!$&*+=%", c) != nullptr; }
bool is_value_char(char c) {
  return !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '&' ||
           c == ',' || c == ';' || c == '}' || c == ')' || c == ']');
}

// "eyJ…" "." "…" "." "…": the shape of every JWT (its header is base64url of '{"').
size_t jwt_end(std::string_view s, size_t pos) {
  if (s.substr(pos, 3) != "eyJ") return 0;
  size_t e = span_of(s, pos, is_b64url);
  if (e >= s.size() || s[e] != '.') return 0;
  size_t e2 = span_of(s, e + 1, is_b64url);
  if (e2 == e + 1 || e2 >= s.size() || s[e2] != '.') return 0;
  return span_of(s, e2 + 1, is_b64url);
}

std::string redact_credentials(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const bool boundary = i == 0 || !is_b64url(s[i - 1]);
    if (boundary && s[i] == 'e') {
      if (size_t e = jwt_end(s, i)) {
        out += kRedacted;
        i = e;
        continue;
      }
    }
    if (boundary && (s[i] == 't' || s[i] == 'l' || s[i] == 's')) {
      bool found = false;
      for (auto prefix : kSecretKeyPrefixes) {
        if (s.substr(i, prefix.size()) == prefix) {
          out += kRedacted;
          i = span_of(s, i + prefix.size(), is_word);
          found = true;
          break;
        }
      }
      if (found) continue;
    }
    if (boundary && (starts_with_nocase(s, i, "bearer ") || starts_with_nocase(s, i, "basic "))) {
      size_t start = i + (lower(s[i + 1]) == 'e' ? 7 : 6);
      while (start < s.size() && s[start] == ' ') ++start;
      size_t e = span_of(s, start, is_token_char);
      if (e - start >= 12) {
        out.append(s.substr(i, start - i));
        out += kRedacted;
        i = e;
        continue;
      }
    }
    if (s[i] == 'h' && s.substr(i, 25) == "hooks.slack.com/services/") {
      // Take back the scheme already copied ("https://"), then drop the whole URL.
      size_t back = out.size();
      while (back > 0 && is_url_char(out[back - 1])) --back;
      out.resize(back);
      out += kRedacted;
      i = span_of(s, i, is_url_char);
      continue;
    }
    // secret=..., "password": "...", token: ... — the name ends a word and names a secret.
    if (is_word(s[i]) && (i + 1 == s.size() || !is_word(s[i + 1]))) {
      // Cheap test first (the request path masks every User-Agent): only a word followed by
      // '=' or ':' can name a value; then whether the word names a secret.
      size_t j = i + 1;
      if (j < s.size() && (s[j] == '"' || s[j] == '\'')) ++j;
      while (j < s.size() && s[j] == ' ') ++j;
      bool named = false;
      if (j < s.size() && (s[j] == '=' || s[j] == ':')) {
        for (auto name : kSecretNames) {
          if (i + 1 >= name.size() && starts_with_nocase(s, i + 1 - name.size(), name)) {
            named = true;
            break;
          }
        }
      }
      if (named) {
        ++j;
        while (j < s.size() && s[j] == ' ') ++j;
        if (j < s.size() && (s[j] == '"' || s[j] == '\'')) ++j;
        // "Authorization: Bearer …": the scheme stays, the rule for it takes the token.
        const bool scheme =
            starts_with_nocase(s, j, "bearer ") || starts_with_nocase(s, j, "basic ");
        size_t e = j;
        while (!scheme && e < s.size() && is_value_char(s[e])) ++e;
        if (e > j && s.substr(j, kRedacted.size()) != kRedacted) {
          out.append(s.substr(i, j - i));
          out += kRedacted;
          i = e;
          continue;
        }
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

// --- e-mails ---

bool is_local_char(char c) { return is_alnum(c) || std::strchr("._%+-", c) != nullptr; }
bool is_domain_char(char c) { return is_alnum(c) || c == '-' || c == '.'; }

// The end of a domain with at least one dot and an alphabetic TLD of 2+ letters, or 0.
size_t domain_end(std::string_view s, size_t pos) {
  size_t e = span_of(s, pos, is_domain_char);
  while (e > pos && (s[e - 1] == '.' || s[e - 1] == '-')) --e;  // a sentence's final dot
  const std::string_view domain = s.substr(pos, e - pos);
  const size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return 0;
  const std::string_view tld = domain.substr(dot + 1);
  if (tld.size() < 2 || !std::all_of(tld.begin(), tld.end(), is_alpha)) return 0;
  return e;
}

std::string mask_emails(std::string_view s) {
  if (s.find('@') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  size_t copied = 0;
  for (size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
    if (at < copied) continue;
    size_t start = at;
    while (start > copied && is_local_char(s[start - 1])) --start;
    while (start < at && s[start] == '.') ++start;
    if (start == at) continue;
    const size_t end = domain_end(s, at + 1);
    if (end == 0) continue;
    out.append(s.substr(copied, start - copied));
    out.push_back(s[start]);
    out += "***@";
    out.append(s.substr(at + 1, end - at - 1));
    copied = end;
  }
  out.append(s.substr(copied));
  return out;
}

// --- digit groups: phones and cards ---

struct Group {
  size_t begin, end;  // [begin, end) of the digits
  size_t size() const { return end - begin; }
};

bool is_group_sep(char c) { return c == '-' || c == ' ' || c == '.'; }

// Digit groups joined by single separators, starting at `pos` (a digit).
std::vector<Group> digit_groups(std::string_view s, size_t pos, bool dots) {
  std::vector<Group> groups;
  size_t i = pos;
  while (true) {
    const size_t e = span_of(s, i, is_digit);
    groups.push_back({i, e});
    if (e + 1 < s.size() && (s[e] == '-' || s[e] == ' ' || (dots && s[e] == '.')) &&
        is_digit(s[e + 1])) {
      i = e + 1;
      continue;
    }
    break;
  }
  return groups;
}

void star(std::string& out, std::string_view s, size_t begin, size_t end) {
  for (size_t k = begin; k < end; ++k) out.push_back(is_digit(s[k]) ? '*' : s[k]);
}

// The middle digits to hide when groups a..b are a Korean phone number ({0, 0} when they are
// not): three groups 0XX-XXXX-XXXX (`same_seps`: joined by one kind of separator), or one run.
std::pair<size_t, size_t> phone_middle(std::string_view s, const std::vector<Group>& g, size_t a,
                                       size_t b, bool intl, bool same_seps) {
  if (b == a + 2 && g[a + 1].size() >= 3 && g[a + 1].size() <= 4 && g[b].size() == 4 &&
      (!same_seps || s[g[a].end] == s[g[a + 1].end])) {
    const bool first_ok = intl ? (g[a].size() >= 1 && g[a].size() <= 2 && s[g[a].begin] != '0')
                               : (g[a].size() >= 2 && g[a].size() <= 3 && s[g[a].begin] == '0');
    if (first_ok) return {g[a + 1].begin, g[a + 1].end};
  } else if (b == a) {
    const std::string_view run = s.substr(g[a].begin, g[a].size());
    if (!intl && (run.size() == 10 || run.size() == 11) && run.substr(0, 2) == "01") {
      return {g[a].begin + 3, g[a].end - 4};
    }
    if (intl && (run.size() == 9 || run.size() == 10) && run[0] == '1') {
      return {g[a].begin + 2, g[a].end - 4};
    }
  }
  return {0, 0};
}

// Korean phone numbers: 0XX-XXXX-XXXX (also with spaces or dots), 010XXXXXXXX, +82 forms.
std::string mask_phones(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    bool intl = false;
    if (s[i] == '+' && s.substr(i + 1, 2) == "82" && (i == 0 || !is_alnum(s[i - 1]))) {
      start = i + 3;
      if (start < s.size() && is_group_sep(s[start])) ++start;
      intl = true;
    } else if (!is_digit(s[i]) || (i > 0 && (is_word(s[i - 1]) || s[i - 1] == '.' ||
                                             s[i - 1] == '-' || s[i - 1] == '*'))) {
      out.push_back(s[i++]);
      continue;
    }
    if (start >= s.size() || !is_digit(s[start])) {
      out.push_back(s[i++]);
      continue;
    }
    const auto g = digit_groups(s, start, true);
    const size_t end = g.back().end;
    const bool bounded =
        end == s.size() ||
        !(is_word(s[end]) || s[end] == '*' ||
          ((s[end] == '.' || s[end] == '-') && end + 1 < s.size() && is_digit(s[end + 1])));
    auto [mid_begin, mid_end] = bounded ? phone_middle(s, g, 0, g.size() - 1, intl, false)
                                        : std::pair<size_t, size_t>{0, 0};
    if (mid_end == 0 && g.size() > 1) {
      // A phone inside a longer chain of numbers, set off by spaces: "010-1234-5678 2층",
      // a card number and then a phone.
      size_t copied = i;
      for (size_t a = 0; a < g.size(); ++a) {
        if (a > 0 && s[g[a].begin - 1] != ' ') continue;
        for (const size_t b : {a + 2, a}) {
          if (b >= g.size()) continue;
          const bool after_ok = b + 1 == g.size() ? bounded : s[g[b].end] == ' ';
          if (!after_ok) continue;
          auto [mb, me] = phone_middle(s, g, a, b, intl && a == 0, true);
          if (me == 0) continue;
          out.append(s.substr(copied, mb - copied));
          star(out, s, mb, me);
          copied = me;
          a = b;
          break;
        }
      }
      out.append(s.substr(copied, end - copied));
      i = end;
      continue;
    }
    if (mid_end == 0) {
      out.append(s.substr(i, end - i));
      i = end;
      continue;
    }
    out.append(s.substr(i, mid_begin - i));
    star(out, s, mid_begin, mid_end);
    out.append(s.substr(mid_end, end - mid_end));
    i = end;
  }
  return out;
}

// The layouts card numbers are written in: one run, 4-4-4-4(-3) groups, or Amex/Diners 4-6-5/4-6-4.
bool card_layout(const std::vector<Group>& g, size_t a, size_t b) {
  if (a == b) return true;
  if (b - a == 2 && g[a].size() == 4 && g[a + 1].size() == 6 &&
      (g[b].size() == 5 || g[b].size() == 4)) {
    return true;
  }
  for (size_t k = a; k < b; ++k) {
    if (g[k].size() != 4) return false;
  }
  return g[b].size() <= 4;
}

std::string mask_cards(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (!is_digit(s[i]) || (i > 0 && (is_word(s[i - 1]) || s[i - 1] == '*'))) {
      out.push_back(s[i++]);
      continue;
    }
    auto g = digit_groups(s, i, false);
    size_t end = g.back().end;
    if (end < s.size() && (is_word(s[end]) || s[end] == '*')) {  // part of a longer token
      // ... but the groups before a space may still be a card ("4111… 010****5678").
      if (g.size() > 1 && s[g.back().begin - 1] == ' ') {
        g.pop_back();
        end = g.back().end;
      } else {
        out.append(s.substr(i, end - i));
        i = end;
        continue;
      }
    }
    size_t copied = i;
    for (size_t a = 0; a < g.size(); ++a) {
      for (size_t b = g.size(); b-- > a;) {
        std::string digits;
        for (size_t k = a; k <= b; ++k) digits.append(s.substr(g[k].begin, g[k].size()));
        if (digits.size() < 13 || digits.size() > 19 || !card_layout(g, a, b) ||
            !luhn_valid(digits)) {
          continue;
        }
        // Everything but the last 4 digits of the number becomes '*'.
        size_t keep_from = g[b].end, left = 4;
        while (left > 0) {
          --keep_from;
          if (is_digit(s[keep_from])) --left;
        }
        out.append(s.substr(copied, g[a].begin - copied));
        star(out, s, g[a].begin, keep_from);
        out.append(s.substr(keep_from, g[b].end - keep_from));
        copied = g[b].end;
        a = b;
        break;
      }
    }
    out.append(s.substr(copied, end - copied));
    i = end;
  }
  return out;
}

// --- IPv4 ---

// The end of a dotted quad at `pos`, with its last octet's start, or 0.
size_t ipv4_end(std::string_view s, size_t pos, size_t* last_octet) {
  size_t i = pos;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (i >= s.size() || s[i] != '.') return 0;
      ++i;
    }
    const size_t e = span_of(s, i, is_digit);
    if (e == i || e - i > 3) return 0;
    int v = 0;
    for (size_t k = i; k < e; ++k) v = v * 10 + (s[k] - '0');
    if (v > 255) return 0;
    if (octet == 3) *last_octet = i;
    i = e;
  }
  return i;
}

std::string mask_ipv4s(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t last = 0, end = 0;
    const bool boundary = i == 0 || !(is_word(s[i - 1]) || s[i - 1] == '.');
    // "Chrome/120.0.0.0" is a version, "http://10.0.0.1" an address.
    const bool version = i >= 2 && s[i - 1] == '/' && is_alnum(s[i - 2]);
    if (is_digit(s[i]) && boundary && !version && (end = ipv4_end(s, i, &last)) != 0 &&
        !(end < s.size() &&
          (is_word(s[end]) || (s[end] == '/' && end + 1 < s.size() && is_digit(s[end + 1])) ||
           (s[end] == '.' && end + 1 < s.size() && is_digit(s[end + 1]))))) {
      out.append(s.substr(i, last - i));
      out += "0/24";
      i = end;
      continue;
    }
    if (is_digit(s[i])) {  // skip the whole number so that its tail is not taken for an address
      const size_t e = span_of(s, i, [](char c) { return is_digit(c) || c == '.'; });
      out.append(s.substr(i, e - i));
      i = e;
      continue;
    }
    out.push_back(s[i++]);
  }
  return out;
}

bool name_is(std::string_view name, std::string_view suffix) {
  if (name.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (lower(name[name.size() - suffix.size() + i]) != suffix[i]) return false;
  }
  return true;
}

bool name_contains(std::string_view name, std::string_view part) {
  for (size_t i = 0; i + part.size() <= name.size(); ++i) {
    if (starts_with_nocase(name, i, part)) return true;
  }
  return false;
}

}  // namespace

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (size_t k = digits.size(); k-- > 0;) {
    if (!is_digit(digits[k])) return false;
    int d = digits[k] - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

std::string mask_email(std::string_view email) { return mask_emails(email); }

std::string mask_ip(std::string_view ip) {
  size_t last = 0;
  if (ipv4_end(ip, 0, &last) == ip.size()) return std::string(ip.substr(0, last)) + "0/24";
  if (ip.find(':') != std::string_view::npos && ip.size() < INET6_ADDRSTRLEN) {
    const std::string text(ip);
    unsigned char bytes[16];
    if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
      std::fill(bytes + 6, bytes + 16, 0);
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, bytes, buf, sizeof buf);
      return std::string(buf) + "/48";
    }
  }
  return mask_text(ip);
}

namespace {
std::vector<std::string>& known_secrets() {
  static std::vector<std::string> secrets;
  return secrets;
}
}  // namespace

void add_known_secret(std::string_view secret) {
  if (secret.size() < 8) return;  // too short to find without false hits
  auto& all = known_secrets();
  if (std::find(all.begin(), all.end(), secret) == all.end()) all.emplace_back(secret);
}

namespace {

bool contains_nocase(std::string_view s, std::string_view lower_word) {
  for (size_t i = 0; i + lower_word.size() <= s.size(); ++i) {
    if (starts_with_nocase(s, i, lower_word)) return true;
  }
  return false;
}

// Whether any rule of redact_credentials could apply: each needs one of these (the request
// path masks every User-Agent, and most hold none of them).
bool may_hold_credentials(std::string_view s) {
  return s.find("eyJ") != std::string_view::npos || s.find("sk_") != std::string_view::npos ||
         s.find_first_of("=:") != std::string_view::npos ||
         s.find("hooks.slack.com") != std::string_view::npos || contains_nocase(s, "bearer ") ||
         contains_nocase(s, "basic ");
}

}  // namespace

std::string mask_text(std::string_view text) {
  // Cheap checks first: most log strings (ids, codes, timestamps) hold none of these.
  std::string s = may_hold_credentials(text) ? redact_credentials(text) : std::string(text);
  for (const auto& secret : known_secrets()) {
    for (size_t at = s.find(secret); at != std::string::npos; at = s.find(secret, at)) {
      s.replace(at, secret.size(), kRedacted);
      at += kRedacted.size();
    }
  }
  if (s.find('@') != std::string::npos) s = mask_emails(s);
  // A phone has at least 9 digits (02-123-4567), a card 13, an IPv4 address 4.
  const auto digits = std::count_if(s.begin(), s.end(), is_digit);
  if (digits >= 9) {
    s = mask_phones(s);
    s = mask_cards(s);
  }
  if (digits >= 4 && s.find('.') != std::string::npos) s = mask_ipv4s(s);
  return s;
}

std::string mask_field(std::string_view name, std::string_view value) {
  if (name_is(name, "payment_key") || name_is(name, "paymentkey")) return mask_payment_key(value);
  if (name == "ip" || name_is(name, "_ip") || name_is(name, "_addr") ||
      name_is(name, "forwarded_for")) {
    return mask_ip(value);
  }
  for (auto secret : kSecretNames) {
    if (name_contains(name, secret) && !value.empty()) return std::string(kRedacted);
  }
  return mask_text(value);
}

}  // namespace payedge
