// The store a `taskly server` or `taskly worker` runs on, opened from its --store value, with
// the cluster coordinator that goes with it (taskly/coordinator.h): on Redis the cluster's
// shared one (OpenRedisCoordinator, same URL and prefix), on SQLite and memory a local one, so
// that a single server answers /v1/cluster the same way a cluster node does (itself, leading,
// term 1).
#pragma once

#include <memory>
#include <string>

#include "cli/exit_codes.h"
#include "taskly/coordinator.h"
#include "taskly/store.h"

namespace taskly::cli {

struct OpenedStore {
  std::unique_ptr<Store> store;
  std::unique_ptr<Coordinator> coordinator;
  std::string description;  // for people: the spec without a password, a sqlite path absolute
  bool shared = false;      // several processes may share it (redis)
};

// Opens `spec` ("memory", "sqlite:PATH" or "redis://...", as --store's check accepted it).
// Failure: exit 3 (kUnreachable) when the store's server cannot be reached, else exit 1, with
// "cannot open the store: <why>" (Redis's refusal of an evicting maxmemory-policy included).
// `init`: SqliteStoreOptions::init.
Expected<OpenedStore> OpenStore(const std::string& spec, const RetentionPolicy& retention,
                                bool init = false);

// The default node id: "<hostname>-<pid>".
std::string DefaultNodeId();

}  // namespace taskly::cli
