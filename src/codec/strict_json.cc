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

  bool null() {
    Exact("null");
    return value(nullptr);
  }
  bool boolean(bool v) {
    Exact(v ? "true" : "false");
    return value(v);
  }
  bool number_integer(Json::number_integer_t v) {
    if (exact_wanted()) Exact(std::to_string(v));
    return value(v);
  }
  bool number_unsigned(Json::number_unsigned_t v) {
    if (exact_wanted()) Exact(std::to_string(v));
    return value(v);
  }
  bool number_float(Json::number_float_t v, const Json::string_t& text) {
    if (Exact(text) && Json(v).dump() != text) inexact_ = true;
    return value(v);
  }
  bool string(Json::string_t& v) {
    if (exact_wanted()) Exact(Json(v).dump());
    return value(std::move(v));
  }
  bool binary(Json::binary_t& v) { return value(Json::binary(std::move(v))); }

  bool start_object(std::size_t) {
    Exact("{");
    return open(Json::object());
  }
  bool key(Json::string_t& k) {
    keys_.back() = k;
    Json& object = *stack_.back();
    if (object.contains(k)) return fail(Path(), "duplicate key");
    if (in_exact_region()) {
      if (!object.empty()) exact_ += ',';
      exact_ += Json(k).dump();
      exact_ += ':';
    }
    member_ = &object[k];
    return true;
  }
  bool end_object() {
    Exact("}");
    return close();
  }
  bool start_array(std::size_t) {
    Exact("[");
    return open(Json::array());
  }
  bool end_array() {
    Exact("]");
    return close();
  }

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

  bool in_exact_region() const { return exact_base_ != kNoRegion; }
  // Whether the next value's text is wanted (spares building it outside regions).
  bool exact_wanted() const { return in_exact_region() || exact_region_starts(); }

  // Whether the value about to start is one whose numbers are kept as written.
  bool exact_region_starts() const {
    using ExactNumbers = StrictJsonOptions::ExactNumbers;
    if (in_exact_region()) return false;
    switch (options_.exact_numbers) {
      case ExactNumbers::kNowhere:
        return false;
      case ExactNumbers::kEverywhere:
        return stack_.empty();
      case ExactNumbers::kInPayloads:
        return !stack_.empty() && stack_.back()->is_object() && keys_.back() == "payload";
    }
    return false;
  }

  // Appends `token` (a value's text, or a bracket) to the compact text of the exact region,
  // starting the region if this value begins one. Returns whether a region takes it. Closing
  // brackets are always inside a region that is open.
  bool Exact(std::string_view token) {
    const bool closing = token == "}" || token == "]";
    if (exact_region_starts() && !closing) {
      exact_base_ = stack_.size();
      exact_.clear();
      inexact_ = false;
    } else if (!in_exact_region()) {
      return false;
    } else if (!closing && stack_.size() > exact_base_ && stack_.back()->is_array() &&
               !stack_.back()->empty()) {
      exact_ += ',';
    }
    exact_ += token;
    return true;
  }

  // Ends the exact region whose value is `*v`, now complete: a value holding a number that
  // would not be written back as written becomes the raw value of its text.
  void EndExactRegion(Json* v) {
    if (inexact_) *v = RawJson(exact_);
    exact_base_ = kNoRegion;
    exact_.clear();
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
    Json* placed = place(std::move(v));
    if (in_exact_region() && stack_.size() == exact_base_) EndExactRegion(placed);
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
    Json* closed = stack_.back();
    stack_.pop_back();
    keys_.pop_back();
    if (in_exact_region() && stack_.size() == exact_base_) EndExactRegion(closed);
    return true;
  }

  Json& root_;
  const StrictJsonOptions& options_;
  std::vector<Json*> stack_;       // the open containers, outermost first
  std::vector<std::string> keys_;  // per open container: the key being read (objects)
  Json* member_ = nullptr;         // where the next value of the innermost object goes
  Status status_;
  // The exact region (see StrictJsonOptions::exact_numbers): the value being read whose numbers
  // are kept as written, its compact text so far, and whether a number in it would not be
  // written back as written. exact_base_ is the depth of the region's value (stack_.size()
  // when it started), kNoRegion outside one.
  static constexpr size_t kNoRegion = static_cast<size_t>(-1);
  size_t exact_base_ = kNoRegion;
  std::string exact_;
  bool inexact_ = false;
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
