// Plain-text output for people: aligned tables and "key: value" blocks.
//
// Thread-safety: values; not shared between threads.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace taskly::cli {

// Columns separated by two spaces, each as wide as its widest cell; the last column is not
// padded. Cells are printed as given (the caller shortens long ones; see Shorten).
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

  // REQUIRES: cells.size() == the number of headers.
  void add_row(std::vector<std::string> cells);
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "key:  value" lines with the values aligned; multi-line values are indented under the first
// line.
class KeyValues {
 public:
  void add(std::string key, std::string value);
  void print(std::ostream& out) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// `text` on one line (newlines and tabs as spaces) and at most `max` characters long (UTF-8
// aware: never cuts a character), with "..." when cut.
std::string Shorten(const std::string& text, size_t max);

}  // namespace taskly::cli
