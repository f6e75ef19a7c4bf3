// Log lines that input cannot forge. Request paths, headers, task errors and command output
// reach the log; a newline in one of them would start a line of the attacker's choosing, and
// an escape sequence would rewrite the operator's terminal. The sink that SetUpLogging
// installs (node_setup.h) escapes the message of every record before it is formatted, so no
// call site has to remember to.
//
// Thread-safety: EscapeForLog is a pure function; the sink is as thread-safe as the one it
// wraps (spdlog's *_mt sinks lock).
#pragma once

#include <spdlog/sinks/sink.h>

#include <memory>
#include <string>
#include <string_view>

namespace taskly::cli {

// `text` with every byte a terminal or a log reader could take for structure replaced by a
// visible escape: \n, \r, \t, and \xNN for the other C0 controls, DEL and each byte that is not
// part of valid UTF-8 (overlong forms and surrogates included); the C1 controls U+0080-U+009F
// as \u0080-\u009f. Everything else, backslashes included, is kept as it is.
std::string EscapeForLog(std::string_view text);

// A sink that hands `inner` each record with its message escaped by EscapeForLog; records
// that need no escaping are passed through untouched.
std::shared_ptr<spdlog::sinks::sink> EscapingSink(std::shared_ptr<spdlog::sinks::sink> inner);

}  // namespace taskly::cli
