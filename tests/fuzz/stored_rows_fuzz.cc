// Fuzz target: what the stores read back from their backends, as a damaged or foreign file or
// server could hold it. Each decoder must return a value or an error: never crash, hang or
// throw.
//
// Input: one byte choosing the decoder, then its text:
//   'r'  a Redis task hash (store/redis/encoding.h DecodeTask)   fields, one per line, name=value
//   'q'  a Redis queue hash (DecodeQueue)                         fields, as 'r'
//   '8'  a T8 value (FromT8)                                      the bytes
//   'n'  a Redis node record (coord/redis/node_record.h)          the JSON text
//   's'  SQLite rows, read by the Tables loaders                  rows, one per line (below)
//   'o'  SQLite rows, then the whole store opened over them (OpenSqliteStore)
// Any other byte picks one of these by its value. In field values and row columns, \n, \\ and
// \xHH stand for a newline, a backslash and any byte.
//
// A SQLite row is a table letter (t tasks, q queues, k ticks, s schedules, m meta) and the
// row's columns in the schema's order (store/sqlite/schema.cc), each after a '|': i<integer>,
// r<real>, t<text>, b<blob>, or anything else for NULL; missing columns are NULL. A row the
// schema refuses is left out.
//
// Checked beyond not crashing: T8 and node records round-trip; a decoded Redis task's spec
// fields (SpecFields) decode to the same fields again.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codec/bounded_json.h"
#include "codec/json_codec.h"
#include "coord/redis/node_record.h"
#include "store/redis/encoding.h"
#include "store/sqlite/database.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/tables.h"
#include "taskly/sqlite_store.h"

namespace {

using taskly::Result;
using taskly::Status;
namespace redis = taskly::redis;
namespace sqlite = taskly::sqlite;

[[noreturn]] void Fail(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "stored_rows_fuzz: %s\n%s\n", what.c_str(), detail.c_str());
  std::abort();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Unescape(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\' || i + 1 == in.size()) {
      out += in[i];
    } else if (in[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else if (in[i + 1] == 'x' && i + 3 < in.size() && HexDigit(in[i + 2]) >= 0 &&
               HexDigit(in[i + 3]) >= 0) {
      out += static_cast<char>(HexDigit(in[i + 2]) * 16 + HexDigit(in[i + 3]));
      i += 3;
    } else {
      out += in[i + 1];
      ++i;
    }
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view in, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t at = in.find(sep);
    out.push_back(in.substr(0, at));
    if (at == std::string_view::npos) return out;
    in.remove_prefix(at + 1);
  }
}

redis::Fields ParseFields(std::string_view text) {
  redis::Fields fields;
  for (std::string_view line : Split(text, '\n')) {
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    fields.emplace_back(Unescape(line.substr(0, eq)),
                        eq == std::string_view::npos ? "" : Unescape(line.substr(eq + 1)));
  }
  return fields;
}

void RedisTask(std::string_view text) {
  Result<taskly::Task> task = redis::DecodeTask(ParseFields(text));
  if (!task.ok()) return;
  // The spec's own fields, as a new task hash holds them, decode to the same fields.
  redis::Fields fields = redis::SpecFields(task->spec);
  fields.emplace_back("id", task->id);
  fields.emplace_back("st", "0");
  Result<taskly::Task> again = redis::DecodeTask(fields);
  if (!again.ok()) Fail("SpecFields do not decode", again.status().ToString());
  if (redis::SpecFields(again->spec) != redis::SpecFields(task->spec)) {
    Fail("SpecFields change through DecodeTask", std::string(text));
  }
}

void RedisQueue(std::string_view text) {
  static_cast<void>(redis::DecodeQueue("default", ParseFields(text)));
}

void T8(std::string_view bytes) {
  std::optional<int64_t> v = redis::FromT8(bytes);
  if (v.has_value() != (bytes.size() == 8)) Fail("FromT8 on the wrong length", "");
  if (v && redis::T8(*v) != bytes) Fail("T8(FromT8(b)) != b", "");
}

void Node(std::string_view text) {
  Result<taskly::NodeInfo> node = redis::DecodeNode(std::string(text));
  if (!node.ok()) return;
  const std::string encoded = redis::EncodeNode(*node);
  Result<taskly::NodeInfo> again = redis::DecodeNode(encoded);
  if (!again.ok()) Fail("EncodeNode's output is refused", again.status().ToString());
  if (redis::EncodeNode(*again) != encoded) Fail("the node record is not stable", encoded);
}

// A database file for this process, with the store's schema.
class Scratch {
 public:
  Scratch() {
    char dir[] = "/tmp/taskly-fuzz-XXXXXX";
    if (mkdtemp(dir) == nullptr) Fail("mkdtemp", dir);
    dir_ = dir;
    path_ = dir_ + "/store.db";
  }
  ~Scratch() {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      unlink((path_ + suffix).c_str());
    }
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

const std::string& ScratchPath() {
  static Scratch* scratch = new Scratch;  // one per process; the OS removes nothing, so:
  static const int registered = std::atexit([] { delete scratch; });
  static_cast<void>(registered);
  return scratch->path();
}

struct TableShape {
  char letter;
  const char* name;
  int columns;
};
constexpr TableShape kTables[] = {{'t', "tasks", 31},
                                  {'q', "queues", 9},
                                  {'k', "ticks", 3},
                                  {'s', "schedules", 4},
                                  {'m', "meta", 2}};

// Empties the tables of `db` and fills them with the rows of `text`.
void WriteRows(sqlite::Database& db, std::string_view text) {
  if (!db.exec("DELETE FROM tasks; DELETE FROM queues; DELETE FROM ticks; "
               "DELETE FROM schedules; DELETE FROM meta")
           .ok()) {
    Fail("cannot empty the scratch database", "");
  }
  for (std::string_view line : Split(text, '\n')) {
    if (line.empty()) continue;
    const TableShape* table = nullptr;
    for (const TableShape& t : kTables) {
      if (t.letter == line[0]) table = &t;
    }
    if (table == nullptr) continue;
    std::string sql = std::string("INSERT INTO ") + table->name + " VALUES (?";
    for (int i = 1; i < table->columns; ++i) sql += ", ?";
    Result<sqlite::Statement> stmt = sqlite::Statement::Prepare(db, sql + ")");
    if (!stmt.ok()) Fail("cannot prepare", stmt.status().ToString());
    std::vector<std::string_view> columns = Split(line.substr(1), '|');
    columns.erase(columns.begin());   // before the first '|'
    std::vector<std::string> values;  // bound without a copy: kept until run()
    values.reserve(static_cast<size_t>(table->columns));
    for (int i = 0; i < table->columns; ++i) {
      const std::string_view c = i < static_cast<int>(columns.size()) ? columns[i] : "";
      values.push_back(c.empty() ? "" : Unescape(c.substr(1)));
      const std::string& v = values.back();
      switch (c.empty() ? 'n' : c[0]) {
        case 'i':
          stmt->bind(i + 1, static_cast<int64_t>(std::strtoll(v.c_str(), nullptr, 10)));
          break;
        case 'r':
          stmt->bind(i + 1, std::strtod(v.c_str(), nullptr));
          break;
        case 't':
          stmt->bind(i + 1, std::string_view(v));
          break;
        case 'b':
          stmt->bind_blob(i + 1, v);
          break;
        default:
          stmt->bind_null(i + 1);
      }
    }
    static_cast<void>(stmt->run());  // a row the schema refuses is left out
  }
}

// The loaders over `db`, and the schedules' definitions as SqliteStore reads them.
void Load(sqlite::Database& db) {
  Result<sqlite::Tables> tables = sqlite::Tables::Prepare(db);
  if (!tables.ok()) Fail("cannot prepare the tables", tables.status().ToString());
  static_cast<void>(tables->for_each_task([](taskly::Task&&) {},
                                          [](const taskly::TaskId&, const taskly::Status&) {}));
  static_cast<void>(tables->load_queues());
  static_cast<void>(tables->load_ticks());
  static_cast<void>(tables->load_meta("last_id"));
  Result<std::vector<sqlite::ScheduleRow>> schedules = tables->load_schedules();
  if (!schedules.ok()) return;
  for (const sqlite::ScheduleRow& row : *schedules) {
    taskly::codec::Json json = taskly::codec::ParseBoundedJson(row.spec_json);
    if (!json.is_discarded()) static_cast<void>(taskly::codec::ScheduleSpecFromJson(json));
  }
}

sqlite::Database OpenScratch() {
  Result<sqlite::Database> db =
      sqlite::OpenStoreDatabase(ScratchPath(), taskly::SqliteSync::kNormal);
  if (!db.ok()) Fail("cannot open the scratch database", db.status().ToString());
  return std::move(db).value();
}

void SqliteRows(std::string_view text, bool open_store) {
  {
    sqlite::Database db = OpenScratch();
    WriteRows(db, text);
    Load(db);
  }
  if (!open_store) return;
  taskly::SimulatedClock clock;
  taskly::SqliteStoreOptions options;
  options.path = ScratchPath();
  options.clock = &clock;
  options.sync = taskly::SqliteSync::kNormal;
  Result<std::unique_ptr<taskly::Store>> store = taskly::OpenSqliteStore(options);
  static_cast<void>(store);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr char kModes[] = {'r', 'q', '8', 'n', 's', 'o'};
  char mode = static_cast<char>(data[0]);
  if (std::string_view(kModes, sizeof kModes).find(mode) == std::string_view::npos) {
    mode = kModes[data[0] % sizeof kModes];
  }
  switch (mode) {
    case 'r':
      RedisTask(text);
      break;
    case 'q':
      RedisQueue(text);
      break;
    case '8':
      T8(text);
      break;
    case 'n':
      Node(text);
      break;
    case 's':
    case 'o':
      SqliteRows(text, mode == 'o');
      break;
  }
  return 0;
}
