#include "cli/table.h"

#include <algorithm>
#include <cassert>

namespace taskly::cli {
namespace {

// Display width: the number of UTF-8 code points (continuation bytes do not count).
size_t Width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void PrintRow(std::ostream& out, const std::vector<std::string>& cells,
              const std::vector<size_t>& widths) {
  for (size_t i = 0; i < cells.size(); ++i) {
    out << cells[i];
    if (i + 1 < cells.size()) out << std::string(widths[i] - Width(cells[i]) + 2, ' ');
  }
  out << '\n';
}

}  // namespace

void Table::add_row(std::vector<std::string> cells) {
  assert(cells.size() == headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = Width(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  PrintRow(out, headers_, widths);
  for (const auto& row : rows_) PrintRow(out, row, widths);
}

void KeyValues::add(std::string key, std::string value) {
  items_.emplace_back(std::move(key) + ":", std::move(value));
}

void KeyValues::print(std::ostream& out) const {
  size_t width = 0;
  for (const auto& [key, value] : items_) width = std::max(width, Width(key));
  for (const auto& [key, value] : items_) {
    out << key << std::string(width - Width(key) + 2, ' ');
    for (char c : value) {
      out << c;
      if (c == '\n') out << std::string(width + 2, ' ');
    }
    out << '\n';
  }
}

std::string Shorten(const std::string& text, size_t max) {
  std::string line;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const bool starts_char = (byte & 0xC0) != 0x80;
    if (starts_char) {
      if (chars == max) {
        // Cut: drop characters until "..." fits.
        size_t keep = line.size();
        for (int dropped = 0; dropped < 3 && keep > 0;) {
          --keep;
          if ((static_cast<unsigned char>(line[keep]) & 0xC0) != 0x80) ++dropped;
        }
        return line.substr(0, keep) + "...";
      }
      ++chars;
    }
    line += (text[i] == '\n' || text[i] == '\t' || text[i] == '\r') ? ' ' : text[i];
  }
  return line;
}

}  // namespace taskly::cli
