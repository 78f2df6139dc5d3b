// Text tables and CSV for `--format table|csv`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace payedge::logs {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);
  void align_right(std::size_t column);
  void add_row(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  // Columns padded to their widest cell, two spaces apart, a rule under the header.
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// One RFC 4180 record with its CRLF-free line end ("\n").
std::string csv_line(const std::vector<std::string>& cells);

// Terminal columns of UTF-8 text: East Asian wide characters (Hangul, CJK) count two.
std::size_t display_width(std::string_view text);

// `text` cut to `width` columns (with "…" when cut) or padded with spaces to it.
std::string fit(std::string_view text, std::size_t width, bool right = false);

}  // namespace payedge::logs
