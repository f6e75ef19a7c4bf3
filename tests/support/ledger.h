// The ledger the crash tests read: tests/support/ledger_server.cc's "ledger" task appends the
// number in its payload, one line per run, so the file tells which submitted tasks ran, and how
// many times.
#pragma once

#include <fstream>
#include <map>
#include <string>

namespace taskly::testing {

// How many times each number appears in the ledger at `path` (empty if there is none yet).
inline std::map<int, int> ReadLedger(const std::string& path) {
  std::map<int, int> runs;
  std::ifstream in(path);
  int n = 0;
  while (in >> n) ++runs[n];
  return runs;
}

// A ledger's runs against the tasks 0..n-1 that were submitted.
struct LedgerTally {
  int lost = 0;        // submitted, never ran
  int duplicates = 0;  // runs beyond each task's first
  int strays = 0;      // numbers outside 0..n-1 (never submitted)
};

inline LedgerTally Tally(const std::map<int, int>& runs, int n) {
  LedgerTally t;
  for (int k = 0; k < n; ++k) {
    auto it = runs.find(k);
    if (it == runs.end()) {
      ++t.lost;
    } else {
      t.duplicates += it->second - 1;
    }
  }
  for (const auto& [k, count] : runs) t.strays += (k < 0 || k >= n) ? 1 : 0;
  return t;
}

}  // namespace taskly::testing
