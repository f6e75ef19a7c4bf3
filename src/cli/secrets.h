// Where `taskly` takes its secrets from: the API token and the Redis store's password.
//
// The command line of every process is readable by every local user (ps, /proc/PID/cmdline),
// and so by the commands that command tasks run. So a secret is never taken from argv: --token
// and a --store URL with a password are refused (exit 2) with a message saying how to pass
// them instead. A secret comes from
// - the environment: TASKLY_TOKEN; TASKLY_STORE (a whole URL, password included) or
//   TASKLY_STORE_PASSWORD (the password alone);
// - a file: --token-file FILE, --store-password-file FILE (TASKLY_TOKEN_FILE,
//   TASKLY_STORE_PASSWORD_FILE). The file must be a regular file that neither group nor others
//   may access (chmod 600); trailing whitespace (a newline) is not part of the secret;
// - the config file (--config): `token = ...` at the top level, `store = "redis://:PW@..."`.
// Two sources of one secret (TASKLY_TOKEN and --token-file, say) are a usage error.
//
// Thread-safety: functions of the parse, called from one thread.
#pragma once

#include <string>

#include "cli/command.h"
#include "cli/exit_codes.h"

namespace taskly::cli {

// A usage error when argv (before a "--" that ends the options) holds --token, or a --store
// value that is a redis:// URL with credentials; else an OK Exit.
Exit RefuseSecretsInArgv(int argc, char** argv);

// The text of the secret file `path`, without trailing whitespace. Usage errors naming `flag`
// and `path`: missing or unreadable, not a regular file, accessible by group or others, empty,
// larger than 4 KiB.
Expected<std::string> ReadSecretFile(const std::string& path, const std::string& flag);

// The token the options name (TASKLY_TOKEN or the config file's `token`, or --token-file),
// checked by server::CheckToken; empty when none is named (the caller falls back to the data
// dir's token file). `source` is set to where it came from, for messages.
Expected<std::string> ConfiguredToken(const GlobalOptions& options, std::string* source);

// `store` with the password of TASKLY_STORE_PASSWORD or `password_file` put in (a redis://
// URL without credentials gets ":PASSWORD@"). Usage errors: a password for a store that is not
// redis://, a URL that already has one, both sources at once.
Expected<std::string> StoreWithPassword(const std::string& store, const std::string& password_file);

}  // namespace taskly::cli
