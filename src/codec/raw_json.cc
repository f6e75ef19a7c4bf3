#include "codec/raw_json.h"

namespace taskly::codec {
namespace {

constexpr auto kReplace = Json::error_handler_t::replace;

bool ContainsRaw(const Json& j) {
  if (IsRawJson(j)) return true;
  if (!j.is_structured()) return false;
  for (const Json& v : j) {
    if (ContainsRaw(v)) return true;
  }
  return false;
}

// Writes `j`, which sits `level` containers deep, as dump(indent) would, raw values as their
// text. A compact subtree without raw values is written by dump() itself.
void Write(std::string& out, const Json& j, int indent, int level) {
  if (IsRawJson(j)) {
    const Json::binary_t& bytes = j.get_binary();
    out.append(bytes.begin(), bytes.end());
    return;
  }
  if (!j.is_structured() || (indent < 0 && !ContainsRaw(j))) {
    out += j.dump(indent, ' ', false, kReplace);
    return;
  }
  const bool object = j.is_object();
  if (j.empty()) {
    out += object ? "{}" : "[]";
    return;
  }
  const auto newline = [&](int depth) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(depth) * static_cast<size_t>(indent), ' ');
  };
  out += object ? '{' : '[';
  bool first = true;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!first) out += ',';
    first = false;
    newline(level + 1);
    if (object) {
      out += Json(it.key()).dump(-1, ' ', false, kReplace);
      out += indent < 0 ? ":" : ": ";
    }
    Write(out, *it, indent, level + 1);
  }
  newline(level);
  out += object ? '}' : ']';
}

}  // namespace

Json RawJson(std::string_view text) {
  return Json::binary(Json::binary_t::container_type(text.begin(), text.end()), kRawJsonSubtype);
}

bool IsRawJson(const Json& j) {
  return j.is_binary() && j.get_binary().has_subtype() &&
         j.get_binary().subtype() == kRawJsonSubtype;
}

std::string RawJsonText(const Json& j) {
  if (!IsRawJson(j)) return std::string();
  const Json::binary_t& bytes = j.get_binary();
  return std::string(bytes.begin(), bytes.end());
}

std::string CompactJson(const Json& j) { return IsRawJson(j) ? RawJsonText(j) : j.dump(); }

std::string DumpJson(const Json& j, int indent) {
  if (indent < 0 && !ContainsRaw(j)) return j.dump(-1, ' ', false, kReplace);
  std::string out;
  Write(out, j, indent, 0);
  return out;
}

}  // namespace taskly::codec
