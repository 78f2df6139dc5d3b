#include "logs/table.h"

#include <algorithm>

namespace payedge::logs {
namespace {

bool wide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
}

// Decodes one code point at `i` (advancing it); invalid bytes count as one narrow character.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  char32_t c = extra == 3 ? b & 0x07 : extra == 2 ? b & 0x0F : extra == 1 ? b & 0x1F : b;
  ++i;
  while (extra-- > 0 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) {
    c = (c << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  return c;
}

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < text.size();) w += wide(next_code_point(text, i)) ? 2 : 1;
  return w;
}

std::string fit(std::string_view text, std::size_t width, bool right) {
  std::size_t w = display_width(text);
  std::string out;
  if (w > width) {
    std::size_t i = 0, used = 0;
    while (i < text.size()) {
      std::size_t j = i;
      const std::size_t cw = wide(next_code_point(text, j)) ? 2 : 1;
      if (used + cw + 1 > width) break;
      used += cw;
      i = j;
    }
    out.assign(text.substr(0, i));
    out += "…";
    w = used + 1;
  } else {
    out.assign(text);
  }
  const std::string pad(width > w ? width - w : 0, ' ');
  return right ? pad + out : out + pad;
}

TextTable::TextTable(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

void TextTable::align_right(std::size_t column) { right_.at(column) = true; }

void TextTable::add_row(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

std::string TextTable::render() const {
  std::vector<std::size_t> width(headers_.size(), 0);
  for (std::size_t c = 0; c < headers_.size(); ++c) width[c] = display_width(headers_[c]);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], display_width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const bool last = c + 1 == cells.size();
      std::string cell = last && !right_[c] ? cells[c] : fit(cells[c], width[c], right_[c]);
      out += cell;
      if (!last) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers_);
  std::vector<std::string> rule;
  for (auto w : width) rule.push_back(std::string(w, '-'));
  out += line(rule);
  for (const auto& row : rows_) out += line(row);
  return out;
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (c) out.push_back(',');
    const std::string& v = cells[c];
    if (v.find_first_of(",\"\n\r") == std::string::npos) {
      out += v;
      continue;
    }
    out.push_back('"');
    for (char ch : v) {
      if (ch == '"') out.push_back('"');
      out.push_back(ch);
    }
    out.push_back('"');
  }
  out.push_back('\n');
  return out;
}

}  // namespace payedge::logs
