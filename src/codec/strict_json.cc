#include "codec/strict_json.h"

#include <utility>
#include <vector>

#include "codec/text.h"

namespace taskly::codec {
namespace {

// nlohmann's out_of_range id for a number that does not fit a double.
constexpr int kNumberOverflow = 406;

// A SAX handler that builds the document as nlohmann's own DOM parser does, and stops at the
// first problem with an error naming its path.
class StrictHandler {
 public:
  StrictHandler(Json& root, const StrictJsonOptions& options) : root_(root), options_(options) {}

  const Status& status() const { return status_; }

  bool null() { return value(nullptr); }
  bool boolean(bool v) { return value(v); }
  bool number_integer(Json::number_integer_t v) { return value(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return value(v); }
  bool number_float(Json::number_float_t v, const Json::string_t& text) {
    if (exact_here()) {
      const std::string back = Json(v).dump();
      if (back != text) {
        return fail(Path(), "the number " + Shorten(text) + " would be kept as " + back +
                                "; send the payload as text (\"payload_format\": \"text\") to "
                                "keep it exactly");
      }
    }
    return value(v);
  }
  bool string(Json::string_t& v) { return value(std::move(v)); }
  bool binary(Json::binary_t& v) { return value(Json::binary(std::move(v))); }

  bool start_object(std::size_t) { return open(Json::object()); }
  bool key(Json::string_t& k) {
    keys_.back() = k;
    if (stack_.back()->contains(k)) return fail(Path(), "duplicate key");
    member_ = &(*stack_.back())[k];
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) {
    if (ex.id == kNumberOverflow) {
      return fail(Path(),
                  "number out of range (a JSON number must fit a double, about "
                  "1.8e308)");
    }
    // what() reads "[json.exception.parse_error.101] parse error at line 1, column 9: ...";
    // the bracketed id means nothing to a user.
    std::string what = ex.what();
    const size_t start = what.find("] ");
    if (start != std::string::npos) what.erase(0, start + 2);
    return fail(options_.field, "malformed JSON (byte " + std::to_string(position) + "): " + what);
  }

 private:
  // The path of the value about to be added, or of the key just read.
  std::string Path() const {
    std::string path;
    for (size_t i = 0; i < stack_.size(); ++i) {
      const Json& container = *stack_[i];
      if (container.is_object()) {
        if (!path.empty()) path += '.';
        path += internal::Text(keys_[i]).get<std::string>();
      } else {
        // An ancestor array's element is its last one; the innermost's is the next one.
        const size_t index = i + 1 < stack_.size() ? container.size() - 1 : container.size();
        path += "[" + std::to_string(index) + "]";
      }
    }
    return path;
  }

  bool exact_here() const {
    using Exact = StrictJsonOptions::ExactNumbers;
    if (options_.exact_numbers == Exact::kEverywhere) return true;
    if (options_.exact_numbers == Exact::kNowhere) return false;
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i]->is_object() && keys_[i] == "payload") return true;
    }
    return false;
  }

  static std::string Shorten(const std::string& text) {
    return text.size() <= 40 ? text : text.substr(0, 40) + "...";
  }

  // An error about the root value itself (an empty path) names the document.
  bool fail(std::string field, std::string message) {
    if (field.empty()) field = options_.field;
    if (status_.ok()) status_ = InvalidArgument(std::move(field), std::move(message));
    return false;
  }

  // Places `v` where the parser is: the root, the next element of an array, or the member
  // whose key was just read. Returns where it went.
  Json* place(Json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    *member_ = std::move(v);
    return member_;
  }

  bool value(Json&& v) {
    place(std::move(v));
    return true;
  }

  bool open(Json&& container) {
    if (static_cast<int>(stack_.size()) >= options_.max_depth) {
      return fail(options_.field,
                  "nested more than " + std::to_string(options_.max_depth) + " levels deep");
    }
    stack_.push_back(place(std::move(container)));
    keys_.emplace_back();
    return true;
  }

  bool close() {
    stack_.pop_back();
    keys_.pop_back();
    return true;
  }

  Json& root_;
  const StrictJsonOptions& options_;
  std::vector<Json*> stack_;       // the open containers, outermost first
  std::vector<std::string> keys_;  // per open container: the key being read (objects)
  Json* member_ = nullptr;         // where the next value of the innermost object goes
  Status status_;
};

}  // namespace

Result<Json> ParseStrictJson(std::string_view text, const StrictJsonOptions& options) {
  Json root;
  StrictHandler handler(root, options);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &handler);
  } catch (const Json::exception& e) {
    return InvalidArgument(options.field, std::string("malformed JSON: ") + e.what());
  }
  if (!handler.status().ok()) return handler.status();
  if (!ok) return InvalidArgument(options.field, "malformed JSON");
  return root;
}

}  // namespace taskly::codec
